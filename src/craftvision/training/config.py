"""Typed training configuration: dataclass defaults, overridden by a YAML file then by CLI flags."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import ConfigError


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved beside every checkpoint.

    Attributes:
        data: ImageFolder root (one sub-folder per class).
        val_data: explicit validation folder; when empty, `data` is split here.
        extra_classes: more classes as ``{name: folder}``, e.g. ``{"not_a_craft": ".../noncraft"}``.
        out_dir: run folder (checkpoints, log, resolved config).
        backbone: timm model name.
        pretrained: start from ImageNet weights (offline packages or `weights_path`).
        weights_path: local state dict for backbones without an offline package.
        init_from: a craftvision checkpoint to warm-start from (same classes).
        image_size: override the backbone's default input size (square), 0 keeps the default.
        epochs, batch_size, lr, weight_decay, warmup_epochs, label_smoothing: the optimiser recipe
            (AdamW, linear warm-up then cosine decay).
        backbone_lr_scale: the backbone learns at lr * this (the new head at lr).
        freeze_backbone: train only the head (features still computed each step, with augmentation).
        balance: "sampler" (class-balanced sampling), "loss" (class weights) or "none".
        val_fraction, split_seed, group_split, dedupe_bits: the validation split.
        patience: stop after this many epochs without a better validation macro-F1.
        seed: seeds Python, numpy and torch.
        num_threads: torch intra-op threads (0 = all cores).
        max_per_class: cap photos per class (quick runs and tests), 0 = no cap.
        augment_scale_min, color_jitter: augmentation strength.
        lp_init: start the head from a logistic regression on frozen embeddings (LP-FT, Kumar et
            al. 2022: fine-tuning from a fitted head distorts the pretrained features less, which
            helps on photos from unseen sources); lp_c is its inverse L2 strength.
    """

    data: str = ""
    val_data: str = ""
    extra_classes: dict = field(default_factory=dict)
    out_dir: str = "runs/latest"
    backbone: str = "tf_efficientnet_lite0"
    pretrained: bool = True
    weights_path: str = ""
    init_from: str = ""
    image_size: int = 0
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    backbone_lr_scale: float = 0.1
    weight_decay: float = 0.02
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    drop_rate: float = 0.3
    freeze_backbone: bool = False
    balance: str = "sampler"
    val_fraction: float = 0.2
    split_seed: int = 0
    group_split: bool = True
    dedupe_bits: int = 6
    patience: int = 4
    seed: int = 0
    num_threads: int = 0
    max_per_class: int = 0
    augment_scale_min: float = 0.35
    color_jitter: float = 0.3
    lp_init: bool = False
    lp_c: float = 2.0

    def validate(self) -> "TrainConfig":
        if self.balance not in ("sampler", "loss", "none"):
            raise ConfigError(f"balance must be 'sampler', 'loss' or 'none'; got {self.balance!r}.")
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError(f"epochs and batch_size must be at least 1; got {self.epochs} and {self.batch_size}.")
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be between 0 and 1; got {self.val_fraction}.")
        if not self.data:
            raise ConfigError("No training data: set data to an ImageFolder root (--data DIR).")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


def _check_keys(data: dict, where: str) -> None:
    names = [f.name for f in fields(TrainConfig)]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"Unknown training option {key!r} in {where}.{hint}")


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> TrainConfig:
    """Defaults, then a YAML file, then explicit overrides (None values are ignored)."""
    values: dict = {}
    if path:
        from ..files import read_yaml

        loaded = read_yaml(path, "config file")
        if not isinstance(loaded, dict):
            raise ConfigError(f"The config file {path} must hold a mapping of options.")
        _check_keys(loaded, str(path))
        values.update(loaded)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    _check_keys(overrides, "the command line")
    values.update(overrides)
    types = {f.name: f.type for f in fields(TrainConfig)}
    for key, value in list(values.items()):
        if types[key] in ("int", int) and isinstance(value, str):
            values[key] = int(value)
        elif types[key] in ("float", float) and isinstance(value, (str, int)):
            values[key] = float(value)
    return TrainConfig(**values).validate()
