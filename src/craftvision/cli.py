"""`craftvision ...` sub-commands: each parses its arguments and calls the library.

Project errors are printed on stderr without a traceback and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import AnswerError, CraftvisionError

LANGS = ("en", "fr", "ar")


def _parse_answers(pairs: list[str] | None) -> dict:
    answers = {}
    for item in pairs or []:
        if "=" not in item:
            raise AnswerError(f"--answer takes QUESTION=OPTION (e.g. construction=knotted); got {item!r}.")
        q, _, o = item.partition("=")
        answers[q.strip()] = o.strip()
    return answers


# ------------------------------------------------------------------------------------------
# predict
# ------------------------------------------------------------------------------------------


def cmd_predict(args) -> int:
    from .output import PredictionWriter, named_image_files
    from .predictor import load_predictor

    predictor = load_predictor(args.model, spinning=False)  # decode threads need the cores
    answers = _parse_answers(args.answer)  # applied to each photo's top category; a wrong one is reported per photo
    writer = PredictionWriter(sys.stdout, args.format, args.top_k)
    if args.product or args.product_per_folder:
        return _predict_products(args, predictor, answers, writer)
    n_ok = n_err = 0
    progress = None
    if args.progress and sys.stderr.isatty():
        from .progress import Progress

        progress = Progress("predict")
    results = predictor.iter_predict(named_image_files(args.inputs), top_k=args.top_k, batch_size=args.batch_size,
                                     workers=args.workers)
    for result in results:
        if progress:
            progress.update()
        if isinstance(result, Exception):
            n_err += 1
            print(f"error: {result}", file=sys.stderr)
            writer.error(str(result))
            continue
        n_ok += 1
        _apply_answers(predictor, result, answers, result.source)
        writer.photo(result)
    if progress:
        progress.close()
    if args.format == "table":
        disclaimer = predictor.taxonomy.disclaimer["en"]
        print(f"# {n_ok} predicted, {n_err} unreadable. HS codes: {disclaimer}", file=sys.stderr)
    return 0 if n_ok or not n_err else 2


def _apply_answers(predictor, pred, answers: dict, name: str) -> None:
    """Re-suggest the HS code with the --answer values; a wrong answer is reported, the suggestion kept."""
    if answers and pred.hs is not None:
        try:
            pred.hs = predictor.taxonomy.suggest(pred.hs.category, answers)
        except AnswerError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)


def _predict_products(args, predictor, answers: dict, writer) -> int:
    """`--product` (all photos given are one product) or `--product-per-folder` (one sub-folder each)."""
    from .images import iter_image_files
    from .output import product_folders

    if args.product:
        photos = list(iter_image_files(args.inputs))
        product = predictor.predict_product(photos, top_k=args.top_k, names=[str(p) for p in photos])
        _apply_answers(predictor, product, answers, "product")
        writer.product("product", product)
        return 0
    if len(args.inputs) != 1:
        raise CraftvisionError(f"--product-per-folder takes one folder (one sub-folder per product); got {len(args.inputs)} inputs.")
    products, loose = product_folders(args.inputs[0])
    for f in loose:
        print(f"note: {f.name} is not in a product sub-folder; skipped", file=sys.stderr)
    n_ok = n_err = 0
    for name, photos in products:
        try:
            product = predictor.predict_product(photos, top_k=args.top_k,
                                                names=[p.relative_to(Path(args.inputs[0])).as_posix() for p in photos])
        except CraftvisionError as exc:
            n_err += 1
            print(f"error: product {name}: {exc}", file=sys.stderr)
            writer.error(f"product {name}: {exc}")
            continue
        n_ok += 1
        _apply_answers(predictor, product, answers, name)
        writer.product(name, product)
    if args.format == "table":
        print(f"# {n_ok} products predicted, {n_err} failed. HS codes: {predictor.taxonomy.disclaimer['en']}", file=sys.stderr)
    return 0 if n_ok or not n_err else 2


# ------------------------------------------------------------------------------------------
# train / export
# ------------------------------------------------------------------------------------------


def cmd_train(args) -> int:
    from .training.config import load_config

    extra = {}
    for item in args.extra_class or []:
        name, _, folder = item.partition("=")
        if not folder:
            raise CraftvisionError(f"--extra-class takes NAME=FOLDER; got {item!r}.")
        extra[name] = folder
    overrides = {
        "data": args.data, "val_data": args.val_data, "out_dir": args.out, "backbone": args.backbone,
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "image_size": args.image_size,
        "seed": args.seed, "max_per_class": args.max_per_class, "init_from": args.init_from,
        "extra_classes": extra or None, "freeze_backbone": True if args.freeze_backbone else None,
        "pretrained": False if args.no_pretrained else None,
    }
    cfg = load_config(args.config, overrides)
    if args.head_only:
        from .training.headonly import train_head_only

        result = train_head_only(cfg, init_from=args.init_from or None)
        print(json.dumps(result, indent=2))
        return 0
    from .training.train import fit

    best = fit(cfg, resume=args.resume, show_progress=not args.no_progress)
    print(f"best checkpoint: {best}")
    return 0


def cmd_export(args) -> int:
    from .training.export import export_onnx

    if not args.uncalibrated and not args.calibration_from:
        raise CraftvisionError(
            "export needs --calibration-from MODEL.onnx (carry the temperature and thresholds of a calibrated model of the "
            "same classes) or --uncalibrated (T = 1 and default thresholds, recorded as not fitted); then "
            "`craftvision calibrate OUT --split SPLIT.json` fits them on validation photos.")
    calibration = None
    if args.calibration_from:
        from .predictor import load_predictor

        from .errors import ModelFileError
        from .training.train import load_checkpoint

        source = load_predictor(args.calibration_from)
        if load_checkpoint(args.checkpoint)["class_names"] != source.class_names:
            raise ModelFileError(f"--calibration-from {args.calibration_from} predicts {source.class_names}, not the "
                                 "checkpoint's classes: calibrate the export instead (`craftvision calibrate`).")
        calibration = source.metadata.calibration
        print(f"calibration from {args.calibration_from}: T = {calibration.temperature:.3f}, "
              f"fitted on {calibration.temperature_fitted_on}")
    result = export_onnx(args.checkpoint, args.out, calibration=calibration,
                         parity_images=[Path(p) for p in args.parity_images] if args.parity_images else None)
    print(f"exported {result['path']}")
    print(f"parity: max |p_torch - p_onnxruntime| = {result['parity_max_abs_diff']:.2e} on {result['parity_inputs']} real inputs (limit 1e-4)")
    print(f"sha256: {result['sha256']}")
    return 0


# ------------------------------------------------------------------------------------------
# hs
# ------------------------------------------------------------------------------------------


def cmd_hs_lookup(args) -> int:
    from .taxonomy import lookup

    res = lookup(args.code)
    if args.json:
        print(json.dumps(res.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if res.code:
        print(f"{res.code.display}  [{res.code.level_name}, HS 2022]  {res.code.description}")
        for p in res.parents:
            print(f"  within {p.display} ({p.level_name}): {p.description}")
    else:
        old = res.older
        print(f"{old['code']} is a code of {old['edition']}, not of HS 2022: {old['description']}")
        print("HS 2022 candidates (confirm with customs):")
        for c in old["candidates"]:
            print(f"  {c.display}  {c.description}")
    return 0


def cmd_hs_search(args) -> int:
    from .taxonomy import search

    results = search(" ".join(args.text), limit=args.limit)
    if not results:
        print("no match", file=sys.stderr)
        return 1
    for code, score in results:
        print(f"{code.display:<8} {score:6.2f}  {code.description}")
    return 0


def print_suggestion(s, lang: str, file=sys.stdout) -> None:
    """Human-readable suggestion: code or candidates, the next question, the disclaimer."""
    for q, a in s.path:
        print(f"  answered {q} = {a}", file=file)
    if s.code:
        print(f"HS {s.code.display}  {s.code.description}", file=file)
        for lg in ("fr", "en"):
            print(f"  declaration ({lg}): {s.declaration_line(lg)}", file=file)
    else:
        print("Headings: " + "; ".join(f"{h.display} {h.description}" for h in s.headings), file=file)
        print("Candidate subheadings:", file=file)
        for c in s.candidates:
            print(f"  {c.display}  {c.description}", file=file)
    if s.note:
        print(f"Note: {s.note[lang]}", file=file)
    if s.next_question:
        q = s.next_question
        print(f"Next question ({q.id}): {q.text[lang]}", file=file)
        for o in q.options.values():
            print(f"  --answer {q.id}={o.id}   {o.label[lang]}", file=file)
    print(f"({s.disclaimer[lang]})", file=file)


def cmd_hs_suggest(args) -> int:
    from .taxonomy import load_taxonomy

    tax = load_taxonomy()
    answers = _parse_answers(args.answer)
    s = tax.suggest(args.category, answers)
    interactive = not args.no_input and sys.stdin.isatty() and sys.stdout.isatty()
    while interactive and s.next_question is not None:
        q = s.next_question
        print(f"{q.text[args.lang]}")
        if q.help:
            print(f"  ({q.help[args.lang]})")
        opts = list(q.options.values())
        for i, o in enumerate(opts, 1):
            print(f"  {i}. {o.label[args.lang]}  [{o.id}]")
        choice = input("> ").strip()
        picked = opts[int(choice) - 1].id if choice.isdigit() and 1 <= int(choice) <= len(opts) else choice
        try:
            s = tax.suggest(args.category, {**answers, q.id: picked})
            answers[q.id] = picked
        except AnswerError as exc:
            print(exc)
    if args.json:
        print(json.dumps(s.to_dict(args.lang), ensure_ascii=False, indent=2))
    else:
        print_suggestion(s, args.lang)
    return 0


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="craftvision", description="From a photo of a craft product to a suggested HS 2022 code.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command")

    pr = sub.add_parser("predict", help="classify photos (files or folders) and suggest HS codes")
    pr.add_argument("inputs", nargs="+", help="photos or folders of photos (folder output names each photo by its path there)")
    group = pr.add_mutually_exclusive_group()
    group.add_argument("--product", action="store_true", help="the photos given are one product: print one fused result")
    group.add_argument("--product-per-folder", action="store_true",
                       help="the folder given holds one sub-folder per product: one fused result per sub-folder")
    pr.add_argument("--model", help="ONNX model (default: the shipped models/craftvision.onnx)")
    pr.add_argument("--top-k", type=int, default=3)
    pr.add_argument("--format", choices=("table", "json", "csv"), default="table")
    pr.add_argument("--answer", action="append", metavar="QUESTION=OPTION", help="answer a taxonomy question")
    pr.add_argument("--batch-size", type=int, default=8)
    pr.add_argument("--workers", type=int, default=None, help="decode threads (default: cores)")
    pr.add_argument("--progress", action="store_true", help="show a progress line on stderr")
    pr.set_defaults(func=cmd_predict)

    tr = sub.add_parser("train", help="fine-tune a backbone on an ImageFolder dataset")
    tr.add_argument("--config", help="YAML recipe (see training/)")
    tr.add_argument("--data", help="ImageFolder root: one sub-folder per class")
    tr.add_argument("--val-data", help="explicit validation folder (else a source-grouped split)")
    tr.add_argument("--extra-class", action="append", metavar="NAME=FOLDER", help="add a class from a folder of photos")
    tr.add_argument("--out", help="run folder")
    tr.add_argument("--backbone")
    tr.add_argument("--epochs", type=int)
    tr.add_argument("--batch-size", type=int)
    tr.add_argument("--lr", type=float)
    tr.add_argument("--image-size", type=int)
    tr.add_argument("--seed", type=int)
    tr.add_argument("--max-per-class", type=int)
    tr.add_argument("--init-from", help="checkpoint to warm-start from")
    tr.add_argument("--freeze-backbone", action="store_true", help="train only the head (features recomputed with augmentation)")
    tr.add_argument("--head-only", action="store_true", help="retrain the head on cached embeddings (seconds)")
    tr.add_argument("--no-pretrained", action="store_true", help="random init (tests)")
    tr.add_argument("--resume", action="store_true", help="continue from the run folder's last.pt")
    tr.add_argument("--no-progress", action="store_true")
    tr.set_defaults(func=cmd_train)

    ex = sub.add_parser("export", help="export a checkpoint to ONNX (with parity check)")
    ex.add_argument("checkpoint")
    ex.add_argument("--out", required=True)
    cal = ex.add_mutually_exclusive_group()
    cal.add_argument("--calibration-from", metavar="MODEL", help="carry the temperature and thresholds of this calibrated model")
    cal.add_argument("--uncalibrated", action="store_true", help="T = 1 and default thresholds, recorded as not fitted")
    ex.add_argument("--parity-images", nargs="*", help="photos for the parity check (default: the run's validation photos)")
    ex.set_defaults(func=cmd_export)

    hs = sub.add_parser("hs", help="HS 2022 codes: lookup, search, suggest")
    hsub = hs.add_subparsers(dest="hs_command", required=True)
    lk = hsub.add_parser("lookup", help="look an HS code up (older editions recognised)")
    lk.add_argument("code")
    lk.add_argument("--json", action="store_true")
    lk.set_defaults(func=cmd_hs_lookup)
    se = hsub.add_parser("search", help="rank headings and subheadings for keywords (English, French)")
    se.add_argument("text", nargs="+")
    se.add_argument("--limit", type=int, default=10)
    se.set_defaults(func=cmd_hs_search)
    sg = hsub.add_parser("suggest", help="suggest a code for a category from answers")
    sg.add_argument("category")
    sg.add_argument("--answer", action="append", metavar="QUESTION=OPTION")
    sg.add_argument("--lang", choices=LANGS, default="en")
    sg.add_argument("--json", action="store_true")
    sg.add_argument("--no-input", action="store_true", help="never ask on the terminal")
    sg.set_defaults(func=cmd_hs_suggest)

    _register_more(sub)
    return p


def _register_more(sub) -> None:
    """Sub-commands that live in their own modules (evaluation, app, review, data, bench)."""
    from . import cli_more

    cli_more.register(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except CraftvisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
