"""One typed configuration for every training run and recipe: dataclass sections with defaults in code.

A YAML file (``training/*.yaml``) overrides the defaults, then the command line overrides the file.
The same object is read by ``craftvision train --config`` and ``craftvision recipe``:

    mode: head            # finetune | partial | head: which strategy `train(config)` runs
    out_dir: runs/x       # the run folder
    seed: 0
    num_threads: 2
    data: {folder, val_folder, extra_classes, val_fraction, split_seed, group_split, dedupe_bits, max_per_class}
    model: {backbone, pretrained, weights_path, init_from, image_size, drop_rate}
    finetune: {epochs, batch_size, lr, ...}       # mode finetune (the full training loop)
    head: {c, views}                              # the logistic head (mode head, and every linear probe)
    partial: {tune_from, views, epochs, lr, ...}  # mode partial
    calibration: {accept_precision, noncraft_caught, craft_to_not_a_craft_max}
    output: {refit_all, model_out, holdout_model_out, report_dir, card, baselines}   # recipe only

Unknown keys are errors that suggest the close match; values are checked against the declared
types (a quoted "false" is not a bool, "3e-4" is read as a float because YAML 1.1 leaves it a string).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..errors import ConfigError

# Annotation names of the value types the loader checks (``from __future__ import annotations``
# keeps annotations as these strings).
PathStr = str
PathMap = dict

MODES = ("finetune", "partial", "head")


@dataclass
class DataConfig:
    """The photos and their validation split.

    Attributes:
        folder: ImageFolder root (one sub-folder per class).
        val_folder: explicit validation folder; when empty, `folder` is split by source.
        extra_classes: more classes as ``{name: folder}``, e.g. ``{"not_a_craft": ".../noncraft"}``.
        val_fraction, split_seed, group_split, dedupe_bits: the validation split (source-grouped,
            near-duplicates within `dedupe_bits` of dHash kept on one side).
        max_per_class: cap photos per class (quick runs and tests), 0 = no cap.
    """

    folder: PathStr = ""
    val_folder: PathStr = ""
    extra_classes: PathMap = field(default_factory=dict)
    val_fraction: float = 0.2
    split_seed: int = 0
    group_split: bool = True
    dedupe_bits: int = 6
    max_per_class: int = 0


@dataclass
class ModelConfig:
    """The network. `init_from`: in mode finetune a checkpoint with the same classes to warm-start from;
    in modes head and partial a checkpoint whose backbone is reused (its classifier is not)."""

    backbone: str = "tf_efficientnet_lite0"
    pretrained: bool = True
    weights_path: PathStr = ""
    init_from: PathStr = ""
    image_size: int = 0  # square input size; 0 keeps the backbone's default
    drop_rate: float = 0.3


@dataclass
class FinetuneConfig:
    """The full training loop: AdamW, linear warm-up then cosine decay, early stopping on macro-F1.

    Attributes:
        backbone_lr_scale: the backbone learns at lr * this (the new head at lr).
        freeze_backbone: train only the head (features still computed each step, with augmentation).
        balance: "sampler" (class-balanced sampling), "loss" (class weights) or "none".
        patience: stop after this many epochs without a better validation macro-F1.
        augment_scale_min, color_jitter: augmentation strength.
        lp_init: start the head from the logistic head on frozen embeddings (LP-FT, Kumar et al.
            2022: fine-tuning from a fitted head distorts the pretrained features less, which helps
            on photos from unseen sources); its regularisation is ``head.c``.
    """

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    backbone_lr_scale: float = 0.1
    weight_decay: float = 0.02
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.1
    freeze_backbone: bool = False
    balance: str = "sampler"
    patience: int = 4
    augment_scale_min: float = 0.35
    color_jitter: float = 0.3
    lp_init: bool = False


@dataclass
class HeadConfig:
    """The class-balanced logistic head on frozen embeddings (mode head, and the linear probe of the others).

    Attributes:
        c: inverse L2 regularisation strength (scikit-learn's ``C``).
        views: embedding views per training photo: eval crop, mirror, then seeded augmented crops.
    """

    c: float = 2.0
    views: int = 2


@dataclass
class PartialConfig:
    """Fine-tuning of the last backbone stages on cached activations, LP-FT then WiSE-FT (see partial.py).

    Attributes:
        tune_from: first block that trains (lite0 has blocks 0-6; 5 trains the last two stages).
        views: cached views per photo (eval crop, mirror, then seeded augmented crops).
        epochs, batch_size, lr, weight_decay: the optimiser (cosine decay after one warm-up epoch).
        head_lr_scale: the classifier learns at lr * this.
        wise_alpha: weight of the fine-tuned weights in the final average with the start (1 = none).
        label_smoothing: 0 by default: the linear probe separates the training photos with confident
            logits, and a smoothed target makes the first epoch spend itself flattening them
            (measured: loss 1.7 and validation top-1 0.70 -> 0.46).
    """

    tune_from: int = 5
    views: int = 4
    epochs: int = 6
    batch_size: int = 32
    lr: float = 3e-4
    weight_decay: float = 0.02
    head_lr_scale: float = 1.0
    wise_alpha: float = 0.5
    label_smoothing: float = 0.0


@dataclass
class CalibrationConfig:
    """Decision targets on the validation photos (the temperature is fitted there too)."""

    accept_precision: float = 0.98
    noncraft_caught: float = 0.90
    craft_to_not_a_craft_max: float = 0.02


@dataclass
class OutputConfig:
    """Where a recipe puts the shipped model. With `refit_all` the model is refit on every photo after
    the validation run, whose model is kept as `holdout_model_out` so its figures stay reproducible."""

    refit_all: bool = False
    model_out: PathStr = "models/craftvision.onnx"
    holdout_model_out: PathStr = "models/validation/craftvision-holdout.onnx"
    report_dir: PathStr = "models/report"
    card: PathStr = "models/MODEL_CARD.md"
    baselines: bool = True


@dataclass
class RunConfig:
    """Everything a training run depends on; saved beside every checkpoint (``config.json``)."""

    mode: str = "finetune"
    out_dir: PathStr = "runs/latest"
    seed: int = 0
    num_threads: int = 0  # torch intra-op threads, 0 = all cores
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    head: HeadConfig = field(default_factory=HeadConfig)
    partial: PartialConfig = field(default_factory=PartialConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    def validate(self) -> "RunConfig":
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}.")
        if self.finetune.balance not in ("sampler", "loss", "none"):
            raise ConfigError(f"finetune.balance must be 'sampler', 'loss' or 'none'; got {self.finetune.balance!r}.")
        for name in ("finetune", "partial"):
            sec = getattr(self, name)
            if sec.epochs < 1 or sec.batch_size < 1:
                raise ConfigError(f"{name}.epochs and {name}.batch_size must be at least 1; got {sec.epochs} and "
                                  f"{sec.batch_size}.")
        if not 0 < self.data.val_fraction < 1:
            raise ConfigError(f"data.val_fraction must be between 0 and 1; got {self.data.val_fraction}.")
        if self.head.c <= 0 or self.head.views < 1:
            raise ConfigError(f"head.c must be positive and head.views at least 1; got {self.head.c} and {self.head.views}.")
        if self.output.refit_all and self.mode == "finetune":
            raise ConfigError("output.refit_all needs mode 'head' or 'partial' (the refit reuses cached features); "
                              "got mode 'finetune'.")
        if not self.data.folder:
            raise ConfigError("No training data: set data.folder to an ImageFolder root (--data DIR).")
        return self

    def to_dict(self) -> dict:
        """The nested form, as in the YAML files (``load_config`` reads it back)."""
        return asdict(self)

    def replace(self, **overrides) -> "RunConfig":
        """A copy with `overrides` (same keys as `load_config`'s) applied and checked."""
        return load_config(None, {**_flatten(self.to_dict()), **overrides})


SECTIONS = {f.name: f.default_factory for f in fields(RunConfig) if callable(getattr(f, "default_factory", None))}
TOP_LEVEL = [f.name for f in fields(RunConfig) if f.name not in SECTIONS]
_KINDS = {"": {f.name: f.type for f in fields(RunConfig)},
          **{name: {f.name: f.type for f in fields(cls)} for name, cls in SECTIONS.items()}}


def config_summary(doc: dict) -> dict:
    """The settings that describe a trained model (for its metadata): mode, seed, model and the mode's section."""
    mode = doc.get("mode", "finetune")
    return {"mode": mode, "seed": doc.get("seed"), "model": doc.get("model", {}), mode: doc.get(mode, {})}


def _flatten(doc: dict) -> dict:
    flat = {}
    for key, value in doc.items():
        if key in SECTIONS:
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _unknown(key: str, known: list[str], where: str, scope: str) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=2)
    owners = [s for s, cls in SECTIONS.items() if key in {f.name for f in fields(cls)}]
    if close:
        hint = " Did you mean " + " or ".join(repr(c) for c in close) + "?"
    elif owners:
        hint = f" It belongs in the section {' or '.join(repr(o) for o in owners)} (e.g. {owners[0]}: {{{key}: ...}})."
    else:
        hint = ""
    return ConfigError(f"Unknown training option {key!r} in {scope} of {where}.{hint} Known there: {', '.join(known)}.")


_INT = re.compile(r"[+-]?\d+")


def _coerce(name: str, kind: str, value, where: str):
    """`value` as the declared type `kind`, or a ConfigError that says what was expected and got."""
    def bad(expected: str):
        return ConfigError(f"The training option {name!r} in {where} must be {expected}; got {value!r} "
                           f"({type(value).__name__}).")

    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise bad("true or false (unquoted)")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value.strip()):
            return int(value)
        raise bad("a whole number")
    if kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise bad("a number")
    if kind in ("str", "PathStr"):
        if isinstance(value, str) or (kind == "PathStr" and isinstance(value, os.PathLike)):
            return str(value)
        raise bad("a path" if kind == "PathStr" else "a text")
    if kind == "PathMap":
        if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, (str, os.PathLike)) for k, v in value.items()):
            return {k: str(v) for k, v in value.items()}
        raise bad("a mapping of class name to folder")
    raise ConfigError(f"Undeclared type {kind!r} of {name!r}.")  # a programming error, caught by the tests


def _apply(values: dict, doc: dict, where: str) -> None:
    """Merge a nested document (YAML shape) or dotted keys (``"model.backbone"``) into `values`, checking keys."""
    for key, value in doc.items():
        section, _, sub = key.partition(".")
        if sub:
            _apply(values, {section: {sub: value}}, where)
        elif key in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"The section {key!r} in {where} must be a mapping of options; got {value!r}.")
            known = [f.name for f in fields(SECTIONS[key])]
            for k, v in value.items():
                if k not in known:
                    raise _unknown(k, known, where, f"section {key!r}")
                values[key][k] = _coerce(f"{key}.{k}", _KINDS[key][k], v, where)
        elif key in TOP_LEVEL:
            values[key] = _coerce(key, _KINDS[""][key], value, where)
        else:
            raise _unknown(key, TOP_LEVEL + list(SECTIONS), where, "the top level")


def _build(values: dict) -> RunConfig:
    sections = {name: cls(**values[name]) for name, cls in SECTIONS.items()}
    return RunConfig(**{k: v for k, v in values.items() if k in TOP_LEVEL}, **sections)


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> RunConfig:
    """Defaults, then a YAML file, then explicit overrides (None values are ignored).

    Args:
        path: a YAML file with the sections above (``training/*.yaml``), or None.
        overrides: nested like the file, or dotted keys (``{"model.backbone": "x", "finetune.epochs": 2}``).

    Raises:
        ConfigError: unreadable file, unknown key (with the close match), wrong type or value.
    """
    values: dict = {name: {} for name in SECTIONS}
    if path:
        from ..files import read_yaml

        loaded = read_yaml(path, "config file")
        if not isinstance(loaded, dict):
            raise ConfigError(f"The config file {path} must hold a mapping of sections; got {type(loaded).__name__}.")
        _apply(values, loaded, str(path))
    cli = {k: v for k, v in (overrides or {}).items() if v is not None}
    _apply(values, cli, "the command line" if path else "the overrides")
    return _build(values).validate()
