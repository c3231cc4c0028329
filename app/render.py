"""Pure HTML renderers: data in, HTML out, every word through the translation table.

Text that is data, not interface (file names, HS nomenclature descriptions, model versions,
references), is wrapped in ``<span class="cv-data">`` with its own language, so the page can be
checked for untranslated interface text.
"""

from __future__ import annotations

import html
import json
from typing import Callable

from .i18n import direction, lang_of, t

NameOf = Callable[[str, str], str]  # (category id, lang) -> category name in that language


def data(text, lang: str = "en") -> str:
    """Data shown as is (not interface text), isolated for right-to-left pages."""
    return f'<bdi class="cv-data" lang="{lang}">{html.escape(str(text))}</bdi>'


def _bars(categories: list[dict], lang: str, name_of: NameOf) -> str:
    rows = []
    for c in categories:
        width = max(2, int(c["probability"] * 160))
        rows.append(f'<tr><td>{html.escape(name_of(c["name"], lang))}</td>'
                    f'<td><span class="cv-bar" style="width:{width}px"></span></td><td>{c["probability"]:.0%}</td></tr>')
    return "<table>" + "".join(rows) + "</table>"


def _photo_card(p: dict, lang: str, name_of: NameOf) -> str:
    cls = "cv-photo cv-disagree" if p.get("disagrees") else "cv-photo"
    thumb = f'<img class="cv-thumb" src="{p["thumb"]}" alt="">' if p.get("thumb") else '<div class="cv-thumb"></div>'
    out = [f'<div class="{cls}">{thumb}<div class="cv-photo-text"><div class="cv-name">{data(p["source"])}</div>']
    if p.get("error"):
        out.append(f'<p class="cv-warn">{html.escape(p["error"])}</p></div></div>')
        return "".join(out)
    own = p["categories"][0]
    out.append(f'<p>{t("photo_alone", lang)}: <b>{html.escape(name_of(own["name"], lang))}</b> {own["probability"]:.0%}</p>')
    if p.get("disagrees"):
        out.append(f'<p class="cv-warn cv-mark">⚠ {html.escape(t("photo_disagrees", lang, category=name_of(own["name"], lang)))}</p>')
    for key, values in p.get("hint_keys", []):
        out.append(f'<p class="cv-warn">⚠ {html.escape(t(key, lang, **values))}</p>')
    out.append("</div></div>")
    return "".join(out)


def render_product(result: dict, lang: str, name_of: NameOf) -> str:
    """The fused answer for the product, then each photo with its own top category and hints."""
    lang = lang_of(lang)
    readable = [p for p in result.get("photos", []) if not p.get("error")]
    out = [f'<div dir="{direction(lang)}" class="cv-product">', '<div class="cv-card cv-fused">',
           f'<p class="cv-note">{t("product_from", lang, n=len(readable))}</p>',
           f'<p><b>{html.escape(t("decision_" + result["decision"], lang))}</b></p>',
           _bars(result["categories"], lang, name_of), "</div>"]
    out += [_photo_card(p, lang, name_of) for p in result.get("photos", [])]
    out.append("</div>")
    return "".join(out)


def render_suggestion(s: dict, lang: str, taxonomy) -> str:
    """The questions answered so far and the code (or the headings and candidates still open)."""
    lang = lang_of(lang)
    out = [f'<div dir="{direction(lang)}" class="cv-card">']
    cat = taxonomy.categories.get(s["category"])
    if cat is not None and s.get("path"):
        out.append("<ul>")
        for step in s["path"]:
            q = cat.questions[step["question"]]
            out.append(f"<li>{html.escape(q.text[lang])} → <b>{html.escape(q.options[step['answer']].label[lang])}</b></li>")
        out.append("</ul>")
    if s.get("code"):
        out.append(f"<p><b>{t('suggested', lang)}: {data(s['code']['code'])}</b> — {data(s['code']['description'])}</p>")
    else:
        out.append(f"<p><b>{t('headings', lang)}</b></p><ul>")
        out += [f"<li>{data(h['code'])} — {data(h['description'])}</li>" for h in s["headings"]]
        out.append(f"</ul><p><b>{t('candidates', lang)}</b></p><ul>")
        out += [f"<li>{data(c['code'])} — {data(c['description'])}</li>" for c in s["candidates"]]
        out.append("</ul>")
    if s.get("note"):
        lead = "" if s["note"].startswith(t("expert", lang)) else f'<b>{t("expert", lang)}:</b> '  # v2 notes open with it
        out.append(f'<p class="cv-warn">{lead}{html.escape(s["note"])}</p>')
    out.append(f'<p class="cv-note">{t("disclaimer", lang)}</p></div>')
    return "".join(out)


def render_status(st: dict, lang: str) -> str:
    """What an artisan sees of their request."""
    lang = lang_of(lang)
    out = [f'<div dir="{direction(lang)}" class="cv-card"><p><b>{html.escape(st["state_text"])}</b></p><ul>',
           f'<li>{t("reference", lang)}: {data(st["reference"])}</li>',
           f'<li>{t("submitted_at", lang)}: {data(st["submitted_at"][:16].replace("T", " "))}</li>']
    code = st["final_code"] or st["suggested_code"]
    if code:
        out.append(f'<li>{t("final_code" if st["final_code"] else "suggested", lang)}: {data(code)}</li>')
    out.append("</ul></div>")
    return "".join(out)


def queue_rows(rows: list[dict], lang: str, name_of: NameOf) -> list[list]:
    """The queue as table rows (id first: a click on a row opens that id)."""
    return [[r["id"], r["created_at"][:16].replace("T", " "), name_of(r["category"], lang),
             t("short_" + r["decision"], lang), f"{r['confidence']:.0%}", r["suggested_code"] or "—"] for r in rows]


def render_detail(sub: dict, lang: str, name_of: NameOf) -> str:
    """A submission as a reviewer sees it: fused ranking, each photo's own answer, answers, history."""
    lang = lang_of(lang)
    pred = sub["prediction"]
    ranking = ", ".join(f"{html.escape(name_of(c['name'], lang))} {c['probability']:.0%}" for c in pred["categories"])
    out = [f'<div dir="{direction(lang)}" class="cv-card" id="detail-body" data-id="{int(sub["id"])}">',
           f'<h3>{t("col_id", lang)} {int(sub["id"])} — {t("status_" + sub["status"], lang)}</h3><ul>',
           f'<li>{t("d_submitted", lang)}: {data(sub["created_at"][:16].replace("T", " "))}</li>',
           f'<li>{t("d_model", lang)}: {data(sub["model_version"])} — {t("d_decision", lang)}: '
           f'<b>{t("short_" + sub["decision"], lang)}</b></li>',
           f'<li>{t("d_ranking", lang)}: {ranking}</li>']
    for p in pred.get("photos", []):
        own = p["categories"][0]
        mark = ' class="cv-warn"' if own["name"] != pred["categories"][0]["name"] else ""
        out.append(f'<li{mark}>{data(p.get("source", ""))}: {html.escape(name_of(own["name"], lang))} {own["probability"]:.0%}</li>')
    out += [f'<li>{t("d_answers", lang)}: {data(json.dumps(sub["answers"], ensure_ascii=False))}</li>',
            f'<li>{t("col_code", lang)}: <b>{data(sub["suggested_code"] or "—")}</b></li>',
            f'<li>{t("d_description", lang)}: {data(sub["description"] or "—", sub.get("lang") or "fr")}</li></ul>',
            f'<h4>{t("d_history", lang)}</h4><ul>']
    for h in sub["history"]:
        out.append(f'<li>{data(h["created_at"][:16].replace("T", " "))} — <b>{t("action_" + h["action"], lang)}</b> '
                   f'{t("d_by", lang)} {data(h["reviewer"])}: {html.escape(name_of(h["final_category"], lang)) if h["final_category"] else "—"}'
                   f' / {data(h["final_code"] or "—")} {data(h["reason"] or "")}</li>')
    if not sub["history"]:
        out.append(f'<li>{t("d_no_history", lang)}</li>')
    out.append("</ul></div>")
    return "".join(out)
