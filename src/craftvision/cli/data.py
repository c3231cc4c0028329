"""`craftvision data check | import-review`: what is wrong with a dataset; folding in review exports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import add_extra_class, parse_named_dirs


def register(sub) -> None:
    dt = sub.add_parser("data", help="check a dataset, fold in review exports")
    dsub = dt.add_subparsers(dest="data_command", required=True)
    dc = dsub.add_parser("check", help="unreadable files, duplicates, conflicts, leakage, tiny and rotated images")
    dc.add_argument("dir")
    dc.add_argument("--val", help="validation folder (checked for leakage)")
    add_extra_class(dc, help=None)
    dc.add_argument("--out", default="runs/data-check")
    dc.add_argument("--near-bits", type=int, default=2)
    dc.add_argument("--strict", action="store_true", help="exit 1 on conflicting labels or leakage")
    dc.set_defaults(func=cmd_data_check)
    di = dsub.add_parser("import-review", help="merge a review export into a training dataset")
    di.add_argument("export")
    di.add_argument("--dataset", required=True)
    di.set_defaults(func=cmd_data_import)


def cmd_data_check(args) -> int:
    from ..datacheck import check_dataset

    extra = parse_named_dirs(args.extra_class)
    r = check_dataset(args.dir, args.out, val=args.val, near_bits=args.near_bits, extra_classes=extra or None)
    print((Path(args.out) / "report.md").read_text())
    if args.strict and (r["conflicting_labels"] or r["train_val_leakage"]):
        print(f"error: {len(r['conflicting_labels'])} conflicting-label groups, {len(r['train_val_leakage'])} leakage groups",
              file=sys.stderr)
        return 1
    return 0


def cmd_data_import(args) -> int:
    from ..datacheck import import_review

    print(json.dumps(import_review(args.export, args.dataset), indent=2))
    return 0
