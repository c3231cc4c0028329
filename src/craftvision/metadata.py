"""The model file's metadata, typed and read strictly (``craftvision-model/2``).

A model file describes itself: what it predicts and how to preprocess for it, how its
probabilities were calibrated and its decisions thresholded (and on what), what really trained
it, and the held-out figures of its validation run. Every object here is read with
`from_dict`, which refuses a missing or unknown key with a message naming the key and the file,
as `PreprocessSpec.from_dict` does: no default is ever filled in for a key a file lacks.
Needs the standard library only.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import ModelFileError
from .preprocess import PreprocessSpec

MODEL_FORMAT = "craftvision-model/2"
#: The value of `fitted_on` for thresholds or a temperature that were not fitted (explicit, never implied).
NOT_FITTED = "not fitted"
MODES = ("head_only", "partial_finetune", "finetune", "untrained")


def _check_keys(cls, data: Any, where: str) -> dict:
    """`data` as a dict holding exactly the fields of `cls`; else a ModelFileError naming what is wrong."""
    names = [f.name for f in fields(cls)]
    if not isinstance(data, dict):
        raise ModelFileError(f"{where} must be a mapping with keys {names}; got {type(data).__name__}.")
    missing = [k for k in names if k not in data]
    unknown = [k for k in data if k not in names]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"lacks {missing}")
        for k in unknown:
            close = difflib.get_close_matches(k, names, n=1)
            parts.append(f"has the unknown key {k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ModelFileError(f"{where} " + " and ".join(parts) + ": re-export the model or run `craftvision calibrate`.")
    return data


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelFileError(f"{where} must be a number; got {value!r}.")
    return float(value)


def _counts(value: Any, where: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        raise ModelFileError(f"{where} must map class names to photo counts; got {value!r}.")
    return {str(k): int(v) for k, v in value.items()}


@dataclass(frozen=True)
class DecisionRule:
    """Thresholds on calibrated probabilities: not_a_craft, else accept, else review.

    Attributes:
        fitted_on: what they were fitted on (e.g. "404 validation photos of ..."), or NOT_FITTED
            for the conservative defaults of a model nobody calibrated.
        targets: the targets they were chosen for ({} when not fitted).
    """

    accept_min_probability: float
    not_a_craft_min_probability: float
    method: str
    fitted_on: str
    targets: dict

    @property
    def fitted(self) -> bool:
        return self.fitted_on != NOT_FITTED

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "DecisionRule":
        d = _check_keys(cls, data, where)
        return cls(_number(d["accept_min_probability"], f"{where}.accept_min_probability"),
                   _number(d["not_a_craft_min_probability"], f"{where}.not_a_craft_min_probability"),
                   str(d["method"]), str(d["fitted_on"]),
                   {str(k): _number(v, f"{where}.targets.{k}") for k, v in dict(d["targets"]).items()})

    @classmethod
    def defaults(cls) -> "DecisionRule":
        """Conservative thresholds for a model whose thresholds were not fitted (e.g. test models)."""
        return cls(0.9, 0.5, "max-probability (defaults)", NOT_FITTED, {})


@dataclass(frozen=True)
class Calibration:
    """Temperature and both decision rules: for one photo, and for a fused product of several photos."""

    temperature: float
    temperature_fitted_on: str
    decision: DecisionRule
    product_decision: DecisionRule

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Calibration":
        d = _check_keys(cls, data, where)
        return cls(_number(d["temperature"], f"{where}.temperature"), str(d["temperature_fitted_on"]),
                   DecisionRule.from_dict(d["decision"], f"{where}.decision"),
                   DecisionRule.from_dict(d["product_decision"], f"{where}.product_decision"))

    @classmethod
    def not_fitted(cls) -> "Calibration":
        return cls(1.0, NOT_FITTED, DecisionRule.defaults(), DecisionRule.defaults())


@dataclass(frozen=True)
class TrainingRecord:
    """What really trained the weights in the file (only settings that applied to its mode).

    Attributes:
        mode: "head_only" (logistic head on frozen embeddings), "partial_finetune" (upper stages
            on cached activations), "finetune" (the full loop) or "untrained".
        refit_on_all_photos: the validation photos were in training too (a shipped refit).
        init_from: where the backbone weights started ("imagenet", a checkpoint name, "random").
        resolution: the input size (pixels, square) the model was trained and serves at.
        views: views per training photo (eval crop, mirror, augmented crops); 0 where it does not apply.
        head_regularisation: the regularisation of the head that applied (e.g. {"C": 2.0}).
        settings: the other settings of that mode that applied (epochs, lr...), numbers or strings.
        seed, git: the seed and the code revision of the run.
        data_manifest_sha256: SHA-256 over (part, class, file name, content hash) of every photo used.
        train_counts, val_counts: photos per class in training and in the run's validation part.
    """

    mode: str
    refit_on_all_photos: bool
    init_from: str
    resolution: int
    views: int
    head_regularisation: dict
    settings: dict
    seed: int
    git: str
    data_manifest_sha256: str
    train_counts: dict
    val_counts: dict

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "TrainingRecord":
        d = _check_keys(cls, data, where)
        if d["mode"] not in MODES:
            raise ModelFileError(f"{where}.mode must be one of {list(MODES)}; got {d['mode']!r}.")
        if not isinstance(d["refit_on_all_photos"], bool):
            raise ModelFileError(f"{where}.refit_on_all_photos must be true or false; got {d['refit_on_all_photos']!r}.")
        settings = dict(d["settings"])
        for k, v in settings.items():
            if not isinstance(v, (int, float, str, bool)):
                raise ModelFileError(f"{where}.settings.{k} must be a number, string or boolean; got {v!r}.")
        return cls(str(d["mode"]), d["refit_on_all_photos"], str(d["init_from"]),
                   int(_number(d["resolution"], f"{where}.resolution")), int(_number(d["views"], f"{where}.views")),
                   {str(k): _number(v, f"{where}.head_regularisation.{k}") for k, v in dict(d["head_regularisation"]).items()},
                   settings, int(_number(d["seed"], f"{where}.seed")), str(d["git"]), str(d["data_manifest_sha256"]),
                   _counts(d["train_counts"], f"{where}.train_counts"), _counts(d["val_counts"], f"{where}.val_counts"))


@dataclass(frozen=True)
class HeldOutMetrics:
    """Figures of the validation run's model on validation photos whose sources it never trained on.

    Attributes:
        model: the file name of the model measured (this file, or the validation-run model of a refit).
        split: the split file whose validation photos were used.
        photos: how many photos.
        top1, top3, macro_f1, ece: over all classes, ECE after temperature scaling.
    """

    model: str
    split: str
    photos: int
    top1: float
    top3: float
    macro_f1: float
    ece: float

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "HeldOutMetrics":
        d = _check_keys(cls, data, where)
        return cls(str(d["model"]), str(d["split"]), int(_number(d["photos"], f"{where}.photos")),
                   *(_number(d[k], f"{where}.{k}") for k in ("top1", "top3", "macro_f1", "ece")))


@dataclass(frozen=True)
class ModelMetadata:
    """Everything a craftvision model file says about itself (JSON under the key ``craftvision``).

    Attributes:
        held_out: None when the model was never measured on held-out photos (e.g. a test model);
            a refit model carries the figures of its validation-run model, named in `model`.
        holdout_model: for a refit, the file name of its validation-run model; else None.
        data_source: where the photos came from (they are not redistributed).
    """

    format: str
    class_names: list
    preprocess: PreprocessSpec
    backbone: str
    craftvision_version: str
    taxonomy_version: str
    outputs: list
    calibration: Calibration
    training: TrainingRecord
    held_out: HeldOutMetrics | None
    holdout_model: str | None
    data_source: str

    @classmethod
    def from_dict(cls, data: Any, where: str = "The model metadata") -> "ModelMetadata":
        """Read metadata strictly; `where` names the file in messages ("The model file 'x.onnx' metadata")."""
        if isinstance(data, dict) and data.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"{where} is of format {data.get('format')!r}, not {MODEL_FORMAT!r}: "
                                 "re-export it, or upgrade it with `craftvision calibrate MODEL --split SPLIT --upgrade`.")
        d = _check_keys(cls, data, where)
        try:
            spec = PreprocessSpec.from_dict(d["preprocess"])
        except Exception as exc:
            raise ModelFileError(f"{where}.preprocess: {exc}") from None
        names = d["class_names"]
        if not isinstance(names, list) or not names or not all(isinstance(c, str) for c in names):
            raise ModelFileError(f"{where}.class_names must be a non-empty list of class names; got {names!r}.")
        return cls(MODEL_FORMAT, list(names), spec, str(d["backbone"]), str(d["craftvision_version"]),
                   str(d["taxonomy_version"]), list(d["outputs"]),
                   Calibration.from_dict(d["calibration"], f"{where}.calibration"),
                   TrainingRecord.from_dict(d["training"], f"{where}.training"),
                   None if d["held_out"] is None else HeldOutMetrics.from_dict(d["held_out"], f"{where}.held_out"),
                   None if d["holdout_model"] is None else str(d["holdout_model"]), str(d["data_source"]))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["preprocess"] = self.preprocess.to_dict()
        return out
