"""The Model tab's taxonomy views: a product search in three languages and the decision tree.

The search ranks the taxonomy's paths and the HS 2022 codes for a few words
(`craftvision.taxonomy.search_products`) and shows where each ends and the answers still to give;
the decision tree lists every complete answer path of a category (`craftvision.taxonomy.list_paths`),
the same listing customs staff get from `craftvision hs paths`.
"""

from __future__ import annotations

import html

import gradio as gr

from craftvision.errors import QueryError
from craftvision.taxonomy import list_paths, search_products

from .core import CraftApp
from .dest_render import render_hits, render_paths
from .errors import AppMessage, guarded
from .i18n import lang_of, t

SEARCH_LIMIT = 5


def search_html(core: CraftApp, query: str, lang: str = "fr", limit: int = SEARCH_LIMIT) -> dict:
    """Ranked hits for `query` as data and HTML (the ``/search`` endpoint's body).

    An empty query is refused with a translated message; a query that matches nothing gives the
    translated "nothing matches" text (and the library's own words) instead of hits.
    """
    lang = lang_of(lang)
    if not (query or "").strip():
        raise AppMessage(t("search_empty", lang))
    try:
        hits = search_products(query, limit=limit, taxonomy=core.taxonomy)
    except QueryError as exc:
        text = f'<p class="cv-warn" dir="auto">{t("search_nothing", lang)}</p><p class="cv-note cv-data" lang="en">{html.escape(str(exc))}</p>'
        return {"hits": [], "message": str(exc), "html": text}
    return {"hits": [h.to_dict(lang, core.taxonomy) for h in hits], "message": None,
            "html": render_hits(hits, core.taxonomy, lang)}


def tree_html(core: CraftApp, category: str | None, lang: str = "fr") -> str:
    """Every path of `category` as an HTML table ("" when no category is chosen)."""
    if not category:
        return ""
    return render_paths(list_paths(category, taxonomy=core.taxonomy), core.taxonomy, lang_of(lang))


def build_taxonomy_views(core: CraftApp, lang: gr.Radio, labels: list, demo: gr.Blocks) -> None:
    """Search box and decision tree, below the model card."""
    search_head = gr.Markdown(f"### {t('search_title', 'fr')}", elem_id="search_title")
    with gr.Row():
        box = gr.Textbox(label=t("search_box", "fr"), elem_id="search_box", max_length=300, scale=4)
        button = gr.Button(t("search_btn", "fr"), elem_id="search_btn", scale=1)
    hits = gr.HTML(elem_id="search_hits")
    tree_head = gr.Markdown(f"### {t('tree_title', 'fr')}", elem_id="tree_title")
    first = core.crafts[0] if core.crafts else None
    picker = gr.Dropdown(core.choices("fr"), value=first, label=t("tree_category", "fr"), elem_id="tree_category")
    table = gr.HTML(elem_id="tree_paths")
    labels += [(search_head, lambda lg: gr.Markdown(f"### {t('search_title', lg)}")),
               (box, lambda lg: gr.Textbox(label=t("search_box", lg))), (button, lambda lg: gr.Button(value=t("search_btn", lg))),
               (tree_head, lambda lg: gr.Markdown(f"### {t('tree_title', lg)}")),
               (picker, lambda lg: gr.Dropdown(choices=core.choices(lg), label=t("tree_category", lg)))]

    @guarded
    def do_search(query, lg):
        return search_html(core, query, lg)["html"]

    def rerun_search(query, lg):  # the language switch: re-render what was searched, if anything
        return search_html(core, query, lg)["html"] if (query or "").strip() else ""

    for event in (button.click, box.submit):
        event(do_search, [box, lang], hits, api_visibility="private")
    lang.change(rerun_search, [box, lang], hits, api_visibility="private", show_progress="hidden")
    show_tree = guarded(lambda cat, lg: tree_html(core, cat, lg))
    picker.input(show_tree, [picker, lang], table, api_visibility="private")
    lang.change(show_tree, [picker, lang], table, api_visibility="private", show_progress="hidden")
    demo.load(show_tree, [picker, lang], table, api_visibility="private")
