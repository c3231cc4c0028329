"""The customs desk: log in, filter the queue, click a row to open it, confirm / correct / reject, export.

Filters and sort are kept in the browser (`gr.BrowserState`) so they survive decisions and reloads;
the page script maps the keys C, K, R and N to confirm, correct, reject and next.
"""

from __future__ import annotations

import html
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np

from craftvision.errors import CraftvisionError
from craftvision.review import REJECT_REASONS

from .core import CraftApp
from .destination import review_destination_widgets, wire_review_destination
from .errors import AppMessage, guarded
from .i18n import lang_of, t
from .render import queue_rows, render_detail

QUEUE_COLUMNS = ("col_id", "col_created", "col_category", "col_decision", "col_confidence", "col_code")


def _filters(core: CraftApp, lg: str) -> tuple:
    cats = [(t("any", lg), "")] + core.choices(lg, with_not_a_craft=True)
    decisions = [(t("any", lg), "")] + [(t("short_" + d, lg), d) for d in ("accept", "review", "not_a_craft")]
    orders = [(t("order_oldest", lg), "oldest"), (t("order_least_confident", lg), "least_confident")]
    reasons = [(t("reason_" + r, lg), r) for r in REJECT_REASONS]
    return cats, decisions, orders, reasons


def _fix_choices(core: CraftApp, lg: str) -> list[tuple[str, str]]:
    return [(t("unchanged", lg), "")] + core.choices(lg, with_not_a_craft=True)


def _gallery(core: CraftApp, sub: dict, lang: str) -> list:
    """Each photo and where the model looked (class activation map), captioned in the reviewer's language."""
    images = []
    for n, ph in enumerate(sub["photos"], 1):
        try:
            img = core.predictor.load(Path(ph["path"]), name=ph["original_name"])
        except CraftvisionError:
            continue
        images += [(np.asarray(img), t("photo_n", lang, n=n)), (np.asarray(core.predictor.explain(img)), t("cam_n", lang, n=n))]
    return images


def build_review_tab(core: CraftApp, lang: gr.Radio, labels: list) -> None:
    """The 'Customs review' tab."""
    w = _widgets(core)
    labels += _labels(w)
    lang.change(lambda lg: _relabel_filters(core, lg), lang, [w.f_cat, w.f_dec, w.f_order, w.fix_cat, w.reject_reason],
                api_visibility="private")
    _wire_queue(core, w, lang)
    _wire_decisions(core, w, lang)
    wire_review_destination(core, w, lang, labels)


def _widgets(core: CraftApp) -> SimpleNamespace:
    w = SimpleNamespace(token=gr.State(""), current=gr.State(None), ids=gr.State([]))
    w.prefs = gr.BrowserState({"category": "", "decision": "", "order": "oldest"}, storage_key="craftvision-review-filters")
    cats, decisions, orders, reasons = _filters(core, "fr")
    with gr.Group(visible=True) as w.login_box:
        w.user = gr.Textbox(label=t("user", "fr"), elem_id="user")
        w.password = gr.Textbox(label=t("password", "fr"), type="password", elem_id="password")
        w.login_btn = gr.Button(t("login", "fr"), elem_id="login")
    with gr.Group(visible=False, elem_id="desk") as w.desk:
        w.who = gr.HTML()
        with gr.Row():
            w.f_cat = gr.Dropdown(cats, value="", label=t("filter_category", "fr"), elem_id="f_cat")
            w.f_dec = gr.Dropdown(decisions, value="", label=t("filter_decision", "fr"), elem_id="f_dec")
            w.f_order = gr.Radio(orders, value="oldest", label=t("order", "fr"), elem_id="f_order")
            w.refresh_btn = gr.Button(t("refresh", "fr"), elem_id="refresh", scale=0)
        w.help_md = gr.Markdown(t("queue_help", "fr"), elem_id="queue_help")
        w.table = gr.Dataframe(headers=[t(k, "fr") for k in QUEUE_COLUMNS], interactive=False, elem_id="queue", max_height=320)
        w.gallery = gr.Gallery(label=t("gallery", "fr"), columns=4, height=240, elem_id="gallery")
        w.detail = gr.HTML(elem_id="detail")
        w.dest = review_destination_widgets()  # the destination step for the submission's category and code
        with gr.Row():
            w.fix_cat = gr.Dropdown(_fix_choices(core, "fr"), value="", label=t("fix_category", "fr"), elem_id="fix_cat")
            w.fix_code = gr.Textbox(label=t("fix_code", "fr"), elem_id="fix_code")
            w.reason = gr.Textbox(label=t("reason", "fr"), elem_id="reason")
            w.reject_reason = gr.Dropdown(reasons, value=REJECT_REASONS[0], label=t("reject_reason", "fr"), elem_id="reject_reason")
        with gr.Row():
            w.buttons = {k: gr.Button(t(k, "fr"), elem_id=f"do_{k}", variant="primary" if k == "confirm" else "secondary")
                         for k in ("confirm", "correct", "reject", "next")}
        with gr.Row():
            w.csv_btn = gr.Button(t("export_csv", "fr"), elem_id="export_csv")
            w.ds_btn = gr.Button(t("export_dataset", "fr"), elem_id="export_dataset")
            w.logout_btn = gr.Button(t("logout", "fr"), elem_id="logout")
        w.export_file = gr.File(label=t("export_file", "fr"), elem_id="export_file")
    return w


def _relabel_filters(core: CraftApp, lg: str) -> tuple:
    c, d, o, r = _filters(core, lg)
    return (gr.Dropdown(choices=c, label=t("filter_category", lg)), gr.Dropdown(choices=d, label=t("filter_decision", lg)),
            gr.Radio(choices=o, label=t("order", lg)), gr.Dropdown(choices=_fix_choices(core, lg), label=t("fix_category", lg)),
            gr.Dropdown(choices=r, label=t("reject_reason", lg)))


def _labels(w: SimpleNamespace) -> list:
    def label(kind, key):
        return lambda lg: kind(label=t(key, lg))

    def value(kind, key):
        return lambda lg: kind(value=t(key, lg))

    out = [(w.user, label(gr.Textbox, "user")), (w.password, label(gr.Textbox, "password")), (w.login_btn, value(gr.Button, "login")),
           (w.refresh_btn, value(gr.Button, "refresh")), (w.help_md, value(gr.Markdown, "queue_help")),
           (w.gallery, label(gr.Gallery, "gallery")), (w.fix_code, label(gr.Textbox, "fix_code")), (w.reason, label(gr.Textbox, "reason")),
           (w.csv_btn, value(gr.Button, "export_csv")), (w.ds_btn, value(gr.Button, "export_dataset")),
           (w.logout_btn, value(gr.Button, "logout")), (w.export_file, label(gr.File, "export_file"))]
    return out + [(b, value(gr.Button, k)) for k, b in w.buttons.items()]


def _views(core: CraftApp):
    def queue_view(tok, cat, dec, order, lg):
        rows = core.queue(tok, cat, dec, order) if tok else []
        headers = [t(k, lg) for k in QUEUE_COLUMNS]
        return gr.Dataframe(value=queue_rows(rows, lg, core.category_name) or None, headers=headers), [r["id"] for r in rows]

    def open_view(tok, sid, lg):
        sub = core.open_submission(tok, sid)
        return sid, _gallery(core, sub, lg), render_detail(sub, lg, core.category_name)

    return guarded(queue_view), open_view


def _wire_queue(core: CraftApp, w: SimpleNamespace, lang: gr.Radio) -> None:
    queue_view, open_view = _views(core)
    filters = [w.f_cat, w.f_dec, w.f_order]
    queue_in, queue_out = [w.token] + filters + [lang], [w.table, w.ids]

    @guarded
    def do_login(u, p, lg):
        tok = core.login(u, p)
        return tok, gr.Group(visible=False), gr.Group(visible=True), f'<p dir="auto">{t("logged_in", lg)} <b class="cv-data">{html.escape(u)}</b></p>', ""

    def restore(p):
        p = p or {}
        return p.get("category", ""), p.get("decision", ""), p.get("order", "oldest")

    # After login: the reviewer's last filters and sort (kept in this browser), then the queue they select.
    w.login_btn.click(do_login, [w.user, w.password, lang], [w.token, w.login_box, w.desk, w.who, w.password],
                      api_visibility="private").success(restore, w.prefs, filters, api_visibility="private").then(
        queue_view, queue_in, queue_out, api_visibility="private")
    w.refresh_btn.click(queue_view, queue_in, queue_out, api_visibility="private")
    for f in filters:
        f.input(queue_view, queue_in, queue_out, api_visibility="private").then(
            lambda c, d, o: {"category": c, "decision": d, "order": o}, filters, w.prefs, api_visibility="private")
    lang.change(queue_view, queue_in, queue_out, api_visibility="private")

    @guarded
    def do_select(tok, row_ids, lg, evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return open_view(tok, row_ids[row], lg)

    w.table.select(do_select, [w.token, w.ids, lang], [w.current, w.gallery, w.detail], api_visibility="private")

    def do_logout(tok):
        if tok:
            core.store.logout(tok)
        return "", gr.Group(visible=True), gr.Group(visible=False)

    w.logout_btn.click(do_logout, w.token, [w.token, w.login_box, w.desk], api_visibility="private")


def _wire_decisions(core: CraftApp, w: SimpleNamespace, lang: gr.Radio) -> None:
    queue_view, open_view = _views(core)
    queue_in, queue_out = [w.token, w.f_cat, w.f_dec, w.f_order, lang], [w.table, w.ids]
    open_out = [w.current, w.gallery, w.detail]

    def decider(action):
        @guarded
        def do_decide(tok, sid, fcat, fcode, why, rej, lg):
            if sid is None:
                raise AppMessage(t("no_open", lang_of(lg)))
            core.decide(tok, sid, action, fcat if action == "correct" else "", fcode if action == "correct" else "",
                        rej if action == "reject" else (why if action == "correct" else ""))
            return open_view(tok, sid, lg)
        return do_decide

    for action in ("confirm", "correct", "reject"):
        w.buttons[action].click(decider(action), [w.token, w.current, w.fix_cat, w.fix_code, w.reason, w.reject_reason, lang],
                                open_out, api_visibility="private").then(queue_view, queue_in, queue_out, api_visibility="private")

    @guarded
    def do_next(tok, sid, row_ids, lg):
        later = [i for i in row_ids if sid is None or i > sid] or [i for i in row_ids if i != sid]
        if not later:
            raise AppMessage(t("queue_empty", lang_of(lg)))
        return open_view(tok, later[0], lg)

    w.buttons["next"].click(queue_view, queue_in, queue_out, api_visibility="private").then(
        do_next, [w.token, w.current, w.ids, lang], open_out, api_visibility="private")
    w.csv_btn.click(guarded(lambda tok, lg: core.export(tok, "csv")), [w.token, lang], w.export_file, api_visibility="private")
    w.ds_btn.click(guarded(lambda tok, lg: core.export(tok, "dataset")), [w.token, lang], w.export_file, api_visibility="private")
