"""Named API endpoints of the destination step, the product search and the decision tree.

/destination (category, code, destination, lang) -> the checked, dated data after the HS code;
/search (query, lang) -> ranked paths and codes with the answers still to give;
/paths (category, lang) -> every complete answer path of a category (the `craftvision hs paths` JSON).
"""

from __future__ import annotations

import gradio as gr

from craftvision.taxonomy import list_paths

from .core import CraftApp
from .destination import advise
from .errors import AppMessage, guarded
from .i18n import lang_of, t
from .tree import search_html


def register_destination_api(core: CraftApp) -> None:
    """Declare the three endpoints inside the current `gr.Blocks`."""

    @guarded
    def destination(category: str, code: str = "", destination: str = "", lang: str = "fr") -> dict:
        """After the HS code, for a destination (us, fr, es, other_eu, other): where the importer's national line is
        looked up, the Moroccan export line, the origin route and its proof, the product rules; each with source and date."""
        if not destination:
            raise AppMessage(t("dest_unknown", lang_of(lang)) + " (us, fr, es, other_eu, other)")
        return advise(core, category, code, destination, lang_of(lang))

    @guarded
    def search(query: str, lang: str = "fr") -> dict:
        """Ranked taxonomy paths and HS 2022 codes for words in French, Arabic or English, with the answers still to give."""
        return search_html(core, query, lang_of(lang))

    @guarded
    def paths(category: str, lang: str = "fr") -> list[dict]:
        """Every complete answer path of a category: answers as [question, option] pairs, the code or the note."""
        return [p.to_dict(lang_of(lang)) for p in list_paths(category, taxonomy=core.taxonomy)]

    for fn in (destination, search, paths):
        gr.api(fn, api_name=fn.__name__)
