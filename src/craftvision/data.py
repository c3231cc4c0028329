"""Labelled image folders: scanning, sources, honest train/validation splits, perceptual hashes.

Needs numpy and Pillow only, so data checks run on a serving install too.
"""

from __future__ import annotations

import csv
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import DatasetError, ImageError
from .images import IMAGE_SUFFIXES, load_image


@dataclass(frozen=True)
class Sample:
    """One labelled photo. `group` is its source (e.g. the shop or repository it came from)."""

    path: Path
    label: str
    group: str


@dataclass
class Split:
    """A train/validation split with the reasoning kept for the report."""

    train: list[Sample]
    val: list[Sample]
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        def counts(samples):
            out = defaultdict(int)
            for s in samples:
                out[s.label] += 1
            return dict(sorted(out.items()))

        return {"train": counts(self.train), "val": counts(self.val), "notes": self.notes}


def _read_sources(root: Path) -> dict[str, str]:
    """Map file name -> source group from a ``SOURCES.tsv`` (columns ``file`` and ``repo``), if present."""
    tsv = root / "SOURCES.tsv"
    if not tsv.is_file():
        return {}
    out = {}
    with open(tsv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row.get("file") and row.get("repo"):
                out[Path(row["file"]).name] = row["repo"]
    return out


def scan_image_folder(root: str | Path, extra_classes: dict[str, str | Path] | None = None) -> tuple[list[Sample], list[str]]:
    """List the photos of an ImageFolder layout (one sub-folder per class).

    Args:
        root: folder with one sub-folder per class.
        extra_classes: more classes given as ``{name: folder of photos}`` (e.g. not_a_craft).

    Returns:
        The samples and the sorted class names (the order of the model's logits).

    Raises:
        DatasetError: the folder is missing, has no class folders, or a class has no photo.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"The dataset folder '{root}' does not exist.")
    sources = _read_sources(root)
    folders = {d.name: d for d in sorted(root.iterdir()) if d.is_dir() and not d.name.startswith(".")}
    for name, folder in (extra_classes or {}).items():
        folders[name] = Path(folder)
        sources.update(_read_sources(Path(folder)))
    if not folders:
        raise DatasetError(f"The dataset folder '{root}' has no class sub-folders (expected <root>/<class>/<photo>).")
    samples = []
    for label, folder in sorted(folders.items()):
        files = [f for f in sorted(folder.iterdir()) if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES]
        if not files:
            raise DatasetError(f"The class folder '{folder}' has no photos.")
        for f in files:
            samples.append(Sample(f, label, sources.get(f.name, f"{label}/{f.name}")))
    return samples, sorted(folders)


def difference_hash(image: Image.Image, size: int = 8) -> int:
    """64-bit difference hash (dHash) of an image: near-identical photos differ in a few bits."""
    small = image.convert("L").resize((size + 1, size), Image.Resampling.BILINEAR)
    px = np.asarray(small, dtype=np.int16)
    bits = (px[:, 1:] > px[:, :-1]).flatten()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_samples(samples: list[Sample]) -> dict[Path, int]:
    """dHash of every readable sample (unreadable ones are left out)."""
    out = {}
    for s in samples:
        try:
            out[s.path] = difference_hash(load_image(s.path, min_side=64))
        except ImageError:
            continue
    return out


def split_by_source(
    samples: list[Sample],
    val_fraction: float = 0.2,
    seed: int = 0,
    near_duplicate_bits: int = 6,
    hashes: dict[Path, int] | None = None,
) -> Split:
    """Stratified, seeded, source-grouped train/validation split without near-duplicate leakage.

    For each class with several sources, whole sources go to validation (in a seeded order, each
    only if the class's validation part stays under twice its share) until at least 70% of
    `val_fraction` of the class is there; the largest source always stays in training (the class
    must still be learnt). A class with one source is split by photo. Then any
    validation photo within `near_duplicate_bits` of a training photo (dHash) moves to training.
    """
    rng = random.Random(seed)
    by_class: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_class[s.label].append(s)
    train, val, notes = [], [], []
    for label, items in sorted(by_class.items()):
        groups: dict[str, list[Sample]] = defaultdict(list)
        for s in items:
            groups[s.group].append(s)
        target = max(1, round(len(items) * val_fraction))
        if len(groups) >= 2:
            names = sorted(groups)
            rng.shuffle(names)
            largest = max(names, key=lambda g: (len(groups[g]), g))
            chosen, n = [], 0
            for g in names:  # seeded order; whole sources, never the largest (the class must be learnt)
                if g == largest or n >= 0.7 * target:
                    continue
                if n + len(groups[g]) <= 2 * target:
                    chosen.append(g)
                    n += len(groups[g])
            for g in names:
                (val if g in chosen else train).extend(groups[g])
            notes.append(f"{label}: {len(chosen)} of {len(names)} sources held out ({n} photos): {sorted(chosen)}")
        else:
            shuffled = items[:]
            rng.shuffle(shuffled)
            val += shuffled[:target]
            train += shuffled[target:]
            notes.append(f"{label}: one source, {target} photos held out at random")
    if near_duplicate_bits >= 0:
        hashes = hashes if hashes is not None else hash_samples(train + val)
        train_hashes = [hashes[s.path] for s in train if s.path in hashes]
        kept, moved = [], 0
        for s in val:
            h = hashes.get(s.path)
            if h is not None and any(hamming(h, t) <= near_duplicate_bits for t in train_hashes):
                train.append(s)
                moved += 1
            else:
                kept.append(s)
        val = kept
        notes.append(f"{moved} validation photos within {near_duplicate_bits} bits (dHash) of a training photo moved to training")
    if not val:
        raise DatasetError("The validation split is empty: add photos or raise val_fraction.")
    return Split(sorted(train, key=lambda s: str(s.path)), sorted(val, key=lambda s: str(s.path)), notes)


def random_split(samples: list[Sample], val_fraction: float = 0.2, seed: int = 0) -> Split:
    """Stratified, seeded split by photo (for generated data, where sources mean nothing)."""
    relabelled = [Sample(s.path, s.label, str(s.path)) for s in samples]
    return split_by_source(relabelled, val_fraction, seed, near_duplicate_bits=-1)
