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

_FINETUNE_REGULARISATION = ("weight_decay", "label_smoothing")
_FINETUNE_SETTINGS = ("epochs", "batch_size", "lr", "backbone_lr_scale", "warmup_epochs", "balance", "freeze_backbone",
                      "lp_init", "augment_scale_min", "color_jitter")
_PARTIAL_SETTINGS = ("tune_from", "epochs", "batch_size", "lr", "head_lr_scale")


def _mode(ckpt: dict) -> tuple[str, bool]:
    run_mode = ckpt.get("run", {}).get("mode", "finetune")
    refit = run_mode.endswith("_refit_all")
    return run_mode.removesuffix("_refit_all"), refit


def _applied(ckpt: dict, mode: str) -> tuple[int, dict, dict]:
    """(views, head regularisation, other settings) that applied to the checkpoint's mode.

    Read from the run's resolved configuration (``config.to_dict()`` saved in the checkpoint):
    only the section of the mode that ran, and the head section where a logistic head was fitted.
    """
    cfg = ckpt.get("config", {})
    head = cfg.get("head", {})
    if mode == "head_only":
        return int(head["views"]), {"C": float(head["c"])}, {"head": "logistic_regression", "class_weight": "balanced"}
    if mode == "partial_finetune":
        p = cfg.get("partial", {})
        reg = {"lp_c": float(head["c"]), **{k: float(p[k]) for k in ("weight_decay", "label_smoothing", "wise_alpha") if k in p}}
        return int(p["views"]), reg, {k: p[k] for k in _PARTIAL_SETTINGS if k in p}
    ft = cfg.get("finetune", {})
    reg = {k: float(ft[k]) for k in _FINETUNE_REGULARISATION if k in ft}
    if "drop_rate" in cfg.get("model", {}):
        reg["drop_rate"] = float(cfg["model"]["drop_rate"])
    if ft.get("lp_init"):
        reg["lp_c"] = float(head["c"])
    settings = {k: ft[k] for k in _FINETUNE_SETTINGS if k in ft}
    settings["epochs_run"] = int(ckpt.get("epoch", 0)) + 1
    return 0, reg, settings  # augmented on the fly: no fixed views per photo


def manifest_hash(run_dir: Path, train, val) -> str:
    """The run's recorded data manifest hash (``run.json``), else computed from its split."""
    record = run_dir / "run.json"
    if record.exists():
        value = json.loads(record.read_text()).get("dataset_manifest_sha256")
        if value:
            return value
    from .run import dataset_manifest_hash

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
    model_cfg = cfg.get("model", {})
    init = run.get("init_from") or model_cfg.get("init_from") or ("imagenet" if model_cfg.get("pretrained", True) else "random")
    return TrainingRecord(
        mode=mode, refit_on_all_photos=refit, init_from=str(init),
        resolution=int(ckpt["preprocess"]["input_size"][0]), views=views, head_regularisation=reg,
        settings={k: v for k, v in settings.items() if v is not None}, seed=int(cfg.get("seed", 0)),
        git=str(run.get("git", "unknown")), data_manifest_sha256=manifest_hash(run_dir, train, val) if split.exists() else "unknown",
        train_counts=counts(train), val_counts=counts(val))
