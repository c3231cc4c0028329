"""The run folder: one object that prepares a run and writes everything it leaves behind.

A run folder holds ``config.json`` (the resolved configuration, loadable with ``--config``),
``split.json`` (class names, train and validation files), ``log.jsonl`` (one line per epoch or
stage), checkpoints (``best.pt``, ``last.pt``), the strategy's own summary (``head_only.json``,
``partial.json``) and ``run.json`` (dataset manifest hash, code version, git revision, checksum
of the checkpoint). In a distributed run only rank 0 writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import subprocess
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..data import Sample, Split, difference_hash, file_sha256, random_split, scan_image_folder, split_by_source
from ..errors import DatasetError, ImageError
from ..images import load_image
from ..splitfile import write_split
from .checkpoint import save_checkpoint
from .config import RunConfig

log = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
        return out.stdout.strip() or "unknown"
    except Exception:
        return "unknown"


def _readable(samples: list[Sample]) -> tuple[list[Sample], list[str], dict]:
    """Drop photos that cannot be decoded, saying which (training must not die on one bad file).

    Also returns the dHash of each readable photo, so the split does not decode them a second time.
    """
    ok, bad, hashes = [], [], {}
    for s in samples:
        try:
            hashes[s.path] = difference_hash(load_image(s.path, min_side=64))
            ok.append(s)
        except ImageError as exc:
            bad.append(str(exc))
    return ok, bad, hashes


def prepare_split(cfg: RunConfig) -> tuple[Split, list[str]]:
    """Scan the data and build the validation split the config asks for."""
    d = cfg.data
    samples, class_names = scan_image_folder(d.folder, d.extra_classes)
    if d.max_per_class:
        rng = random.Random(cfg.seed)
        by = {}
        for s in samples:
            by.setdefault(s.label, []).append(s)
        samples = [s for c in sorted(by) for s in rng.sample(by[c], min(d.max_per_class, len(by[c])))]
    samples, bad, hashes = _readable(samples)
    for msg in bad:
        log.warning("skipped: %s", msg)
    if d.val_folder:
        val, val_names = scan_image_folder(d.val_folder)
        unknown = set(val_names) - set(class_names)
        if unknown:
            raise DatasetError(f"The validation folder has classes the training data lacks: {sorted(unknown)}.")
        split = Split(samples, _readable(val)[0], ["explicit validation folder"])
    elif d.group_split:
        split = split_by_source(samples, d.val_fraction, d.split_seed, d.dedupe_bits, hashes=hashes)
    else:
        split = random_split(samples, d.val_fraction, d.split_seed)
    if bad:
        split.notes.append(f"{len(bad)} unreadable photos skipped")
    return split, class_names


def with_validation_in_training(split: Split) -> Split:
    """The refit of a shipped model: validation photos join training; the validation list is kept for the record."""
    return Split(sorted(split.train + split.val, key=lambda s: str(s.path)), split.val,
                 split.notes + ["refit on all photos: the validation photos are in training too"])


def dataset_manifest_hash(split: Split) -> str:
    """SHA-256 over the sorted (split, class, file name, content hash) of every photo used."""
    h = hashlib.sha256()
    for part, samples in (("train", split.train), ("val", split.val)):
        for s in sorted(samples, key=lambda x: str(x.path)):
            h.update(f"{part}\t{s.label}\t{s.path.name}\t{file_sha256(s.path)}\n".encode())
    return h.hexdigest()


class RunFolder:
    """One training run's folder. `prepare` seeds and makes the folder, `split` builds and records the split,
    `log` appends a line, `checkpoint` saves weights, `finish` writes the run record.

    Args:
        cfg: the resolved configuration.
        writer: False on the ranks of a distributed run other than 0 (they write nothing).
    """

    def __init__(self, cfg: RunConfig, writer: bool = True):
        self.cfg, self.writer = cfg, writer
        self.path = Path(cfg.out_dir)
        self.split_: Split | None = None
        self.class_names: list[str] = []

    def prepare(self) -> "RunFolder":
        seed_everything(self.cfg.seed)
        if self.cfg.num_threads:
            torch.set_num_threads(self.cfg.num_threads)
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    def split(self, use_all: bool = False) -> tuple[Split, list[str]]:
        """The split of the config's data (with `use_all`, validation photos join training), recorded in split.json."""
        split, self.class_names = prepare_split(self.cfg)
        self.split_ = with_validation_in_training(split) if use_all else split
        return self.split_, self.class_names

    def write_config(self) -> None:
        if self.writer:
            (self.path / "config.json").write_text(json.dumps(self.cfg.to_dict(), indent=2))

    def write_split(self) -> None:
        """``split.json``: each photo's path, label and source group (`splitfile.write_split`)."""
        if self.writer:
            write_split(self.path / "split.json", self.split_, self.class_names)

    def log(self, *rows: dict) -> None:
        if self.writer:
            with open(self.path / "log.jsonl", "a") as fh:
                for row in rows:
                    fh.write(json.dumps(row) + "\n")

    def run_meta(self, **extra) -> dict:
        """The ``run`` entry of a checkpoint: code revision and sizes."""
        return {"git": git_revision(), "train_size": len(self.split_.train), "val_size": len(self.split_.val), **extra}

    def checkpoint(self, name: str, model, spec, metrics: dict, epoch: int, extra: dict | None = None) -> Path:
        path = self.path / name
        if self.writer:
            save_checkpoint(path, model, self.cfg, self.class_names, spec, metrics, epoch, extra)
        return path

    def finish(self, checkpoint: Path, summary_name: str | None = None, summary: dict | None = None,
               extra: dict | None = None) -> Path:
        """Write the strategy's summary (when given) and ``run.json``: config, dataset manifest hash,
        code version and the checkpoint's checksum."""
        out = self.path / "run.json"
        if not self.writer:
            return out
        if summary_name:
            (self.path / summary_name).write_text(json.dumps(summary, indent=2))
        s = self.split_
        record = {"config": self.cfg.to_dict(), "dataset_manifest_sha256": dataset_manifest_hash(s),
                  "train_photos": len(s.train), "val_photos": len(s.val), "code_version": __version__,
                  "git_revision": git_revision(), "checkpoint": checkpoint.name,
                  "checkpoint_sha256": file_sha256(checkpoint) if checkpoint.exists() else None,
                  "metrics_log": "log.jsonl", **(extra or {})}
        out.write_text(json.dumps(record, indent=2))
        return out
