"""The one error adapter: project errors become a translated message with the library's detail beside it."""

from __future__ import annotations

import functools

from craftvision.errors import (AnswerError, AuthError, CraftvisionError, HSCodeError, ImageError, ModelFileError,
                                StoreError, TaxonomyError)

from .i18n import LANGS, TEXT, t


class AppMessage(CraftvisionError, ValueError):
    """A message the app wrote itself, already in the user's language."""


# (error class, text the library's message contains, key of the translated message); first match wins.
_RULES = (
    (AuthError, "Wrong username", "err_login"),
    (AuthError, "Too many", "err_locked"),
    (AuthError, "expired", "err_session"),
    (AuthError, "", "err_login_needed"),
    (StoreError, "reference", "unknown_reference"),
    (StoreError, "No submission", "err_no_submission"),
    (StoreError, "code", "err_code"),
    (StoreError, "reason", "err_reason"),
    (StoreError, "", "err_store"),
    (ImageError, "", "bad_photo"),
    (AnswerError, "", "err_answer"),
    (HSCodeError, "", "err_code"),
    (TaxonomyError, "", "err_category"),
    (ModelFileError, "", "err_model"),
    (CraftvisionError, "", "err_generic"),
)


def message_key(exc: CraftvisionError) -> str:
    """The translation key that explains `exc` to a user."""
    detail = str(exc)
    return next(key for cls, part, key in _RULES if isinstance(exc, cls) and part in detail)


def user_message(exc: CraftvisionError, lang: str) -> str:
    """`exc` in the user's language; the library's own text (English) follows as the detail."""
    if isinstance(exc, AppMessage):
        return str(exc)
    key = message_key(exc)
    detail = str(exc)
    if not detail or detail == TEXT[key]["en"]:  # the library said exactly what the table says
        return t(key, lang)
    return f"{t(key, lang)} — {t('detail', lang)}: {detail}"


def _lang_from(args, kwargs) -> str:
    lang = kwargs.get("lang")
    if lang is None:
        lang = next((a for a in reversed(args) if isinstance(a, str) and a in LANGS), "fr")
    return lang if lang in LANGS else "fr"


def guarded(fn):
    """Wrap a handler so project errors reach the page (or the API client) as `gr.Error` messages."""
    import gradio as gr

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CraftvisionError as exc:
            lang = _lang_from(args, kwargs)
            raise gr.Error(user_message(exc, lang), title=t("error_title", lang), print_exception=False) from None

    return wrapper
