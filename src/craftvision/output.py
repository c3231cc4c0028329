"""Writing predictions as a table, JSON lines or CSV (the `craftvision predict` output).

One writer serves single photos and fused products, so both come out in the same three formats.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Iterator, TextIO

from .results import Prediction, ProductPrediction

FORMATS = ("table", "json", "csv")


def hs_text(pred: Prediction | ProductPrediction) -> str:
    """The HS suggestion in one line: the code when known, else the headings and the next question."""
    if pred.hs is None:
        return "-"
    if pred.hs.code:
        return f"HS {pred.hs.code.display} (suggestion)"
    heads = "/".join(h.display for h in pred.hs.headings)
    nxt = f"; next question: {pred.hs.next_question.id}" if pred.hs.next_question else ""
    return f"HS {heads} (answer the questions{nxt})"


def _photos_text(product: ProductPrediction) -> str:
    parts = [f"{p.source} ({p.top.name}, differs)" if d else p.source for p, d in zip(product.photos, product.disagrees)]
    return f"{len(product.photos)} photos: " + ", ".join(parts)


class PredictionWriter:
    """Writes each result as soon as it is known (streams over thousands of photos)."""

    def __init__(self, out: TextIO, fmt: str, top_k: int):
        self.out, self.fmt, self.top_k = out, fmt, top_k
        self._csv = None

    def _csv_row(self, row: list, product: bool) -> None:
        if self._csv is None:
            self._csv = csv.writer(self.out)
            head = ["source", "decision", "hs_code", "model_version"]
            head += [f"{k}{i + 1}" for i in range(self.top_k) for k in ("category", "probability")]
            self._csv.writerow(head + (["photos", "disagreeing_photos"] if product else []))
        self._csv.writerow(row)

    def _cells(self, source: str, pred) -> list:
        return ([source, pred.decision, hs_text(pred), pred.model_version]
                + [x for c in pred.categories for x in (c.name, f"{c.probability:.4f}")])

    def photo(self, pred: Prediction) -> None:
        """One photo's line."""
        if self.fmt == "json":
            self.out.write(json.dumps(pred.to_dict(), ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            self._csv_row(self._cells(pred.source, pred), product=False)
        else:
            cats = "  ".join(f"{c.name} {c.probability:6.1%}" for c in pred.categories)
            print(f"{pred.source}\t{pred.decision:<11}\t{cats}\t{hs_text(pred)}", file=self.out)
        self.out.flush()

    def product(self, name: str, product: ProductPrediction) -> None:
        """One product's fused line (its photos named, those that disagree marked)."""
        if self.fmt == "json":
            self.out.write(json.dumps({"product": name, **product.to_dict()}, ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            differing = [p.source for p, d in zip(product.photos, product.disagrees) if d]
            self._csv_row(self._cells(name, product) + [" ".join(p.source for p in product.photos), " ".join(differing)],
                          product=True)
        else:
            cats = "  ".join(f"{c.name} {c.probability:6.1%}" for c in product.categories)
            print(f"{name}\t{product.decision:<11}\t{cats}\t{hs_text(product)}\t{_photos_text(product)}", file=self.out)
        self.out.flush()

    def error(self, message: str) -> None:
        """A JSON line for an error (other formats report errors on stderr only)."""
        if self.fmt == "json":
            self.out.write(json.dumps({"error": message}, ensure_ascii=False) + "\n")
            self.out.flush()


def named_image_files(inputs) -> Iterator[tuple[Path, str]]:
    """(path, display name) of every photo in `inputs`, in a stable order.

    A photo found in a folder is named by its path relative to that folder (``shop1/x.jpg``
    and ``shop2/x.jpg`` stay apart); a file given explicitly keeps the path as given.
    """
    from .images import iter_image_files

    for item in inputs:
        root = Path(item)
        for f in iter_image_files([root]):
            yield f, (f.relative_to(root).as_posix() if root.is_dir() else str(item))


def product_folders(root: str | Path) -> tuple[list[tuple[str, list[Path]]], list[Path]]:
    """The products of a folder with one sub-folder per product.

    Returns:
        ``([(sub-folder name, its photos)], loose photos directly in root)``; the sub-folders are
        sorted, each one's photos found recursively.

    Raises:
        ImageError: `root` is not a folder.
    """
    from .errors import ImageError
    from .images import IMAGE_SUFFIXES, iter_image_files

    root = Path(root)
    if not root.is_dir():
        raise ImageError(f"--product-per-folder takes a folder with one sub-folder per product; '{root}' is not a folder.")
    products = [(d.name, list(iter_image_files([d]))) for d in sorted(root.iterdir())
                if d.is_dir() and not d.name.startswith(".")]
    loose = [f for f in sorted(root.iterdir()) if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
    return products, loose
