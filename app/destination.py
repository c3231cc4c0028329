"""The destination step after the HS code, in the artisan tab and in the review view.

The artisan picks where the product goes (United States, France, Spain, another EU country, another
country) and sees the checked, dated data of `craftvision.taxonomy.destination_advice`: where the
importer's national line is looked up, the Moroccan export line, the preferential-origin route and its
proof, the product rules of the category, each with its source and check date. The choice travels
with the submission inside its stored prediction document (key ``artisan_destination``; the review
store keeps that document as given), and the review view shows the same step for the submission's
category and code, preset to the artisan's choice.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from craftvision.errors import HSCodeError, TaxonomyError
from craftvision.taxonomy import DESTINATIONS, destination_advice

from .core import CraftApp
from .dest_render import render_advice
from .errors import AppMessage, guarded
from .i18n import lang_of, t

#: Key of the artisan's destination in the stored prediction document of a submission.
DESTINATION_KEY = "artisan_destination"


def destination_choices(lang: str) -> list[tuple[str, str]]:
    """(label in `lang`, id) of each destination, in the data's order."""
    return [(t("dest_" + d, lang), d) for d in DESTINATIONS]


def check_destination(destination: str | None, lang: str) -> str | None:
    """The destination id, None when none was chosen; anything else is refused in the user's language."""
    if not destination:
        return None
    if destination not in DESTINATIONS:
        raise AppMessage(f"{t('dest_unknown', lang)} ({', '.join(DESTINATIONS)}; {destination!r})")
    return destination


def advise(core: CraftApp, category: str | None, code: str | None, destination: str | None, lang: str = "fr") -> dict:
    """The destination step as data and HTML (the ``/destination`` endpoint's body).

    Returns:
        ``advice`` (`DestinationAdvice.to_dict`) and ``html``; both None when no destination is chosen.
    """
    lang = lang_of(lang)
    dest = check_destination(destination, lang)
    if not category:
        raise AppMessage(t("analyse_first", lang))
    core.taxonomy.category(category)  # a category the app's taxonomy lacks: the error names the close match
    if dest is None:
        return {"advice": None, "html": None}
    try:
        advice = destination_advice(category, (code or "").strip() or None, dest, lang)
    except TaxonomyError as exc:  # the library says TaxonomyError for a code that is not a subheading, too
        if code and str(exc).startswith("The code"):
            raise HSCodeError(str(exc)) from None
        raise
    return {"advice": advice.to_dict(), "html": render_advice(advice)}


def suggested_code(core: CraftApp, category: str | None, answers: dict | None) -> str | None:
    """The 6-digit code the answers reach ("5701.10"), None while questions remain."""
    if not category:
        return None
    s = core.taxonomy.suggest(category, answers or {})
    return s.code.display if s.code else None


def with_destination(analysis: dict, destination: str | None, lang: str = "fr") -> dict:
    """The analysis to submit, carrying the artisan's destination (when one was chosen)."""
    dest = check_destination(destination, lang_of(lang))
    return {**analysis, DESTINATION_KEY: dest} if dest and analysis else analysis


def artisan_destination(submission: dict) -> str | None:
    """The destination the artisan chose for a stored submission (None if none, or an unknown value)."""
    dest = (submission.get("prediction") or {}).get(DESTINATION_KEY)
    return dest if dest in DESTINATIONS else None


def reviewed_category_and_code(submission: dict) -> tuple[str, str | None]:
    """The category and code a reviewer has now: the latest correction's, else the submission's own."""
    category, code = submission["category"], submission.get("suggested_code")
    for h in submission.get("history", []):
        category, code = h.get("final_category") or category, h.get("final_code") or code
    return category, code


# ------------------------------------------------------------------------------------ artisan tab
def destination_widgets(elem_prefix: str = "dest", label_key: str = "dest_label", with_note: bool = False) -> SimpleNamespace:
    """A destination picker (hidden until there is a category) and the panel that shows its data."""
    radio = gr.Radio(destination_choices("fr"), value=None, label=t(label_key, "fr"), elem_id=f"{elem_prefix}_pick",
                     visible=False, interactive=True)
    note = gr.HTML(elem_id=f"{elem_prefix}_note") if with_note else None
    return SimpleNamespace(radio=radio, note=note, panel=gr.HTML(elem_id=f"{elem_prefix}_info"))


def _relabel(key: str):
    return lambda lg: gr.Radio(choices=destination_choices(lg), label=t(key, lg))


def wire_artisan_destination(core: CraftApp, w: SimpleNamespace, lang: gr.Radio, labels: list) -> None:
    """Show the picker once a category is set; re-render when the destination, answers or language change."""
    d = w.destination
    labels.append((d.radio, _relabel("dest_label")))

    @guarded
    def show(cat, given, dest, lg):
        if not cat:
            return gr.Radio(visible=False, value=None), ""
        out = advise(core, cat, suggested_code(core, cat, given), dest, lg)
        return gr.Radio(visible=True), out["html"] or ""

    # The suggestion is re-rendered after every analysis, answer, restart, category change and language switch.
    for event in (d.radio.input, w.suggestion.change):
        event(show, [w.category, w.answers, d.radio, lang], [d.radio, d.panel], api_visibility="private",
              show_progress="hidden")


# ------------------------------------------------------------------------------------ review view
def review_destination_widgets() -> SimpleNamespace:
    """The review view's destination picker and panel, with the submission they were last shown for."""
    w = destination_widgets("review_dest", "dest_review_label", with_note=True)
    w.shown_for = gr.State(None)
    return w


def wire_review_destination(core: CraftApp, w: SimpleNamespace, lang: gr.Radio, labels: list) -> None:
    """When a submission opens, preset the artisan's destination; a reviewer may pick another to compare."""
    d = w.dest
    labels.append((d.radio, _relabel("dest_review_label")))

    @guarded
    def show(tok, sid, dest, shown_for, lg):
        if sid is None or not tok:
            return gr.Radio(visible=False, value=None), "", "", None
        sub = core.open_submission(tok, sid)
        chosen = artisan_destination(sub)
        if shown_for != sid:  # a newly opened submission: start from the artisan's own choice
            dest = chosen
        note = "" if chosen else f'<p class="cv-note">{t("dest_artisan_none", lg)}</p>'
        category, code = reviewed_category_and_code(sub)
        out = advise(core, category, code, dest, lg)
        return gr.Radio(visible=True, value=dest), note, out["html"] or "", sid

    inputs, outputs = [w.token, w.current, d.radio, d.shown_for, lang], [d.radio, d.note, d.panel, d.shown_for]
    for event in (w.detail.change, d.radio.input, lang.change):
        event(show, inputs, outputs, api_visibility="private", show_progress="hidden")
