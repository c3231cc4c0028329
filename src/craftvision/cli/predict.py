"""`craftvision predict`: classify photos (files or folders) and suggest HS codes."""

from __future__ import annotations

import csv
import json
import sys

from ..errors import AnswerError
from .common import add_answers, add_format, add_model, parse_answers


def register(sub) -> None:
    pr = sub.add_parser("predict", help="classify photos (files or folders) and suggest HS codes")
    pr.add_argument("inputs", nargs="+", help="photos or folders of photos")
    add_model(pr, "ONNX model (default: the shipped models/craftvision.onnx)")
    pr.add_argument("--top-k", type=int, default=3)
    add_format(pr)
    add_answers(pr)
    pr.add_argument("--batch-size", type=int, default=8)
    pr.add_argument("--workers", type=int, default=None, help="decode threads (default: cores)")
    pr.add_argument("--progress", action="store_true", help="show a progress line on stderr")
    pr.set_defaults(func=cmd_predict)


def cmd_predict(args) -> int:
    from ..images import iter_image_files
    from ..predictor import Prediction, load_predictor

    predictor = load_predictor(args.model, spinning=False)  # decode threads need the cores
    answers = parse_answers(args.answer)  # applied to each photo's top category; a wrong one is reported per photo
    files = iter_image_files(args.inputs)
    out = sys.stdout
    writer = None
    n_ok = n_err = 0
    progress = None
    if args.progress and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(desc="predict", unit="photo", file=sys.stderr)
    for result in predictor.iter_predict(files, top_k=args.top_k, batch_size=args.batch_size, workers=args.workers):
        if progress:
            progress.update()
        if isinstance(result, Exception):
            n_err += 1
            print(f"error: {result}", file=sys.stderr)
            if args.format == "json":
                out.write(json.dumps({"error": str(result)}, ensure_ascii=False) + "\n")
            continue
        n_ok += 1
        pred: Prediction = result
        if answers and pred.hs is not None:
            try:
                pred.hs = predictor.taxonomy.suggest(pred.hs.category, answers)
            except AnswerError as exc:
                print(f"error: {pred.source}: {exc}", file=sys.stderr)
        if args.format == "json":
            out.write(json.dumps(pred.to_dict(), ensure_ascii=False) + "\n")
        elif args.format == "csv":
            if writer is None:
                writer = csv.writer(out)
                writer.writerow(["source", "decision", "hs_code", "model_version"]
                                + [f"{k}{i + 1}" for i in range(args.top_k) for k in ("category", "probability")])
            writer.writerow([pred.source, pred.decision, _hs_text(pred), pred.model_version]
                            + [x for c in pred.categories for x in (c.name, f"{c.probability:.4f}")])
        else:
            cats = "  ".join(f"{c.name} {c.probability:6.1%}" for c in pred.categories)
            print(f"{pred.source}\t{pred.decision:<11}\t{cats}\t{_hs_text(pred)}", file=out)
        out.flush()
    if progress:
        progress.close()
    if args.format == "table":
        disclaimer = predictor.taxonomy.disclaimer["en"]
        print(f"# {n_ok} predicted, {n_err} unreadable. HS codes: {disclaimer}", file=sys.stderr)
    return 0 if n_ok or not n_err else 2


def _hs_text(pred) -> str:
    if pred.hs is None:
        return "-"
    if pred.hs.code:
        return f"HS {pred.hs.code.display} (suggestion)"
    heads = "/".join(h.display for h in pred.hs.headings)
    nxt = f"; next question: {pred.hs.next_question.id}" if pred.hs.next_question else ""
    return f"HS {heads} (answer the questions{nxt})"
