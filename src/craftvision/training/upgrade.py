"""Upgrade a model file's version-1 metadata (``craftvision-model/1``) without retraining.

Version 1 mixed what applied with what did not: its ``training.config`` held the fine-tuning
loop's defaults (epochs, learning rate) even for a head-only model, and a refit model's
``metrics`` were its figures on its own training photos. The upgrade keeps only what that
version recorded truthfully (the run's mode, head C and views, init, seed, git revision,
preprocessing, classes) and recomputes from the split the rest: counts per class and the data
manifest hash. Calibration and held-out figures are refitted by `calibrate_model` afterwards.
"""

from __future__ import annotations

from pathlib import Path

from ..data import Split
from ..errors import ModelFileError
from ..metadata import MODEL_FORMAT, Calibration, ModelMetadata, TrainingRecord
from ..preprocess import PreprocessSpec
from ..splitfile import read_split
from .provenance import counts


def upgrade_metadata(doc: dict, split_json: str | Path, path: str | Path) -> ModelMetadata:
    """Version-2 metadata for a version-1 head-only model trained on `split_json` (see module doc).

    Raises:
        ModelFileError: the metadata is not version 1, or its run is not one version 1 recorded
            enough about (only head-only runs, held out or refit on all photos).
    """
    from .run import dataset_manifest_hash

    if doc.get("format") != "craftvision-model/1":
        raise ModelFileError(f"--upgrade reads craftvision-model/1 metadata; '{path}' has {doc.get('format')!r}.")
    run, m = doc["training"]["run"], doc["training"]["metrics"]
    if run.get("mode") not in ("head_only", "head_only_refit_all") or m.get("head") != "logistic_regression":
        raise ModelFileError(f"'{path}' was trained in mode {run.get('mode')!r}: only head-only version-1 models can be "
                             "upgraded without retraining; re-export it from its checkpoint.")
    refit = run["mode"] == "head_only_refit_all"
    train, val, _ = read_split(split_json)
    trained_on = sorted(train + val, key=lambda s: str(s.path)) if refit else train
    if len(trained_on) != run["train_size"] or len(val) != run["val_size"]:
        raise ModelFileError(f"'{path}' was trained on {run['train_size']} photos and validated on {run['val_size']}; the "
                             f"split {split_json} gives {len(trained_on)} and {len(val)}: pass the split of its run.")
    spec = PreprocessSpec.from_dict(doc["preprocess"])
    training = TrainingRecord(
        mode="head_only", refit_on_all_photos=refit, init_from=str(run["init_from"]), resolution=spec.input_size[0],
        views=int(m["views"]), head_regularisation={"C": float(m["C"])},
        settings={"head": "logistic_regression", "class_weight": "balanced"},
        seed=int(doc["training"]["config"]["seed"]), git=str(run["git"]),
        data_manifest_sha256=dataset_manifest_hash(Split(trained_on, val)),
        train_counts=counts(trained_on), val_counts=counts(val))
    holdout = doc.get("data", {}).get("holdout_model") if refit else None
    return ModelMetadata(
        format=MODEL_FORMAT, class_names=list(doc["class_names"]), preprocess=spec, backbone=doc["backbone"],
        craftvision_version=doc["craftvision_version"], taxonomy_version=doc["taxonomy_version"],
        outputs=list(doc["outputs"]), calibration=Calibration.not_fitted(), training=training, held_out=None,
        holdout_model=holdout, data_source=doc["data"]["source"])
