"""Tests of the app's texts (every key in three languages, the error adapter) and of its shape (small modules)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def test_app_modules_and_functions_stay_small():
    """Check that no module of app/ is over 300 lines and no function (nested ones included) over 60."""
    too_long = []
    for path in sorted(APP.glob("*.py")):
        src = path.read_text(encoding="utf-8")
        if len(src.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{path.name}: {len(src.splitlines())} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.name}:{node.name}: {n} lines")
    assert len(list(APP.glob("*.py"))) >= 5
    assert not too_long, too_long


def test_every_text_key_exists_in_french_arabic_and_english():
    """Check that every key of the translation table has a non-empty text in en, fr and ar, with the same placeholders."""
    from craftvision_app.i18n import LANGS, TEXT

    assert set(LANGS) == {"en", "fr", "ar"}
    for key, entry in TEXT.items():
        assert set(entry) == set(LANGS), key
        assert all(entry[lg].strip() for lg in LANGS), key
        fields = {lg: sorted(re.findall(r"{(\w+)}", entry[lg])) for lg in LANGS}
        assert fields["fr"] == fields["en"] == fields["ar"], (key, fields)
        assert re.search(r"[\u0600-\u06FF]", entry["ar"]), f"{key}: the Arabic text has no Arabic letters"


def test_every_key_the_app_uses_is_in_the_table():
    """Check that each t("key", ...) and each key built from a known prefix in app/ exists in the table."""
    from craftvision.review import ACTIONS, REJECT_REASONS
    from craftvision_app.i18n import TEXT

    used = set()
    for path in APP.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+)["']\s*[,)]""", path.read_text(encoding="utf-8")))
    prefixed = {f"decision_{d}" for d in ("accept", "review", "not_a_craft")} | {f"short_{d}" for d in ("accept", "review", "not_a_craft")}
    prefixed |= {f"state_{s}" for s in ("pending", "confirmed", "corrected", "rejected")}
    prefixed |= {f"status_{s}" for s in ("pending", "confirmed", "corrected", "rejected")}
    prefixed |= {f"action_{a}" for a in ACTIONS} | {f"reason_{r}" for r in REJECT_REASONS}
    missing = sorted(k for k in used | prefixed if k not in TEXT)
    assert len(used) > 40 and not missing, missing


def test_library_errors_reach_the_user_translated_with_the_detail():
    """Check that the one error adapter translates library errors and keeps the library's text as the detail."""
    from craftvision.errors import AuthError, ImageError, StoreError
    from craftvision_app.errors import user_message

    assert user_message(AuthError("Wrong username or password."), "fr") == "Utilisateur ou mot de passe incorrect."
    msg = user_message(ImageError("The image 'a.jpg' is truncated."), "ar")
    assert msg.startswith("تعذرت قراءة هذه الصورة.") and "'a.jpg' is truncated" in msg
    assert user_message(StoreError("No request has this reference."), "en") == "No request has this reference."
    assert user_message(StoreError("No submission 3."), "fr") == "Cette demande n'existe pas. — Détail: No submission 3."
