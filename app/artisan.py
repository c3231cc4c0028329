"""The artisan's tabs: photos of one product -> one fused answer -> questions -> code -> send; and status.

Each builder registers its labels in `labels` ((component, update(lang)) pairs) so the language
switch relabels everything; its own rendered HTML is re-rendered on the switch here.
"""

from __future__ import annotations

import gradio as gr

from .core import CraftApp
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
    analysis = gr.State({})
    answers = gr.State({})
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=260):
            files = gr.File(file_count="multiple", file_types=["image", ".heic", ".heif"], label=t("photos", "fr"),
                            elem_id="photos", height=170)
            gr.HTML('<div id="cv-thumbs"></div>', elem_id="thumbs")  # thumbnails of the chosen photos, drawn by the page script before upload
        camera = gr.Image(sources=["webcam"], type="filepath", label=t("camera", "fr"), elem_id="camera", height=230, scale=2,
                          min_width=200)
    analyse_btn = gr.Button(t("analyse", "fr"), variant="primary", elem_id="analyse")
    results = gr.HTML(elem_id="results")
    category = gr.Dropdown(core.choices("fr"), value=None, label=t("category", "fr"), elem_id="category", interactive=True)
    suggestion = gr.HTML(elem_id="suggestion")
    question = gr.Radio([], label=t("question", "fr"), visible=False, elem_id="question")
    with gr.Row():
        answer_btn = gr.Button(t("answer", "fr"), visible=False, elem_id="answer")
        restart_btn = gr.Button(t("restart", "fr"), size="sm", elem_id="restart")
    declaration = gr.Textbox(label=t("declaration", "fr"), lines=3, buttons=["copy"], interactive=False, visible=False,
                             elem_id="declaration")
    description = gr.Textbox(label=t("description", "fr"), lines=2, max_length=2000, elem_id="description")
    contact = gr.Textbox(label=t("contact", "fr"), max_length=200, elem_id="contact")
    send_btn = gr.Button(t("send", "fr"), variant="primary", elem_id="send")
    sent = gr.HTML(elem_id="sent")
    labels += [(files, _label(gr.File, "photos")), (camera, _label(gr.Image, "camera")), (analyse_btn, _value(gr.Button, "analyse")),
               (category, lambda lg: gr.Dropdown(choices=core.choices(lg), label=t("category", lg))),
               (answer_btn, _value(gr.Button, "answer")), (restart_btn, _value(gr.Button, "restart")),
               (declaration, _label(gr.Textbox, "declaration")), (description, _label(gr.Textbox, "description")),
               (contact, _label(gr.Textbox, "contact")), (send_btn, _value(gr.Button, "send"))]
    question_out = [suggestion, question, answer_btn, declaration]

    @guarded
    def do_analyse(file_list, cam, lg, progress=gr.Progress()):
        result = core.analyse(list(file_list or []) + ([cam] if cam else []), lg, progress)
        cat = result["category"]
        return (render_product(result, lg, core.category_name), result, {}, gr.Dropdown(value=cat), "") + \
            _question_outputs(core, cat, {}, lg)

    analyse_out = [results, analysis, answers, category, sent] + question_out
    files.upload(do_analyse, [files, camera, lang], analyse_out, api_visibility="private", show_progress="full")
    analyse_btn.click(do_analyse, [files, camera, lang], analyse_out, api_visibility="private", show_progress="full")

    @guarded
    def do_category(cat, lg):
        return ({},) + _question_outputs(core, cat, {}, lg)

    for event in (category.input, restart_btn.click):
        event(do_category, [category, lang], [answers] + question_out, api_visibility="private")

    @guarded
    def do_answer(cat, given, choice, lg):
        if not cat:
            raise AppMessage(t("analyse_first", lang_of(lg)))
        nxt = core.taxonomy.suggest(cat, given).next_question
        if nxt is not None and choice:
            given = {**given, nxt.id: choice}
        return (given,) + _question_outputs(core, cat, given, lg)

    answer_btn.click(do_answer, [category, answers, question, lang], [answers] + question_out, api_visibility="private")

    @guarded
    def do_send(result, cat, given, desc, cont, lg):
        ref = core.submit(result, cat, given, desc, cont, lg)
        return f'<p dir="auto"><b>{t("sent", lg)}</b> <code class="cv-data">{ref}</code></p>'

    send_btn.click(do_send, [analysis, category, answers, description, contact, lang], sent, api_visibility="private")

    def rerender(lg, result, cat, given):
        product = render_product(result, lg, core.category_name) if result else ""
        try:
            return (product,) + _question_outputs(core, cat, given or {}, lg)[:2]
        except Exception:  # noqa: BLE001 - a stale answer must not block the language switch
            return product, "", gr.Radio(visible=False)

    lang.change(rerender, [lang, analysis, category, answers], [results, suggestion, question], api_visibility="private")


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
