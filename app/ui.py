"""The Gradio app: artisans get a code in their language; customs staff review behind a login.

`build_app(predictor, store, taxonomy)` builds everything; nothing loads at import time. The
public functions below are also the app's API endpoints (see README: programmatic use with
gradio_client). Every error reaches the page as a message in the user's language, never a traceback.
"""

from __future__ import annotations

import html
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from craftvision.errors import CraftvisionError, StoreError
from craftvision.predictor import NOT_A_CRAFT, Predictor
from craftvision.quality import hints, measure
from craftvision.review import REJECT_REASONS, ReviewStore
from craftvision.taxonomy import Taxonomy

from .i18n import LANGS, t

MAX_PHOTOS = 8
MAX_PHOTO_MB = 20

CSS = """
.cv-card {border: 1px solid #ddd; border-radius: 8px; padding: 10px; margin: 6px 0;}
.cv-bar {background: #2b7a4b; height: 10px; border-radius: 4px; display: inline-block;}
.cv-warn {color: #8a4b00;}
.cv-note {font-size: 0.9em; color: #555;}
[dir=rtl] .cv-card {text-align: right;}
"""

SET_DIR_JS = ("(...args) => { const lang = args[0]; document.documentElement.dir = (lang === 'ar') ? 'rtl' : 'ltr'; "
              "document.documentElement.lang = lang; return args; }")


def _lang(lang: str | None) -> str:
    return lang if lang in LANGS else "fr"


class CraftApp:
    """The app's behaviour, independent of the widgets (so it is testable and callable as an API)."""

    def __init__(self, predictor: Predictor, store: ReviewStore, taxonomy: Taxonomy,
                 max_photos: int = MAX_PHOTOS, max_photo_mb: int = MAX_PHOTO_MB, model_dir: Path | None = None):
        self.predictor, self.store, self.taxonomy = predictor, store, taxonomy
        self.max_photos, self.max_photo_mb = max_photos, max_photo_mb
        self.model_dir = model_dir or predictor.path.parent
        self.crafts = [c for c in taxonomy.categories if c != NOT_A_CRAFT]

    # ---------------------------------------------------------------------------------- errors
    def _err(self, exc: Exception, lang: str):
        import gradio as gr

        if isinstance(exc, StoreError) and "reference" in str(exc):
            return gr.Error(t("unknown_reference", lang))
        return gr.Error(str(exc))

    # ---------------------------------------------------------------------------------- artisan
    def _read_uploads(self, files, lang: str) -> list[tuple[str, bytes]]:
        paths = [f for f in (files or []) if f]
        if not paths:
            raise CraftvisionError(t("no_photo", lang))
        if len(paths) > self.max_photos:
            raise CraftvisionError(t("too_many", lang, n=self.max_photos))
        out = []
        for p in paths:
            p = Path(p if isinstance(p, str) else getattr(p, "name", p))
            size = p.stat().st_size
            if size > self.max_photo_mb * 1024 * 1024:
                raise CraftvisionError(t("too_big", lang, name=p.name, mb=self.max_photo_mb))
            out.append((p.name, p.read_bytes()))
        return out

    def analyse(self, files, lang: str = "fr") -> dict:
        """Predict every photo; returns JSON-able results (the ``/predict`` API endpoint).

        Returns:
            ``{"photos": [{source, categories, decision, hs, hints, error}], "category": str|None,
            "model_version": str}``; the category is that of the first readable craft photo.
        """
        lang = _lang(lang)
        uploads = self._read_uploads(files, lang)
        results, category = [], None
        for name, data in uploads:
            try:
                image = self.predictor.load(data, name=name)
                pred, heat = self.predictor.predict_with_map(image, name=name)
                m = measure(image, original_size=_encoded_size(data), heat=heat)
                item = pred.to_dict()
                found = hints(m)
                item["hints"] = [t(k, lang, **v) for k, v in found]
                item["hint_keys"] = [[k, v] for k, v in found]
                item["quality"] = m
                item["error"] = None
                if category is None and pred.decision != "not_a_craft" and pred.hs is not None:
                    category = pred.hs.category
            except CraftvisionError as exc:
                item = {"source": name, "error": t("bad_photo", lang) + str(exc), "categories": [], "decision": None, "hs": None, "hints": []}
            results.append(item)
        return {"photos": results, "category": category, "model_version": self.predictor.version}

    def suggest(self, category: str | None, answers: dict | None, lang: str = "fr") -> dict:
        """The HS suggestion for a category and answers (the ``/suggest`` API endpoint)."""
        if not category:
            raise CraftvisionError(t("analyse_first", _lang(lang)))
        return self.taxonomy.suggest(category, answers or {}).to_dict(_lang(lang))

    def submit(self, files, result: dict, category: str, answers: dict, description: str, contact: str, lang: str) -> str:
        """Store a submission; returns its reference (the ``/submit`` API endpoint)."""
        lang = _lang(lang)
        uploads = self._read_uploads(files, lang)
        if not result or not result.get("photos"):
            raise CraftvisionError(t("analyse_first", lang))
        first = next((p for p in result["photos"] if not p.get("error")), None)
        if first is None:
            raise CraftvisionError(t("analyse_first", lang))
        # The stored model output is recomputed here, so a client cannot plant a fake prediction.
        pred = self.predictor.predict(uploads[0][1], name=uploads[0][0]).to_dict()
        if category not in self.crafts:
            raise CraftvisionError(t("not_a_craft_cannot_send", lang))
        s = self.taxonomy.suggest(category, answers or {})
        return self.store.create_submission(uploads, pred, dict(answers or {}), s.code.display if s.code else None,
                                            description or "", contact or "", lang, category=category)

    def check(self, reference: str, lang: str = "fr") -> dict:
        """What an artisan sees of their own request (the ``/status`` API endpoint)."""
        st = self.store.status((reference or "").strip())
        return {"reference": st.reference, "state": st.state, "state_text": t(f"state_{st.state}", _lang(lang)),
                "submitted_at": st.created_at, "category": st.category, "suggested_code": st.suggested_code,
                "final_category": st.final_category, "final_code": st.final_code, "decided_at": st.decided_at}

    # ---------------------------------------------------------------------------------- review
    def login(self, username: str, password: str) -> str:
        return self.store.login((username or "").strip(), password or "")

    def queue(self, token: str, category: str | None = None, decision: str | None = None, order: str = "oldest") -> list[dict]:
        self.store.session_user(token)
        return self.store.queue(category or None, decision or None, order)

    def open_submission(self, token: str, submission_id: int) -> dict:
        self.store.session_user(token)
        return self.store.submission(int(submission_id))

    @staticmethod
    def public(sub: dict) -> dict:
        """A submission without server file paths (for the API)."""
        out = dict(sub)
        out["photos"] = [{k: v for k, v in p.items() if k not in ("path", "relpath")} for p in sub["photos"]]
        return out

    def decide(self, token: str, submission_id: int, action: str, category: str | None, code: str | None, reason: str) -> dict:
        reviewer = self.store.session_user(token)
        self.store.add_decision(int(submission_id), action, reviewer, self.predictor.version,
                                final_category=category or None, final_code=(code or "").strip() or None, reason=reason or "")
        return self.store.submission(int(submission_id))

    def export_csv(self, token: str) -> str:
        self.store.session_user(token)
        out = Path(tempfile.mkdtemp(prefix="cv-export-")) / "decisions.csv"
        out.write_text(self.store.export_decisions_csv(), encoding="utf-8")
        return str(out)

    def export_dataset(self, token: str) -> str:
        self.store.session_user(token)
        root = Path(tempfile.mkdtemp(prefix="cv-dataset-"))
        self.store.export_dataset(root / "dataset")
        zpath = root / "reviewed-dataset.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted((root / "dataset").rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(root))
        return str(zpath)

    # ---------------------------------------------------------------------------------- rendering
    def render_results(self, result: dict, lang: str) -> str:
        lang = _lang(lang)
        d = "rtl" if lang == "ar" else "ltr"
        parts = [f'<div dir="{d}">']
        for p in result.get("photos", []):
            parts.append('<div class="cv-card">')
            parts.append(f"<b>{html.escape(p['source'])}</b>")
            if p.get("error"):
                parts.append(f'<p class="cv-warn">{html.escape(p["error"])}</p></div>')
                continue
            parts.append(f"<p><b>{html.escape(t('decision_' + p['decision'], lang))}</b></p><table>")
            for c in p["categories"]:
                name = self.taxonomy.categories[c["name"]].name[lang]
                width = max(2, int(c["probability"] * 160))
                parts.append(f'<tr><td>{html.escape(name)}</td><td><span class="cv-bar" style="width:{width}px"></span></td>'
                             f"<td>{c['probability']:.0%}</td></tr>")
            parts.append("</table>")
            shown = [t(k, lang, **v) for k, v in p["hint_keys"]] if "hint_keys" in p else p.get("hints", [])
            for h in shown:
                parts.append(f'<p class="cv-warn">⚠ {html.escape(h)}</p>')
            parts.append("</div>")
        parts.append("</div>")
        return "".join(parts)

    def render_suggestion(self, s: dict, lang: str) -> str:
        lang = _lang(lang)
        d = "rtl" if lang == "ar" else "ltr"
        out = [f'<div dir="{d}" class="cv-card">']
        cat = self.taxonomy.categories.get(s["category"])
        if cat is not None and s.get("path"):
            out.append("<ul>")
            for step in s["path"]:
                q = cat.questions[step["question"]]
                out.append(f"<li>{html.escape(q.text[lang])} → <b>{html.escape(q.options[step['answer']].label[lang])}</b></li>")
            out.append("</ul>")
        if s.get("code"):
            out.append(f"<p><b>{t('suggested', lang)}: HS {s['code']['code']}</b> — {html.escape(s['code']['description'])}</p>")
        else:
            out.append(f"<p><b>{t('headings', lang)}</b></p><ul>")
            out += [f"<li>{h['code']} — {html.escape(h['description'])}</li>" for h in s["headings"]]
            out.append(f"</ul><p><b>{t('candidates', lang)}</b></p><ul>")
            out += [f"<li>{c['code']} — {html.escape(c['description'])}</li>" for c in s["candidates"]]
            out.append("</ul>")
        if s.get("note"):
            out.append(f'<p class="cv-warn"><b>{t("expert", lang)}:</b> {html.escape(s["note"])}</p>')
        out.append(f'<p class="cv-note">{html.escape(s["disclaimer"])}</p></div>')
        return "".join(out)


def _encoded_size(data: bytes) -> tuple[int, int] | None:
    """The stored size of a photo (before reduced-size decoding), read from its header only."""
    import io

    from PIL import Image

    try:
        return Image.open(io.BytesIO(data)).size
    except Exception:
        return None


def build_app(predictor: Predictor, store: ReviewStore, taxonomy: Taxonomy, *, max_photos: int = MAX_PHOTOS,
              max_photo_mb: int = MAX_PHOTO_MB, model_dir: Path | None = None):
    """Build the Gradio Blocks app (not launched). See `launch_app` for the server settings."""
    import gradio as gr

    core = CraftApp(predictor, store, taxonomy, max_photos, max_photo_mb, model_dir)
    craft_choices = lambda lang: [(taxonomy.categories[c].name[_lang(lang)], c) for c in core.crafts]  # noqa: E731

    def guarded(fn):
        """Turn project errors into messages on the page (no tracebacks)."""
        def wrapper(*args):
            lang = args[-1] if args and isinstance(args[-1], str) and args[-1] in LANGS else "fr"
            try:
                return fn(*args)
            except CraftvisionError as exc:
                raise core._err(exc, lang) from None
        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper

    with gr.Blocks(title="craftvision") as demo:
        lang = gr.Radio([(v, k) for k, v in LANGS.items()], value="fr", label="Langue / اللغة / Language", elem_id="lang")
        header = gr.Markdown(f"## {t('title', 'fr')}\n\n{t('intro', 'fr')}")
        with gr.Tabs():
            # ---------------------------------------------------------------- artisan
            with gr.Tab(t("tab_artisan", "fr"), id="artisan") as tab_artisan:
                result_state = gr.State({})
                answers_state = gr.State({})
                with gr.Row():
                    files = gr.File(file_count="multiple", file_types=["image", ".heic", ".heif"], label=t("photos", "fr"),
                                    elem_id="photos")
                    camera = gr.Image(sources=["webcam"], type="filepath", label=t("camera", "fr"))
                analyse_btn = gr.Button(t("analyse", "fr"), variant="primary", elem_id="analyse")
                results_html = gr.HTML(elem_id="results")
                category = gr.Dropdown(craft_choices("fr"), value=None, label=t("category", "fr"), elem_id="category", interactive=True)
                suggestion_html = gr.HTML(elem_id="suggestion")
                question = gr.Radio([], label="", visible=False, elem_id="question")
                with gr.Row():
                    answer_btn = gr.Button(t("answer", "fr"), visible=False, elem_id="answer")
                    restart_btn = gr.Button(t("restart", "fr"), size="sm")
                declaration = gr.Textbox(label=t("declaration", "fr"), lines=3, buttons=["copy"], interactive=False,
                                         visible=False, elem_id="declaration")
                description = gr.Textbox(label=t("description", "fr"), lines=2, max_length=2000)
                contact = gr.Textbox(label=t("contact", "fr"), max_length=200)
                send_btn = gr.Button(t("send", "fr"), variant="primary", elem_id="send")
                sent_md = gr.Markdown(elem_id="sent")
            # ---------------------------------------------------------------- status
            with gr.Tab(t("tab_status", "fr"), id="status") as tab_status:
                ref_box = gr.Textbox(label=t("reference", "fr"), elem_id="reference")
                check_btn = gr.Button(t("check", "fr"), elem_id="check")
                status_md = gr.Markdown(elem_id="status_text")
            # ---------------------------------------------------------------- review
            with gr.Tab(t("tab_review", "fr"), id="review") as tab_review:
                token = gr.Textbox(visible=False, elem_id="token")
                with gr.Group(visible=True) as login_box:
                    user = gr.Textbox(label="Utilisateur / User", elem_id="user")
                    password = gr.Textbox(label="Mot de passe / Password", type="password", elem_id="password")
                    login_btn = gr.Button("Connexion / Log in", elem_id="login")
                with gr.Group(visible=False) as review_box:
                    who = gr.Markdown()
                    with gr.Row():
                        f_cat = gr.Dropdown([("", "")] + craft_choices("fr") + [("not_a_craft", NOT_A_CRAFT)], value="", label="Catégorie / Category")
                        f_dec = gr.Dropdown(["", "accept", "review", "not_a_craft"], value="", label="Décision / Decision")
                        f_order = gr.Radio([("Plus anciennes / oldest", "oldest"), ("Moins sûres / least confident", "least_confident")],
                                           value="oldest", label="Ordre / Order")
                        refresh_btn = gr.Button("Actualiser / Refresh", elem_id="refresh")
                    queue_df = gr.Dataframe(headers=["id", "reference", "created_at", "category", "decision", "confidence", "suggested_code"],
                                            interactive=False, elem_id="queue")
                    sub_id = gr.Number(label="N° de dossier / Submission id", precision=0, elem_id="sub_id")
                    open_btn = gr.Button("Ouvrir / Open", elem_id="open")
                    gallery = gr.Gallery(label="Photos + carte d'activation / activation map", columns=4, height=260)
                    detail_md = gr.Markdown(elem_id="detail")
                    action = gr.Radio([("Confirmer / Confirm", "confirm"), ("Corriger / Correct", "correct"), ("Rejeter / Reject", "reject")],
                                      value="confirm", label="Action", elem_id="action")
                    with gr.Row():
                        fix_cat = gr.Dropdown([("", "")] + craft_choices("fr") + [("not_a_craft", NOT_A_CRAFT)], value="", label="Catégorie corrigée / Corrected category", elem_id="fix_cat")
                        fix_code = gr.Textbox(label="Code SH corrigé / Corrected HS code (6 digits)", elem_id="fix_code")
                        reason = gr.Textbox(label="Motif / Reason", elem_id="reason")
                        reject_reason = gr.Dropdown(list(REJECT_REASONS), value=REJECT_REASONS[0], label="Motif de rejet / Rejection reason")
                    decide_btn = gr.Button("Enregistrer la décision / Record decision", variant="primary", elem_id="decide")
                    with gr.Row():
                        csv_btn = gr.Button("Exporter CSV / Export CSV", elem_id="export_csv")
                        ds_btn = gr.Button("Exporter le jeu de données / Export dataset", elem_id="export_dataset")
                        logout_btn = gr.Button("Déconnexion / Log out")
                    export_file = gr.File(label="Export", elem_id="export_file")
            # ---------------------------------------------------------------- model
            with gr.Tab(t("tab_model", "fr"), id="model") as tab_model:
                model_md = gr.Markdown()
                confusion = gr.Image(label="Confusion matrix", interactive=False)

        # ------------------------------------------------------------------------ wiring
        def on_lang(lg, result, cat, answers):
            lg = _lang(lg)
            widgets = (gr.Markdown(f"## {t('title', lg)}\n\n{t('intro', lg)}"), gr.Tab(t("tab_artisan", lg)), gr.Tab(t("tab_status", lg)),
                       gr.Tab(t("tab_review", lg)), gr.Tab(t("tab_model", lg)), gr.File(label=t("photos", lg)), gr.Image(label=t("camera", lg)),
                       gr.Button(t("analyse", lg)), gr.Dropdown(choices=craft_choices(lg), label=t("category", lg)), gr.Button(t("answer", lg)),
                       gr.Button(t("restart", lg)), gr.Textbox(label=t("declaration", lg)), gr.Textbox(label=t("description", lg)),
                       gr.Textbox(label=t("contact", lg)), gr.Button(t("send", lg)), gr.Textbox(label=t("reference", lg)), gr.Button(t("check", lg)))
            # what is already on the page is shown again in the new language
            results = core.render_results(result, lg) if result else ""
            suggestion, radio = "", gr.Radio(visible=False)
            if cat:
                try:
                    suggestion, radio, _, _ = question_outputs(cat, answers or {}, lg)
                except CraftvisionError:
                    pass
            return widgets + (results, suggestion, radio)

        lang.change(on_lang, [lang, result_state, category, answers_state],
                    [header, tab_artisan, tab_status, tab_review, tab_model, files, camera, analyse_btn, category,
                     answer_btn, restart_btn, declaration, description, contact, send_btn, ref_box, check_btn,
                     results_html, suggestion_html, question],
                    js=SET_DIR_JS, api_name="ui_lang", api_visibility="private")

        def question_outputs(category_id, answers, lg):
            s = core.suggest(category_id, answers, lg)
            q = s["next_question"]
            if q:
                radio = gr.Radio(choices=[(o["label"], o["id"]) for o in q["options"]], value=None,
                                 label=q["text"] + (f" — {q['help']}" if q.get("help") else ""), visible=True)
            else:
                radio = gr.Radio(choices=[], value=None, visible=False)
            decl = s["declaration"]
            decl_text = f"FR: {decl['fr']}\nEN: {decl['en']}" if decl else ""
            return (core.render_suggestion(s, lg), radio, gr.Button(visible=q is not None),
                    gr.Textbox(value=decl_text, visible=bool(decl)))

        @guarded
        def do_analyse(file_list, cam, lg):
            paths = list(file_list or []) + ([cam] if cam else [])
            result = core.analyse(paths, lg)
            cat = result["category"]
            if cat:
                qs = question_outputs(cat, {}, lg)
            else:
                qs = ("", gr.Radio(visible=False), gr.Button(visible=False), gr.Textbox(value="", visible=False))
            return (core.render_results(result, lg), result, {}, gr.Dropdown(value=cat)) + qs

        analyse_btn.click(do_analyse, [files, camera, lang],
                          [results_html, result_state, answers_state, category, suggestion_html, question, answer_btn, declaration],
                          api_name="ui_2", api_visibility="private")

        @guarded
        def do_category(cat, lg):
            if not cat:
                return ({},) + ("", gr.Radio(visible=False), gr.Button(visible=False), gr.Textbox(value="", visible=False))
            return ({},) + question_outputs(cat, {}, lg)

        category.input(do_category, [category, lang], [answers_state, suggestion_html, question, answer_btn, declaration],
                       api_name="ui_3", api_visibility="private")
        restart_btn.click(do_category, [category, lang], [answers_state, suggestion_html, question, answer_btn, declaration],
                          api_name="ui_4", api_visibility="private")

        @guarded
        def do_answer(cat, answers, choice, lg):
            if not cat:
                raise CraftvisionError(t("analyse_first", _lang(lg)))
            s = core.taxonomy.suggest(cat, answers)
            if s.next_question is None or not choice:
                return (answers,) + question_outputs(cat, answers, lg)
            answers = {**answers, s.next_question.id: choice}
            return (answers,) + question_outputs(cat, answers, lg)

        answer_btn.click(do_answer, [category, answers_state, question, lang],
                         [answers_state, suggestion_html, question, answer_btn, declaration], api_name="ui_5", api_visibility="private")

        @guarded
        def do_send(file_list, cam, result, cat, answers, desc, cont, lg):
            paths = list(file_list or []) + ([cam] if cam else [])
            ref = core.submit(paths, result, cat, answers, desc, cont, lg)
            return f"**{t('sent', _lang(lg))}** `{ref}`", ref

        send_btn.click(do_send, [files, camera, result_state, category, answers_state, description, contact, lang], [sent_md, ref_box],
                       api_name="ui_6", api_visibility="private")

        @guarded
        def do_check(ref, lg):
            st = core.check(ref, lg)
            lines = [f"**{st['state_text']}**", f"- {t('reference', _lang(lg))}: `{st['reference']}`"]
            if st["final_code"] or st["suggested_code"]:
                lines.append(f"- {t('final_code', _lang(lg)) if st['final_code'] else t('suggested', _lang(lg))}: "
                             f"HS {st['final_code'] or st['suggested_code']}")
            return "\n".join(lines)

        check_btn.click(do_check, [ref_box, lang], status_md, api_name="ui_7", api_visibility="private")

        # review wiring
        def do_login(u, p):
            try:
                tok = core.login(u, p)
            except CraftvisionError as exc:
                raise gr.Error(str(exc)) from None
            return tok, gr.Group(visible=False), gr.Group(visible=True), f"Connecté / Logged in: **{html.escape(u)}**", ""

        login_btn.click(do_login, [user, password], [token, login_box, review_box, who, password], api_name="ui_8", api_visibility="private")

        def review_call(fn):
            def wrapper(*args):
                try:
                    return fn(*args)
                except CraftvisionError as exc:
                    raise gr.Error(str(exc)) from None
            wrapper.__name__ = fn.__name__
            return wrapper

        @review_call
        def do_queue(tok, cat, dec, order):
            rows = core.queue(tok, cat, dec, order)
            return [[r["id"], r["reference"][:8] + "…", r["created_at"][:19], r["category"], r["decision"], round(r["confidence"], 3),
                     r["suggested_code"] or ""] for r in rows]

        refresh_btn.click(do_queue, [token, f_cat, f_dec, f_order], queue_df, api_name="ui_9", api_visibility="private")

        def detail_view(sub):
            images = []
            for ph in sub["photos"]:
                try:
                    img = predictor.load(Path(ph["path"]), name=ph["original_name"])
                    images.append((np.asarray(img), ph["original_name"]))
                    images.append((np.asarray(predictor.explain(img)), "CAM"))
                except CraftvisionError:
                    continue
            pred = sub["prediction"]
            lines = [f"### #{sub['id']} — {sub['status']}", f"- Soumis / Submitted: {sub['created_at']} ({sub['lang']})",
                     f"- Modèle / Model: `{sub['model_version']}` — décision / decision **{sub['decision']}**",
                     "- Classement / Ranking: " + ", ".join(f"{c['name']} {c['probability']:.1%}" for c in pred["categories"]),
                     f"- Réponses / Answers: `{json.dumps(sub['answers'], ensure_ascii=False)}`",
                     f"- Code suggéré / Suggested code: **{sub['suggested_code'] or '—'}**",
                     f"- Description: {html.escape(sub['description'] or '—')}", "", "#### Historique / History"]
            for h in sub["history"]:
                lines.append(f"- {h['created_at']} — **{h['action']}** by `{html.escape(h['reviewer'])}`: "
                             f"{h['final_category'] or '—'} / {h['final_code'] or '—'} — {html.escape(h['reason'] or '')} (model {h['model_version']})")
            if not sub["history"]:
                lines.append("- (aucune décision / no decision yet)")
            return images, "\n".join(lines)

        @review_call
        def do_open(tok, sid):
            if sid is None:
                raise CraftvisionError("Choose a submission id.")
            return detail_view(core.open_submission(tok, int(sid)))

        open_btn.click(do_open, [token, sub_id], [gallery, detail_md], api_name="ui_10", api_visibility="private")

        @review_call
        def do_decide(tok, sid, act, fcat, fcode, why, rej):
            if sid is None:
                raise CraftvisionError("Choose a submission id.")
            sub = core.decide(tok, int(sid), act, fcat, fcode, rej if act == "reject" else why)
            return detail_view(sub)

        decide_btn.click(do_decide, [token, sub_id, action, fix_cat, fix_code, reason, reject_reason], [gallery, detail_md],
                         api_name="ui_11", api_visibility="private")
        csv_btn.click(review_call(core.export_csv), token, export_file, api_name="ui_12", api_visibility="private")
        ds_btn.click(review_call(core.export_dataset), token, export_file, api_name="ui_13", api_visibility="private")

        def do_logout(tok):
            if tok:
                store.logout(tok)
            return "", gr.Group(visible=True), gr.Group(visible=False)

        logout_btn.click(do_logout, token, [token, login_box, review_box], api_name="ui_14", api_visibility="private")

        # model view
        def load_model_view():
            card = core.model_dir / "MODEL_CARD.md"
            text = card.read_text(encoding="utf-8") if card.exists() else f"Model `{predictor.version}` (no model card found)."
            cm = core.model_dir / "report" / "confusion.png"
            return text, (str(cm) if cm.exists() else None)

        demo.load(load_model_view, None, [model_md, confusion], api_name="ui_15", api_visibility="private")

        # -------------------------------------------------------------------- public API
        # Hidden components carry the programmatic endpoints (gradio_client handles the file uploads).
        with gr.Group(visible=False):
            api_files = gr.File(file_count="multiple")
            api_text = [gr.Textbox() for _ in range(6)]
            api_json = gr.JSON()
            api_out = gr.Textbox()
            api_file_out = gr.File()
            api_btns = [gr.Button() for _ in range(10)]

        def _j(text):
            return json.loads(text) if text else {}

        api_btns[0].click(guarded(lambda f, lg: core.analyse(f, _lang(lg))), [api_files, api_text[0]], api_json, api_name="predict",
                          api_description="Classify photos; returns categories, calibrated probabilities, decision and HS suggestion (JSON).")
        api_btns[1].click(guarded(lambda c, a, lg: core.suggest(c, _j(a), _lang(lg))), api_text[:3], api_json, api_name="suggest",
                          api_description="HS suggestion for a category and answers given as a JSON object {question: option}.")
        api_btns[2].click(guarded(lambda f, c, a, d, ct, lg: core.submit(f, core.analyse(f, _lang(lg)), c, _j(a), d, ct, _lang(lg))),
                          [api_files] + api_text[:5], api_out, api_name="submit",
                          api_description="Send photos (category, answers JSON, description, contact, lang) for customs validation; returns the reference.")
        api_btns[3].click(guarded(lambda r, lg: core.check(r, _lang(lg))), api_text[:2], api_json, api_name="status",
                          api_description="Status and final code of a request, by its reference.")
        api_btns[4].click(review_call(core.login), api_text[:2], api_out, api_name="login",
                          api_description="Reviewer login (username, password); returns a session token.")
        api_btns[5].click(review_call(lambda tok, c, d, o: core.queue(tok, c, d, o or "oldest")), api_text[:4], api_json, api_name="queue",
                          api_description="Pending submissions (token, category, decision, order).")
        api_btns[6].click(review_call(lambda tok, sid: core.public(core.open_submission(tok, int(sid)))), api_text[:2], api_json, api_name="submission",
                          api_description="One submission with its decision history (token, id).")
        api_btns[7].click(review_call(lambda tok, sid, act, c, code, why: core.public(core.decide(tok, int(sid), act, c, code, why))), api_text[:6], api_json,
                          api_name="decide", api_description="Append a decision (token, id, confirm|correct|reject, category, code, reason).")
        api_btns[8].click(review_call(core.export_csv), api_text[0], api_file_out, api_name="export_csv",
                          api_description="All decisions as CSV (token).")
        api_btns[9].click(review_call(core.export_dataset), api_text[0], api_file_out, api_name="export_dataset",
                          api_description="Reviewed photos as a labelled dataset ZIP with a manifest (token).")
    demo.core = core
    return demo


def launch_app(demo, host: str = "127.0.0.1", port: int = 7860, max_photo_mb: int = MAX_PHOTO_MB, **kwargs):
    """Launch with server-side limits: uploads over the size limit are refused by the server itself."""
    demo.queue(default_concurrency_limit=2, max_size=64)
    return demo.launch(server_name=host, server_port=port, max_file_size=f"{max_photo_mb}mb", css=CSS, show_error=True,
                       footer_links=["api"], **kwargs)
