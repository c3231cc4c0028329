"""What really trained a checkpoint, as recorded in its model file (`metadata.TrainingRecord`).

Only the settings that applied to the checkpoint's mode are recorded: a head-only model's
metadata names its logistic head and C, not the fine-tuning loop's epochs and learning rate.
Counts and the data manifest hash come from the run folder's ``split.json`` and ``run.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..data import Split
from ..metadata import TrainingRecord
from ..splitfile import read_split

_FINETUNE_REGULARISATION = ("weight_decay", "label_smoothing", "drop_rate")
_FINETUNE_SETTINGS = ("epochs", "batch_size", "lr", "backbone_lr_scale", "warmup_epochs", "balance", "freeze_backbone",
                      "lp_init", "augment_scale_min", "color_jitter")


def _mode(ckpt: dict) -> tuple[str, bool]:
    run_mode = ckpt.get("run", {}).get("mode", "finetune")
    refit = run_mode.endswith("_refit_all")
    return run_mode.removesuffix("_refit_all"), refit


def _applied(ckpt: dict, mode: str) -> tuple[int, dict, dict]:
    """(views, head regularisation, other settings) that applied to the checkpoint's mode."""
    m, cfg = ckpt.get("metrics", {}), ckpt.get("config", {})
    if mode == "head_only":
        return int(m["views"]), {"C": float(m["C"])}, {"head": "logistic_regression", "class_weight": "balanced"}
    if mode == "partial_finetune":
        reg = {k: float(m[k]) for k in ("lp_c", "label_smoothing", "weight_decay") if k in m}
        reg["wise_alpha"] = float(m["wise_alpha"])
        settings = {k: m[k] for k in ("tune_from", "epochs", "lr", "head_lr_scale") if k in m}
        return int(m["views"]), reg, {**settings, "batch_size": cfg.get("batch_size")}
    reg = {k: float(cfg[k]) for k in _FINETUNE_REGULARISATION if k in cfg}
    settings = {k: cfg[k] for k in _FINETUNE_SETTINGS if k in cfg}
    if cfg.get("lp_init"):
        reg["lp_c"] = float(cfg["lp_c"])
    settings["epochs_run"] = int(ckpt.get("epoch", 0)) + 1
    return 0, reg, settings  # augmented on the fly: no fixed views per photo


def manifest_hash(run_dir: Path, train, val) -> str:
    """The run's recorded data manifest hash (``run.json``), else computed from its split."""
    record = run_dir / "run.json"
    if record.exists():
        value = json.loads(record.read_text()).get("dataset_manifest_sha256")
        if value:
            return value
    from .train import dataset_manifest_hash

    return dataset_manifest_hash(Split(train, val))


def counts(samples) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in samples:
        out[s.label] = out.get(s.label, 0) + 1
    return dict(sorted(out.items()))


def training_record(ckpt: dict, checkpoint: str | Path) -> TrainingRecord:
    """The training record of a checkpoint written by any training mode, from its run folder."""
    run_dir = Path(checkpoint).parent
    mode, refit = _mode(ckpt)
    views, reg, settings = _applied(ckpt, mode)
    split = run_dir / "split.json"
    train, val = read_split(split)[:2] if split.exists() else ([], [])
    cfg, run = ckpt.get("config", {}), ckpt.get("run", {})
    init = run.get("init_from") or cfg.get("init_from") or ("imagenet" if cfg.get("pretrained", True) else "random")
    return TrainingRecord(
        mode=mode, refit_on_all_photos=refit, init_from=str(init),
        resolution=int(ckpt["preprocess"]["input_size"][0]), views=views, head_regularisation=reg,
        settings={k: v for k, v in settings.items() if v is not None}, seed=int(cfg.get("seed", 0)),
        git=str(run.get("git", "unknown")), data_manifest_sha256=manifest_hash(run_dir, train, val) if split.exists() else "unknown",
        train_counts=counts(train), val_counts=counts(val))
