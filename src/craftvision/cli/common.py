"""Argument parsing shared by every command group: written once, used by all.

Every error a user can cause on the command line ends as one line on stderr and exit status 2;
argparse's own complaints (unknown option, missing argument) are turned into a `UsageError` so
that `main` prints them the same way.
"""

from __future__ import annotations

import argparse

from ..errors import AnswerError, CraftvisionError

LANGS = ("en", "fr", "ar")


class UsageError(CraftvisionError, ValueError):
    """The command line itself is wrong (unknown option, missing argument, malformed value)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are raised (and printed as one line by `main`), not printed with usage."""

    def error(self, message: str):  # argparse calls this and expects it not to return
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def add_model(p: argparse.ArgumentParser, help: str = "ONNX model (default: the shipped model)") -> None:
    p.add_argument("--model", default=None, help=help)


def add_format(p: argparse.ArgumentParser, choices=("table", "json", "csv"), default: str = "table") -> None:
    p.add_argument("--format", choices=choices, default=default)


def add_lang(p: argparse.ArgumentParser, default: str = "en") -> None:
    p.add_argument("--lang", choices=LANGS, default=default)


def add_answers(p: argparse.ArgumentParser, help: str = "answer a taxonomy question") -> None:
    p.add_argument("--answer", action="append", metavar="QUESTION=OPTION", help=help)


def add_extra_class(p: argparse.ArgumentParser, help: str = "add a class from a folder of photos") -> None:
    p.add_argument("--extra-class", action="append", metavar="NAME=FOLDER", help=help)


def add_data_dir(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--data-dir", default="data", help=help)


def add_split(p: argparse.ArgumentParser, help: str = "split.json of the run (validation photos)") -> None:
    p.add_argument("--split", default="models/report/split.json", help=help)


def parse_answers(pairs: list[str] | None) -> dict:
    """``["construction=knotted", ...]`` -> ``{"construction": "knotted"}``."""
    answers = {}
    for item in pairs or []:
        if "=" not in item:
            raise AnswerError(f"--answer takes QUESTION=OPTION (e.g. construction=knotted); got {item!r}.")
        q, _, o = item.partition("=")
        answers[q.strip()] = o.strip()
    return answers


def parse_named_dirs(pairs: list[str] | None, option: str = "--extra-class") -> dict:
    """``["not_a_craft=../noncraft"]`` -> ``{"not_a_craft": "../noncraft"}``; a malformed pair is a `UsageError`."""
    named = {}
    for item in pairs or []:
        name, _, folder = item.partition("=")
        if not name.strip() or not folder.strip():
            raise UsageError(f"{option} takes NAME=FOLDER (e.g. not_a_craft=../shared/data/noncraft); got {item!r}.")
        named[name.strip()] = folder.strip()
    return named
