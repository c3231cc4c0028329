"""Sub-commands beyond predict/train/export/hs: registered here to keep cli.py readable."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cmd_evaluate(args) -> int:
    from .predictor import default_model_path

    if args.compare:
        from .training.compare import compare_models

        result = compare_models(args.compare[0], args.compare[1], args.split, args.out)
        print(result["markdown"])
        return 0
    from .training.evaluate import evaluate_model

    report = evaluate_model(args.model or default_model_path(), args.split, args.out, baselines=not args.no_baselines)
    if report.get("validation_in_training"):
        print("warning: this model was trained on these validation photos too (refit on all photos): the figures are "
              "not held-out; evaluate models/validation/craftvision-holdout.onnx for held-out figures", file=sys.stderr)
    m, co, d = report["metrics"], report["craft_only"], report["decisions"]
    print(f"validation ({report['val_photos']} photos): top-1 {m['top1']:.3f}  top-3 {m['top3']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
          f"ECE {report['calibration']['ece_before']:.3f} -> {report['calibration']['ece_after']:.3f}")
    print(f"craft photos only ({co['n']}): top-1 {co['top1']:.3f}  macro-F1 {co['macro_f1']:.3f}")
    for k in ("craft", "not_a_craft"):
        print(f"decisions on {k} photos (n={d[k]['n']}): accept {d[k]['accept']:.1%}  review {d[k]['review']:.1%}  "
              f"not_a_craft {d[k]['not_a_craft']:.1%}")
    for name, b in report.get("baselines", {}).items():
        print(f"baseline {name}: top-1 {b['top1']:.3f}  macro-F1 {b['macro_f1']:.3f}")
    print(f"report: {Path(args.out) / 'report.md'}")
    return 0


def cmd_recipe(args) -> int:
    from .training.recipe import run_recipe

    report = run_recipe(args.recipe, show_progress=not args.no_progress)
    m = report["metrics"]
    print(f"shipped: top-1 {m['top1']:.3f}  macro-F1 {m['macro_f1']:.3f} on {report['val_photos']} validation photos")
    return 0


def cmd_serve(args) -> int:
    from craftvision_app import build_app, launch_app

    from .predictor import load_predictor
    from .review import ReviewStore
    from .taxonomy import load_taxonomy

    predictor = load_predictor(args.model, spinning=False)
    store = ReviewStore(args.data_dir)
    demo = build_app(predictor, store, load_taxonomy(), max_photos=args.max_photos, max_photo_mb=args.max_photo_mb)
    print(f"craftvision app on http://{args.host}:{args.port} (model {predictor.version}, data in {store.data_dir})", flush=True)
    launch_app(demo, args.host, args.port, max_photo_mb=args.max_photo_mb)
    return 0


def cmd_review_add_user(args) -> int:
    import getpass

    from .review import ReviewStore

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
    from .review import ReviewStore

    dest = ReviewStore(args.data_dir).backup(args.dest)
    print(f"backup written to {dest}")
    return 0


def cmd_review_export(args) -> int:
    from .review import ReviewStore

    store = ReviewStore(args.data_dir)
    if args.csv:
        Path(args.csv).write_text(store.export_decisions_csv(), encoding="utf-8")
        print(f"decisions written to {args.csv}")
    if args.dataset:
        print(json.dumps(store.export_dataset(args.dataset)))
    return 0


def cmd_data_check(args) -> int:
    from .datacheck import check_dataset

    extra = dict(x.split("=", 1) for x in (args.extra_class or []))
    r = check_dataset(args.dir, args.out, val=args.val, near_bits=args.near_bits, extra_classes=extra or None)
    print((Path(args.out) / "report.md").read_text())
    if args.strict and (r["conflicting_labels"] or r["train_val_leakage"]):
        print(f"error: {len(r['conflicting_labels'])} conflicting-label groups, {len(r['train_val_leakage'])} leakage groups",
              file=sys.stderr)
        return 1
    return 0


def cmd_data_import(args) -> int:
    from .datacheck import import_review

    print(json.dumps(import_review(args.export, args.dataset), indent=2))
    return 0


def cmd_promote(args) -> int:
    from .training.compare import promote

    result = promote(args.new, args.split, current=args.current, force=args.force, reason=args.reason)
    print(result["message"])
    return 0 if result["promoted"] else 1


def cmd_bench(args) -> int:
    from .bench import run_bench
    from .images import iter_image_files
    from .predictor import default_model_path

    from .errors import ConfigError

    contenders = {}
    for item in args.contender or []:
        tag, sep, path = item.partition("=")
        if not sep or not tag or not Path(path).is_file():
            raise ConfigError(f"--contender expects TAG=MODEL.onnx with an existing file; got {item!r}.")
        contenders[tag] = path
    photos = []
    for d in args.photos:
        if Path(d).exists():
            photos = sorted(iter_image_files([d]))
            break
    photos = photos[:: max(1, len(photos) // args.n_real)][: args.n_real] if photos else []
    if not photos:
        from .synthetic import make_dataset

        import tempfile

        root = make_dataset(Path(tempfile.mkdtemp()) / "gen", per_class=4, size=480)
        photos = sorted(iter_image_files([root]))
    calib = []
    if args.calibration and Path(args.calibration).exists():
        calib = sorted(iter_image_files([args.calibration]))[::25][:48]
    results = run_bench(args.model or default_model_path(), args.out, photos, args.split, args.checkpoint,
                        n_large=args.n_large, repeats=args.repeats, calibration=calib or None, contenders=contenders)
    print((Path(args.out) / "bench.md").read_text())
    return 0


def register(sub) -> None:
    bn = sub.add_parser("bench", help="side-by-side speed benchmark against the peer pipeline (needs the train extras)")
    bn.add_argument("--model", default=None)
    bn.add_argument("--checkpoint", default="models/craftvision.pt", help="torch weights of the same model (for a and b)")
    bn.add_argument("--photos", nargs="*", default=["../shared/data/crafts"], help="real photos (first folder found)")
    bn.add_argument("--calibration", default="../shared/data/crafts", help="photos for INT8 calibration")
    bn.add_argument("--split", default="models/report/split.json", help="validation split for the accuracy column")
    bn.add_argument("--n-real", type=int, default=24)
    bn.add_argument("--n-large", type=int, default=8)
    bn.add_argument("--repeats", type=int, default=2)
    bn.add_argument("--out", default="runs/bench")
    bn.add_argument("--contender", action="append", metavar="TAG=MODEL.onnx",
                    help="another ONNX model timed in the same run (e.g. the model being replaced)")
    bn.set_defaults(func=cmd_bench)

    dt = sub.add_parser("data", help="check a dataset, fold in review exports")
    dsub = dt.add_subparsers(dest="data_command", required=True)
    dc = dsub.add_parser("check", help="unreadable files, duplicates, conflicts, leakage, tiny and rotated images")
    dc.add_argument("dir")
    dc.add_argument("--val", help="validation folder (checked for leakage)")
    dc.add_argument("--extra-class", action="append", metavar="NAME=FOLDER")
    dc.add_argument("--out", default="runs/data-check")
    dc.add_argument("--near-bits", type=int, default=2)
    dc.add_argument("--strict", action="store_true", help="exit 1 on conflicting labels or leakage")
    dc.set_defaults(func=cmd_data_check)
    di = dsub.add_parser("import-review", help="merge a review export into a training dataset")
    di.add_argument("export")
    di.add_argument("--dataset", required=True)
    di.set_defaults(func=cmd_data_import)

    pm = sub.add_parser("promote", help="make NEW the shipped model if it is not worse on the reference split")
    pm.add_argument("new")
    pm.add_argument("--split", default="models/report/split.json")
    pm.add_argument("--current", default="models/craftvision.onnx")
    pm.add_argument("--force", action="store_true")
    pm.add_argument("--reason", default="")
    pm.set_defaults(func=cmd_promote)

    sv = sub.add_parser("serve", help="start the app (artisan view, customs review, model card)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=7860)
    sv.add_argument("--data-dir", default="data", help="folder of the review store (SQLite + photos)")
    sv.add_argument("--model", default=None, help="ONNX model (default: the shipped model)")
    sv.add_argument("--max-photos", type=int, default=8, help="photos per request")
    sv.add_argument("--max-photo-mb", type=int, default=20, help="largest upload, enforced by the server")
    sv.set_defaults(func=cmd_serve)

    rv = sub.add_parser("review", help="the review store: reviewers, backup, exports")
    rsub = rv.add_subparsers(dest="review_command", required=True)
    au = rsub.add_parser("add-user", help="create a reviewer account (asks for the password)")
    au.add_argument("username")
    au.add_argument("--data-dir", default="data")
    au.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    au.set_defaults(func=cmd_review_add_user)
    bk = rsub.add_parser("backup", help="online backup of the store (SQLite backup API) and photos")
    bk.add_argument("dest")
    bk.add_argument("--data-dir", default="data")
    bk.set_defaults(func=cmd_review_backup)
    ex = rsub.add_parser("export", help="export decisions (CSV) and/or the reviewed photos as a dataset")
    ex.add_argument("--data-dir", default="data")
    ex.add_argument("--csv")
    ex.add_argument("--dataset")
    ex.set_defaults(func=cmd_review_export)

    ev = sub.add_parser("evaluate", help="evaluate a model on a run's validation split and write the report")
    ev.add_argument("--model", default=None, help="ONNX model (default: the shipped model)")
    ev.add_argument("--split", default="models/report/split.json", help="split.json of the run (validation photos)")
    ev.add_argument("--out", default="runs/evaluate", help="report folder")
    ev.add_argument("--no-baselines", action="store_true", help="skip the two baselines (they need torch)")
    ev.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two models on the same split")
    ev.set_defaults(func=cmd_evaluate)

    rc = sub.add_parser("recipe", help="reproduce a shipped model from a recipe YAML (train, calibrate, export, report)")
    rc.add_argument("recipe", help="e.g. training/craftvision.yaml")
    rc.add_argument("--no-progress", action="store_true")
    rc.set_defaults(func=cmd_recipe)
