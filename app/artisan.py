"""The artisan's tabs: photos of one product -> one fused answer -> questions -> code -> send; and status.

Each builder registers its labels in `labels` ((component, update(lang)) pairs) so the language
switch relabels everything; its own rendered HTML is re-rendered on the switch here.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from .core import CraftApp
from .destination import destination_widgets, wire_artisan_destination, with_destination
from .errors import AppMessage, guarded
from .i18n import lang_of, t
from .render import render_product, render_status, render_suggestion


def _label(kind, key):
    return lambda lg: kind(label=t(key, lg))


def _value(kind, key):
    return lambda lg: kind(value=t(key, lg))


def _question_outputs(core: CraftApp, category: str | None, answers: dict, lang: str) -> tuple:
    """(suggestion HTML, question radio, answer button, declaration) for a category and answers."""
    if not category:
        return "", gr.Radio(choices=[], value=None, visible=False), gr.Button(visible=False), gr.Textbox(value="", visible=False)
    s = core.suggest(category, answers, lang)
    q = s["next_question"]
    if q:
        label = q["text"] + (f" — {q['help']}" if q.get("help") else "")
        radio = gr.Radio(choices=[(o["label"], o["id"]) for o in q["options"]], value=None, label=label, visible=True)
    else:
        radio = gr.Radio(choices=[], value=None, visible=False)
    decl = s["declaration"]
    decl_text = f"FR: {decl['fr']}\nEN: {decl['en']}" if decl else ""
    return (render_suggestion(s, lang, core.taxonomy), radio, gr.Button(visible=q is not None),
            gr.Textbox(value=decl_text, visible=bool(decl)))


def build_artisan_tab(core: CraftApp, lang: gr.Radio, labels: list) -> None:
    """The 'Get a code' tab."""
    w = _widgets(core)
    labels += [(w.files, lambda lg: gr.File(label=t("photos", lg, n=core.max_photos))), (w.analyse_btn, _value(gr.Button, "analyse")),
               (w.category, lambda lg: gr.Dropdown(choices=core.choices(lg), label=t("category", lg))),
               (w.answer_btn, _value(gr.Button, "answer")), (w.restart_btn, _value(gr.Button, "restart")),
               (w.declaration, _label(gr.Textbox, "declaration")), (w.description, _label(gr.Textbox, "description")),
               (w.contact, _label(gr.Textbox, "contact")), (w.send_btn, _value(gr.Button, "send"))]
    _wire_analysis(core, w, lang)
    _wire_questions(core, w, lang)
    wire_artisan_destination(core, w, lang, labels)


def _widgets(core: CraftApp) -> SimpleNamespace:
    # On a phone, the photo picker (accept="image/*") offers the camera itself.
    w = SimpleNamespace(analysis=gr.State({}), answers=gr.State({}))
    w.files = gr.File(file_count="multiple", file_types=["image", ".heic", ".heif"], label=t("photos", "fr", n=core.max_photos),
                      elem_id="photos", height=170)
    gr.HTML('<div id="cv-thumbs"></div>', elem_id="thumbs")  # the chosen photos, drawn by the page script before upload
    w.analyse_btn = gr.Button(t("analyse", "fr"), variant="primary", elem_id="analyse")
    w.results = gr.HTML(elem_id="results")
    w.category = gr.Dropdown(core.choices("fr"), value=None, label=t("category", "fr"), elem_id="category", interactive=True)
    w.suggestion = gr.HTML(elem_id="suggestion")
    w.question = gr.Radio([], label=t("question", "fr"), visible=False, elem_id="question")
    with gr.Row():
        w.answer_btn = gr.Button(t("answer", "fr"), visible=False, elem_id="answer")
        w.restart_btn = gr.Button(t("restart", "fr"), size="sm", elem_id="restart")
    w.declaration = gr.Textbox(label=t("declaration", "fr"), lines=3, buttons=["copy"], interactive=False, visible=False,
                               elem_id="declaration")
    w.destination = destination_widgets()  # the destination step, after the declaration line
    w.description = gr.Textbox(label=t("description", "fr"), lines=2, max_length=2000, elem_id="description")
    w.contact = gr.Textbox(label=t("contact", "fr"), max_length=200, elem_id="contact")
    w.send_btn = gr.Button(t("send", "fr"), variant="primary", elem_id="send")
    w.sent = gr.HTML(elem_id="sent")
    w.question_out = [w.suggestion, w.question, w.answer_btn, w.declaration]
    return w


def _wire_analysis(core: CraftApp, w: SimpleNamespace, lang: gr.Radio) -> None:
    @guarded
    def do_analyse(file_list, lg, progress=gr.Progress()):
        result = core.analyse(list(file_list or []), lg, progress)
        cat = result["category"]
        return (render_product(result, lg, core.category_name), result, {}, gr.Dropdown(value=cat), "") + \
            _question_outputs(core, cat, {}, lg)

    analyse_out = [w.results, w.analysis, w.answers, w.category, w.sent] + w.question_out
    # The upload itself starts the analysis; the button runs it again (after a category was changed, say).
    for event in (w.files.upload, w.analyse_btn.click):
        event(do_analyse, [w.files, lang], analyse_out, api_visibility="private", show_progress="full")

    @guarded
    def do_send(result, cat, given, desc, cont, dest, lg):
        ref = core.submit(with_destination(result, dest, lg), cat, given, desc, cont, lg)
        return f'<p dir="auto"><b>{t("sent", lg)}</b> <code class="cv-data">{ref}</code></p>'

    w.send_btn.click(do_send, [w.analysis, w.category, w.answers, w.description, w.contact, w.destination.radio, lang], w.sent,
                     api_visibility="private")

    def rerender(lg, result, cat, given):
        product = render_product(result, lg, core.category_name) if result else ""
        try:
            return (product,) + _question_outputs(core, cat, given or {}, lg)[:2]
        except Exception:  # noqa: BLE001 - a stale answer must not block the language switch
            return product, "", gr.Radio(visible=False)

    lang.change(rerender, [lang, w.analysis, w.category, w.answers], [w.results, w.suggestion, w.question],
                api_visibility="private")


def _wire_questions(core: CraftApp, w: SimpleNamespace, lang: gr.Radio) -> None:
    @guarded
    def do_category(cat, lg):
        return ({},) + _question_outputs(core, cat, {}, lg)

    for event in (w.category.input, w.restart_btn.click):
        event(do_category, [w.category, lang], [w.answers] + w.question_out, api_visibility="private")

    @guarded
    def do_answer(cat, given, choice, lg):
        if not cat:
            raise AppMessage(t("analyse_first", lang_of(lg)))
        nxt = core.taxonomy.suggest(cat, given).next_question
        if nxt is not None and choice:
            given = {**given, nxt.id: choice}
        return (given,) + _question_outputs(core, cat, given, lg)

    w.answer_btn.click(do_answer, [w.category, w.answers, w.question, lang], [w.answers] + w.question_out,
                       api_visibility="private")


def build_status_tab(core: CraftApp, lang: gr.Radio, labels: list) -> None:
    """The 'Check my request' tab."""
    ref_box = gr.Textbox(label=t("reference", "fr"), elem_id="reference")
    check_btn = gr.Button(t("check", "fr"), elem_id="check")
    status = gr.HTML(elem_id="status_text")
    labels += [(ref_box, _label(gr.Textbox, "reference")), (check_btn, _value(gr.Button, "check"))]

    @guarded
    def do_check(ref, lg):
        return render_status(core.check(ref, lg), lg)

    check_btn.click(do_check, [ref_box, lang], status, api_visibility="private")
