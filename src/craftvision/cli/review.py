"""`craftvision review add-user | backup | export`: the review store from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import add_data_dir


def register(sub) -> None:
    rv = sub.add_parser("review", help="the review store: reviewers, backup, exports")
    rsub = rv.add_subparsers(dest="review_command", required=True)
    au = rsub.add_parser("add-user", help="create a reviewer account (asks for the password)")
    au.add_argument("username")
    add_data_dir(au)
    au.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    au.set_defaults(func=cmd_review_add_user)
    bk = rsub.add_parser("backup", help="online backup of the store (SQLite backup API) and photos")
    bk.add_argument("dest")
    add_data_dir(bk)
    bk.set_defaults(func=cmd_review_backup)
    ex = rsub.add_parser("export", help="export decisions (CSV) and/or the reviewed photos as a dataset")
    add_data_dir(ex)
    ex.add_argument("--csv")
    ex.add_argument("--dataset")
    ex.set_defaults(func=cmd_review_export)


def cmd_review_add_user(args) -> int:
    import getpass

    from ..review import ReviewStore

    password = args.password_stdin and sys.stdin.readline().rstrip("\n")
    if not password:
        password = getpass.getpass("Password (10+ characters): ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    ReviewStore(args.data_dir).add_user(args.username, password)
    print(f"reviewer {args.username!r} added")
    return 0


def cmd_review_backup(args) -> int:
    from ..review import ReviewStore

    dest = ReviewStore(args.data_dir).backup(args.dest)
    print(f"backup written to {dest}")
    return 0


def cmd_review_export(args) -> int:
    from ..review import ReviewStore

    store = ReviewStore(args.data_dir)
    if args.csv:
        Path(args.csv).write_text(store.export_decisions_csv(), encoding="utf-8")
        print(f"decisions written to {args.csv}")
    if args.dataset:
        print(json.dumps(store.export_dataset(args.dataset)))
    return 0
