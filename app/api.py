"""The app's named API endpoints (``gr.api``), for `gradio_client` and any HTTP client.

/predict, /predict_product, /suggest, /submit, /status (artisans); /login, /queue, /submission,
/decide, /export (reviewers, with the session token from /login). Errors come back as messages
in the language asked for (``lang``), the library's detail beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
from gradio import FileData
from gradio.utils import get_upload_folder

from .core import CraftApp, public
from .destination import with_destination
from .errors import AppMessage, guarded
from .i18n import lang_of


def _uploaded(photos: list) -> list[str]:
    """Paths of files the client uploaded; anything outside the upload folder is refused."""
    root = Path(get_upload_folder()).resolve()
    out = []
    for p in photos or []:
        path = Path(p["path"] if isinstance(p, dict) else getattr(p, "path", p)).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise AppMessage(f"The photo {path.name!r} was not uploaded through this app's upload route.")
        out.append(str(path))
    return out


def _answers(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise AppMessage(f"answers must be a JSON object like {{\"fibre\": \"wool\"}}; got {text!r} ({exc.msg}).") from None
    if not isinstance(value, dict):
        raise AppMessage(f"answers must be a JSON object like {{\"fibre\": \"wool\"}}; got {text!r}.")
    return value


def register_api(core: CraftApp) -> None:
    """Declare every endpoint inside the current `gr.Blocks`."""

    @guarded
    def predict(photos: list[FileData], lang: str = "fr") -> dict:
        """Each photo on its own (not fused): categories, calibrated probabilities, decision, HS suggestion, hints."""
        paths = [path for _, path in core.read_uploads(_uploaded(photos), lang_of(lang))]
        own = [public(core.analyse([p], lang_of(lang)))["photos"][0] for p in paths]
        return {"photos": [{k: v for k, v in p.items() if k != "disagrees"} for p in own], "model_version": core.predictor.version}

    @guarded
    def predict_product(photos: list[FileData], lang: str = "fr") -> dict:
        """Up to 8 photos of one product: one fused ranking and decision, each photo's own answer beside it."""
        return public(core.analyse(_uploaded(photos), lang_of(lang)))

    @guarded
    def suggest(category: str, answers: str = "{}", lang: str = "fr") -> dict:
        """HS suggestion for a category and answers given as a JSON object {question: option}."""
        return core.suggest(category, _answers(answers), lang_of(lang))

    @guarded
    def submit(photos: list[FileData], category: str, answers: str = "{}", description: str = "", contact: str = "",
               lang: str = "fr", destination: str = "") -> str:
        """Send one product's photos for a customs check (one model pass per photo), with its destination; returns the reference."""
        analysis = with_destination(core.analyse(_uploaded(photos), lang_of(lang)), destination, lang_of(lang))
        return core.submit(analysis, category, _answers(answers), description, contact, lang_of(lang))

    @guarded
    def status(reference: str, lang: str = "fr") -> dict:
        """State and final code of a request, by its reference."""
        return core.check(reference, lang_of(lang))

    @guarded
    def login(username: str, password: str, lang: str = "fr") -> str:
        """Reviewer login; returns a session token."""
        return core.login(username, password)

    @guarded
    def queue(token: str, category: str = "", decision: str = "", order: str = "oldest", lang: str = "fr") -> list[dict]:
        """Submissions waiting for review (filter by category and model decision; oldest or least_confident first)."""
        return core.queue(token, category, decision, order)

    @guarded
    def submission(token: str, submission_id: int, lang: str = "fr") -> dict:
        """One submission with each photo's prediction and its decision history."""
        return public(core.open_submission(token, int(submission_id)))

    @guarded
    def decide(token: str, submission_id: int, action: str, category: str = "", code: str = "", reason: str = "",
               lang: str = "fr") -> dict:
        """Append a decision: confirm, correct (category and/or 6-digit code, with a reason) or reject (with a reason)."""
        return public(core.decide(token, int(submission_id), action, category, code, reason))

    @guarded
    def export(token: str, kind: str = "csv", lang: str = "fr") -> FileData:
        """All decisions as CSV (kind="csv") or the reviewed photos as a labelled dataset ZIP (kind="dataset")."""
        return FileData(path=core.export(token, kind))

    for fn in (predict, predict_product, suggest, submit, status, login, queue, submission, decide, export):
        gr.api(fn, api_name=fn.__name__)
