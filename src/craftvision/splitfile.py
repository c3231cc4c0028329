"""The split file (``split.json``): every photo of a run with its label and source group.

Labels travel with the split, so evaluation, comparison, promotion, calibration and the
benchmark read each photo's label from the file instead of guessing it from a folder name.
Needs the standard library only (and `Sample` from `data`), so serving installs can read it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from .data import Sample, Split
from .errors import DatasetError
from .files import read_json

SPLIT_FORMAT = "craftvision-split/2"
_KEYS = {"format", "class_names", "train", "val", "notes", "train_samples", "val_samples"}
_SAMPLE_KEYS = {"path", "label", "group"}
#: A trailing photo index: ``x-1``, ``x_2``, ``x-10`` are photos 1, 2 and 10 of product ``x``.
_INDEX = re.compile(r"[-_]\d+$")


def split_document(split: Split, class_names: Sequence[str]) -> dict:
    """The JSON document of a split: counts, notes and each photo's path, label and group."""
    unknown = sorted({s.label for s in split.train + split.val} - set(class_names))
    if unknown:
        raise DatasetError(f"The split has labels {unknown} that are not among the classes {list(class_names)}.")
    return {"format": SPLIT_FORMAT, "class_names": list(class_names), **split.summary(),
            "train_samples": [_sample_dict(s) for s in split.train],
            "val_samples": [_sample_dict(s) for s in split.val]}


def _sample_dict(s: Sample) -> dict:
    return {"path": str(s.path), "label": s.label, "group": s.group}


def write_split(path: str | Path, split: Split, class_names: Sequence[str]) -> Path:
    """Write ``split.json`` (see `split_document`)."""
    path = Path(path)
    path.write_text(json.dumps(split_document(split, class_names), indent=1))
    return path


def read_split(path: str | Path) -> tuple[list[Sample], list[Sample], list[str]]:
    """Read a split file strictly: (train samples, validation samples, class names).

    Raises:
        ConfigError: the file is missing, unreadable or not valid JSON.
        DatasetError: it is not a craftvision split file of the current format, lacks or has
            unknown keys, or labels a photo with a class that is not in its class list.
    """
    path = Path(path)
    doc = read_json(path, "split file")
    if not isinstance(doc, dict) or doc.get("format") != SPLIT_FORMAT:
        got = doc.get("format", "no format key") if isinstance(doc, dict) else type(doc).__name__
        raise DatasetError(f"The split file '{path}' is not a {SPLIT_FORMAT} file (got {got!r}): "
                           "rewrite it from its training run, which records each photo's label and group.")
    missing, extra = sorted(_KEYS - set(doc)), sorted(set(doc) - _KEYS)
    if missing or extra:
        raise DatasetError(f"The split file '{path}' " + (f"lacks {missing}" if missing else "")
                           + (" and " if missing and extra else "") + (f"has unknown keys {extra}" if extra else "")
                           + f"; expected exactly {sorted(_KEYS)}.")
    names = list(doc["class_names"])
    return _samples(doc["train_samples"], names, path), _samples(doc["val_samples"], names, path), names


def _samples(rows: list, names: list[str], path: Path) -> list[Sample]:
    out = []
    for row in rows:
        if not isinstance(row, dict) or set(row) != _SAMPLE_KEYS:
            raise DatasetError(f"The split file '{path}' has a photo entry {row!r}; each entry needs exactly "
                               f"{sorted(_SAMPLE_KEYS)}.")
        if row["label"] not in names:
            raise DatasetError(f"The split file '{path}' labels the photo '{row['path']}' as {row['label']!r}, which is "
                               f"not one of its classes {names}: correct the label or add the class.")
        out.append(Sample(Path(row["path"]), row["label"], row["group"]))
    return out


def product_key(sample: Sample) -> tuple[str, str, str]:
    """(label, source group, file stem without a trailing -N/_N photo index) of a photo."""
    return sample.label, sample.group, _INDEX.sub("", Path(sample.path).stem)


def group_products(samples: Sequence[Sample]) -> list[list[int]]:
    """Indices of `samples` grouped into products: same class, same source, same stem up to a -N/_N index.

    ``x-1.jpg`` and ``x-2.jpg`` of one shop and one class are one product; ``x.jpg`` joins them.
    Products come in order of their first photo, each photo's indices in input order.
    """
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        groups[product_key(s)].append(i)
    return list(groups.values())
