"""Tests of craftvision.metadata: the model file's metadata is typed and read strictly."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from craftvision.errors import ModelFileError
from craftvision.metadata import MODEL_FORMAT, NOT_FITTED, ModelMetadata

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "craftvision.onnx"
HOLDOUT = ROOT / "models" / "validation" / "craftvision-holdout.onnx"


def _meta_of(model) -> dict:
    import onnx

    m = onnx.load(str(model), load_external_data=False)
    return json.loads({p.key: p.value for p in m.metadata_props}["craftvision"])


def test_exported_metadata_round_trips(tiny_model):
    """Check that an export's metadata reads back into the same typed object and dict."""
    doc = _meta_of(tiny_model)
    meta = ModelMetadata.from_dict(doc)
    assert meta.format == MODEL_FORMAT and json.loads(json.dumps(meta.to_dict())) == doc
    assert meta.calibration.temperature_fitted_on == NOT_FITTED and not meta.calibration.decision.fitted
    assert meta.held_out is None and meta.training.mode == "finetune" and meta.training.resolution == 64


def test_missing_or_unknown_metadata_key_fails_with_a_clear_message(tiny_model):
    """Check that a missing top-level or nested key, or an unknown one, is refused naming the key and the file."""
    doc = _meta_of(tiny_model)
    bad = copy.deepcopy(doc)
    del bad["training"]
    with pytest.raises(ModelFileError, match=r"^The model file 'x.onnx' metadata lacks \['training'\]: re-export"):
        ModelMetadata.from_dict(bad, "The model file 'x.onnx' metadata")
    bad = copy.deepcopy(doc)
    del bad["calibration"]["product_decision"]["fitted_on"]
    with pytest.raises(ModelFileError, match=r"metadata\.calibration\.product_decision lacks \['fitted_on'\]"):
        ModelMetadata.from_dict(bad, "The model file 'x.onnx' metadata")
    bad = copy.deepcopy(doc)
    bad["training"]["epoch"] = 10
    with pytest.raises(ModelFileError, match=r"metadata\.training has the unknown key 'epoch'"):
        ModelMetadata.from_dict(bad, "The model file 'x.onnx' metadata")
    bad = copy.deepcopy(doc)
    bad["calibration"]["temperature"] = "1.5"
    with pytest.raises(ModelFileError, match=r"calibration\.temperature must be a number; got '1.5'"):
        ModelMetadata.from_dict(bad)
    with pytest.raises(ModelFileError, match=r"is of format 'craftvision-model/1', not 'craftvision-model/2'.*--upgrade"):
        ModelMetadata.from_dict({**doc, "format": "craftvision-model/1"})


def test_predictor_refuses_a_model_file_with_a_missing_metadata_key(tiny_model, tmp_path):
    """Check that loading a model file whose metadata lacks a key fails at load, naming the file and the key."""
    import onnx

    from craftvision.predictor import load_predictor

    m = onnx.load(str(tiny_model))
    meta = json.loads(m.metadata_props[0].value)
    del meta["held_out"]
    m.metadata_props[0].value = json.dumps(meta)
    path = tmp_path / "incomplete.onnx"
    onnx.save(m, str(path))
    with pytest.raises(ModelFileError, match=r"The model file '.*incomplete.onnx' metadata lacks \['held_out'\]"):
        load_predictor(path, verify_checksum=False)


def test_shipped_metadata_holds_what_trained_it_and_held_out_figures():
    """Check that the shipped files record their real mode and counts, no fine-tuning defaults, and today's held-out figures."""
    shipped, holdout = ModelMetadata.from_dict(_meta_of(SHIPPED)), ModelMetadata.from_dict(_meta_of(HOLDOUT))
    split = json.loads((ROOT / "models" / "report" / "split.json").read_text())
    for meta in (shipped, holdout):
        t = meta.training
        assert t.mode == "head_only" and t.head_regularisation == {"C": 2.0} and t.views == 2 and t.resolution == 288
        assert not {"epochs", "lr", "freeze_backbone", "batch_size"} & set(t.settings)  # loop defaults that never applied
        assert t.val_counts == split["val"] and len(t.data_manifest_sha256) == 64
        assert meta.held_out.model == "craftvision-holdout.onnx" and meta.held_out.photos == 404
        assert round(meta.held_out.top1, 3) == 0.698 and round(meta.held_out.macro_f1, 3) == 0.627
        assert meta.calibration.decision.fitted and meta.calibration.product_decision.fitted
    assert holdout.training.train_counts == split["train"] and not holdout.training.refit_on_all_photos
    assert shipped.training.refit_on_all_photos and shipped.holdout_model == "craftvision-holdout.onnx"
    assert shipped.training.train_counts == {c: split["train"][c] + split["val"][c] for c in split["train"]}
    assert shipped.calibration == holdout.calibration
