"""`craftvision ...`: one module per command group, each registering its sub-commands; they parse and call.

Every error a user can cause (a project error, a file that cannot be read, a malformed command
line) is printed as one line on stderr with exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

from ..errors import CraftvisionError
from . import bench, data, hs, model, predict, review, serve, train
from .common import Parser

#: The command groups, in the order their sub-commands appear in ``craftvision --help``.
GROUPS = (predict, train, model, hs, bench, data, serve, review)


def build_parser() -> Parser:
    p = Parser(prog="craftvision", description="From a photo of a craft product to a suggested HS 2022 code.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")
    for group in GROUPS:
        group.register(sub)
    return p


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.version:
            from .. import __version__

            print(__version__)
            return 0
        if not getattr(args, "func", None):
            build_parser().print_help()
            return 1
        return int(args.func(args) or 0)
    except CraftvisionError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file the user named cannot be read or written
        if isinstance(exc, BrokenPipeError):  # output piped into `head` and closed early: not an error
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        where = f" '{exc.filename}'" if exc.filename else ""
        print(f"error:{where} {_one_line(exc.strerror or exc)}: check the path and its permissions.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
