"""`craftvision predict`: classify photos (files or folders) and suggest HS codes; fuse the photos of a product."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import AnswerError, CraftvisionError
from .common import add_answers, add_format, add_model, parse_answers


def register(sub) -> None:
    pr = sub.add_parser("predict", help="classify photos (files or folders) and suggest HS codes")
    pr.add_argument("inputs", nargs="+", help="photos or folders of photos (folder output names each photo by its path there)")
    group = pr.add_mutually_exclusive_group()
    group.add_argument("--product", action="store_true", help="the photos given are one product: print one fused result")
    group.add_argument("--product-per-folder", action="store_true",
                       help="the folder given holds one sub-folder per product: one fused result per sub-folder")
    add_model(pr, "ONNX model (default: the shipped models/craftvision.onnx)")
    pr.add_argument("--top-k", type=int, default=3)
    add_format(pr)
    add_answers(pr)
    pr.add_argument("--batch-size", type=int, default=8)
    pr.add_argument("--workers", type=int, default=None, help="decode threads (default: cores)")
    pr.add_argument("--progress", action="store_true", help="show a progress line on stderr")
    pr.set_defaults(func=cmd_predict)


def cmd_predict(args) -> int:
    from ..output import PredictionWriter, named_image_files
    from ..predictor import load_predictor

    predictor = load_predictor(args.model, spinning=False)  # decode threads need the cores
    answers = parse_answers(args.answer)  # applied to each photo's top category; a wrong one is reported per photo
    writer = PredictionWriter(sys.stdout, args.format, args.top_k)
    if args.product or args.product_per_folder:
        return _predict_products(args, predictor, answers, writer)
    n_ok = n_err = 0
    progress = None
    if args.progress and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(desc="predict", unit="photo", file=sys.stderr)
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
    from ..images import iter_image_files
    from ..output import product_folders

    if args.product:
        photos = list(iter_image_files(args.inputs))
        product = predictor.predict_product(photos, top_k=args.top_k, names=[str(p) for p in photos])
        _apply_answers(predictor, product, answers, "product")
        writer.product("product", product)
        return 0
    if len(args.inputs) != 1:
        raise CraftvisionError(f"--product-per-folder takes one folder (one sub-folder per product); got {len(args.inputs)} inputs.")
    root = Path(args.inputs[0])
    products, loose = product_folders(root)
    for f in loose:
        print(f"note: {f.name} is not in a product sub-folder; skipped", file=sys.stderr)
    n_ok = n_err = 0
    for name, photos in products:
        try:
            product = predictor.predict_product(photos, top_k=args.top_k,
                                                names=[p.relative_to(root).as_posix() for p in photos])
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
