"""Pure HTML renderers of the destination step, the decision tree and the product search (the one HTML
rendering of that data; the CLI's text is `taxonomy.destinations.render_text`).

Like every other renderer of the app, they mark what is data (sources, dates, codes, HS descriptions)
with ``.cv-data`` and isolate the Latin names inside Arabic text (HTSUS, EUR.1, CE...) so they read
left to right inside a right-to-left paragraph.
"""

from __future__ import annotations

import html
import re

from craftvision.taxonomy import DestinationAdvice, Taxonomy

from .i18n import direction, lang_of, t
from .render import data

# A run of Latin script inside Arabic text: names, acronyms and references kept in their own script.
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9.,:;/'’&+\- ]*[A-Za-z0-9]|[A-Za-z]")


# A marking quoted to be printed verbatim (« Made in Morocco », « FLAMMABLE ... »): data in any language.
_QUOTED_ASCII = re.compile(r"(«\s*)([\x20-\x7E]+?)(\s*»)")


def text_html(text: str, lang: str) -> str:
    """Escaped text; quoted ASCII markings are data; in Arabic, each Latin run is isolated as data (left to right)."""
    if lang != "ar":
        out, last = [], 0
        for m in _QUOTED_ASCII.finditer(text):
            out += [html.escape(text[last:m.start()] + m.group(1)), data(m.group(2)), html.escape(m.group(3))]
            last = m.end()
        return "".join(out) + html.escape(text[last:])
    out, last = [], 0
    for m in _LATIN_RUN.finditer(text):
        out += [html.escape(text[last:m.start()]), data(m.group(0))]
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _dated(a: DestinationAdvice, entry) -> str:
    template = a.labels["checked"] if entry.basis == "read" else a.labels["reference"]
    before, _, after = template.partition("{date}")
    when = text_html(before, a.lang) + data(entry.checked) + text_html(after, a.lang)
    return f'<small class="cv-source">{text_html(a.labels["source"], a.lang)}: {data(entry.source)} ({when})</small>'


def render_advice(a: DestinationAdvice) -> str:
    """The destination step: national line, Moroccan export line, origin route, product rules, each dated."""
    lang = lang_of(a.lang)
    title = a.labels["title"].replace("{destination}", a.destination_name)
    out = [f'<div class="cv-card cv-destination" dir="{direction(lang)}" lang="{lang}" data-destination="{a.destination}">',
           f"<h4>{text_html(title, lang)}</h4>"]
    if a.code:
        out.append(f'<p>{t("dest_for_code", lang)}: <b>{data(a.code)}</b></p>')
    else:
        out.append(f'<p class="cv-warn">{t("dest_code_pending", lang)}</p>')
    for key, entry in (("national_line", a.national_line), ("export_line", a.export_line), ("origin", a.origin)):
        out.append(f'<p class="cv-dest-{key}"><b>{text_html(a.labels[key], lang)}</b><br>{text_html(entry.text, lang)}'
                   f"<br>{_dated(a, entry)}</p>")
    out.append(f'<p><b>{text_html(a.labels["rules"], lang)}</b></p><ul class="cv-dest-rules">')
    out += [f'<li data-rule="{html.escape(r.id)}">{text_html(r.text, lang)}<br>{_dated(a, r)}</li>' for r in a.rules]
    if not a.rules:
        out.append(f'<li>{text_html(a.labels["no_rules"], lang)}</li>')
    out.append(f'</ul><p class="cv-note cv-changes">{text_html(a.disclaimer, lang)} {data(a.data_version)}</p></div>')
    return "".join(out)


def _note(note: str, lang: str) -> str:
    """A path's note, led by "Ask an expert" unless the note itself opens with it (most notes of taxonomy v2 do)."""
    lead = "" if note.startswith(t("expert", lang)) else f"<b>{t('expert', lang)}:</b> "
    return lead + text_html(note, lang)


def _end(code, description, note, lang: str) -> str:
    if code:
        return f"<b>{data(code)}</b> {data(description or '')}"
    return f'<span class="cv-warn cv-note-end">{_note(note or "", lang)}</span>'


def render_paths(paths, taxonomy: Taxonomy, lang: str) -> str:
    """Every path of a category: the questions and answers in order and where it ends (code or note)."""
    lang = lang_of(lang)
    out = [f'<div class="cv-card cv-tree" dir="{direction(lang)}">',
           f'<p>{t("tree_count", lang, n=len(paths))} {data(taxonomy.version)}</p>',
           f'<table class="cv-paths"><thead><tr><th>{t("col_id", lang)}</th><th>{t("tree_col_path", lang)}</th>'
           f'<th>{t("tree_col_end", lang)}</th></tr></thead><tbody>']
    for i, p in enumerate(paths, 1):
        steps = "".join(f"<li>{text_html(q, lang)} → <b>{text_html(o, lang)}</b></li>" for q, o in p.labels(taxonomy, lang))
        d = p.to_dict(lang)
        out.append(f'<tr data-code="{html.escape(d["code"] or "")}"><td>{i}</td>'
                   f'<td><ol>{steps or "<li>" + t("tree_no_question", lang) + "</li>"}</ol></td>'
                   f'<td>{_end(d["code"], d["description"], d["note"], lang)}</td></tr>')
    out.append(f'</tbody></table><p class="cv-note">{text_html(taxonomy.research_notice[lang], lang)}</p></div>')
    return "".join(out)


def render_hits(hits, taxonomy: Taxonomy, lang: str) -> str:
    """Ranked search results: where each ends (or the codes still possible), the answers given and those left."""
    lang = lang_of(lang)
    out = [f'<div class="cv-card cv-hits" dir="{direction(lang)}"><ol>']
    for h in hits:
        d = h.to_dict(lang, taxonomy)
        codes = ", ".join(data(c) for c in d["codes"])
        if d["kind"] == "code":
            out.append(f'<li class="cv-hit" data-codes="{" ".join(d["codes"])}"><b>{codes}</b> {data(d["descriptions"][0])}'
                       f'<br><small>{t("search_nomenclature", lang)}</small></li>')
            continue
        cat = taxonomy.categories[d["category"]]
        item = [f'<li class="cv-hit" data-codes="{" ".join(d["codes"])}"><b>{text_html(d["category_name"], lang)}</b>']
        item.append(f"<br>{t('search_codes', lang)}: <b>{codes}</b>" + (f" {data(d['descriptions'][0])}" if len(d["codes"]) == 1 else ""))
        if d["answers"]:
            given = "; ".join(f"{text_html(cat.questions[q].text[lang], lang)} → <b>{text_html(cat.questions[q].options[o].label[lang], lang)}</b>"
                              for q, o in d["answers"])
            item.append(f"<br>{t('search_given', lang)}: {given}")
        if d["note"]:
            item.append(f'<br><span class="cv-warn">{_note(d["note"], lang)}</span>')
        if d["remaining"]:
            left = "; ".join(text_html(r["text"], lang) for r in d["remaining"])
            item.append(f'<br><span class="cv-remaining">{t("search_remaining", lang)}: {left}</span>')
        out.append("".join(item) + "</li>")
    out.append(f'</ol><p class="cv-note">{text_html(taxonomy.research_notice[lang], lang)}</p></div>')
    return "".join(out)
