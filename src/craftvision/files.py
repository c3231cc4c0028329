"""Reading the JSON and YAML files a user names, with errors that say which file and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import ConfigError


def _read_text(path: str | Path, what: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"The {what} '{path}' does not exist" + (" (it is a folder)" if p.is_dir() else "")
                          + ": give the path of an existing file.")
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"The {what} '{path}' could not be read ({exc}): check its permissions and encoding.") from None


def read_json(path: str | Path, what: str = "JSON file"):
    """The parsed content of a JSON file.

    Raises:
        ConfigError: the file is missing, unreadable or not valid JSON (with line and column).
    """
    text = _read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The {what} '{path}' is not valid JSON: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}.") from None


def read_yaml(path: str | Path, what: str = "YAML file"):
    """The parsed content of a YAML file (safe loader); an empty file is ``{}``.

    Raises:
        ConfigError: the file is missing, unreadable or not valid YAML (with line and column).
    """
    import yaml

    text = _read_text(path, what)
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"The {what} '{path}' is not valid YAML: {problem}{where}.") from None
