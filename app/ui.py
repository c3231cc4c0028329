"""Assembles the app: language picker, the artisan, status, review and model tabs, and the API.

`build_app(predictor, store, taxonomy)` builds everything; nothing loads at import time. Every
visible text goes through the translation table (`i18n.TEXT`); the language switch relabels every
registered widget and sets the page's direction (Arabic right-to-left).
"""

from __future__ import annotations

from pathlib import Path

from craftvision.predictor import Predictor
from craftvision.review import ReviewStore
from craftvision.taxonomy import Taxonomy

from .core import MAX_PHOTO_MB, MAX_PHOTOS, CraftApp
from .i18n import LANGS, lang_of, t
from .page import BROWSER_LANG_JS, CSS, PAGE_JS, SET_DIR_JS


def _header(lang: str, max_photos: int) -> str:
    return f"## {t('title', lang)}\n\n{t('intro', lang, n=max_photos)}"


def _model_tab(core: CraftApp, lang, labels: list, demo) -> None:
    import gradio as gr

    card = gr.Markdown(elem_id="model_card", elem_classes=["cv-data"])  # the model card is English data
    confusion = gr.Image(label=t("confusion", "fr"), interactive=False, elem_id="confusion")
    labels.append((confusion, lambda lg: gr.Image(label=t("confusion", lg))))

    def view(lg):
        path = core.model_dir / "MODEL_CARD.md"
        text = path.read_text(encoding="utf-8") if path.exists() else t("model_card_missing", lg)
        cm = core.model_dir / "report" / "confusion.png"
        return text, (str(cm) if cm.exists() else None)

    demo.load(view, lang, [card, confusion], api_visibility="private")
    lang.change(view, lang, [card, confusion], api_visibility="private")
    from .tree import build_taxonomy_views

    build_taxonomy_views(core, lang, labels, demo)  # product search and decision tree


def build_app(predictor: Predictor, store: ReviewStore, taxonomy: Taxonomy, *, max_photos: int = MAX_PHOTOS,
              max_photo_mb: int = MAX_PHOTO_MB, model_dir: Path | None = None):
    """Build the Gradio Blocks app (not launched). See `launch_app` for the server settings."""
    import gradio as gr

    from .api import register_api
    from .api_dest import register_destination_api
    from .artisan import build_artisan_tab, build_status_tab
    from .review import build_review_tab

    core = CraftApp(predictor, store, taxonomy, max_photos, max_photo_mb, model_dir)
    labels: list = []
    with gr.Blocks(title="craftvision") as demo:
        lang = gr.Radio([(v, k) for k, v in LANGS.items()], value="fr", label=t("lang_label", "fr"), elem_id="lang")
        header = gr.Markdown(_header("fr", max_photos), elem_id="header")
        labels += [(lang, lambda lg: gr.Radio(label=t("lang_label", lg))), (header, lambda lg: gr.Markdown(_header(lg, max_photos)))]
        with gr.Tabs():
            for tab_id, key, build in (("artisan", "tab_artisan", build_artisan_tab), ("status", "tab_status", build_status_tab),
                                       ("review", "tab_review", None), ("model", "tab_model", None)):
                with gr.Tab(t(key, "fr"), id=tab_id, elem_id=f"tab_{tab_id}") as tab:
                    if tab_id == "review":
                        build_review_tab(core, lang, labels)
                    elif tab_id == "model":
                        _model_tab(core, lang, labels, demo)
                    else:
                        build(core, lang, labels)
                labels.append((tab, (lambda k: lambda lg: gr.Tab(label=t(k, lg)))(key)))
        widgets = [w for w, _ in labels]
        lang.change(lambda lg: tuple(update(lang_of(lg)) for _, update in labels), lang, widgets, js=SET_DIR_JS,
                    api_visibility="private", show_progress="hidden", queue=False)
        demo.load(None, None, lang, js=BROWSER_LANG_JS, api_visibility="private")
        register_api(core)
        register_destination_api(core)  # /destination, /search, /paths
    demo.core = core
    return demo


def launch_app(demo, host: str = "127.0.0.1", port: int = 7860, max_photo_mb: int = MAX_PHOTO_MB, **kwargs):
    """Launch with server-side limits: uploads over the size limit are refused by the server itself."""
    import gradio as gr

    demo.queue(default_concurrency_limit=2, max_size=64)
    # Gradio's progress and queue-position messages: its tables lack "common.complete" and have the
    # queue position (shown while other artisans' photos are being read) in English only.
    i18n = gr.I18n(**{lg: {"common.complete": t("done", lg), "status.queue_position": t("queue_position", lg)} for lg in LANGS})
    return demo.launch(server_name=host, server_port=port, max_file_size=f"{max_photo_mb}mb", css=CSS, js=PAGE_JS,
                       show_error=True, footer_links=["api"], i18n=i18n, **kwargs)
