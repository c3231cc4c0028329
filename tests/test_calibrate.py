"""Tests of craftvision.training.calibrate: refit temperature and thresholds without retraining."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from craftvision.errors import ModelFileError


def _setup(tiny_model, tiny_run, tmp_path, group="generated-shop"):
    """A copy of the tiny model in a models folder with SHA256SUMS, and its split with one source for every photo."""
    folder = tmp_path / "models"
    folder.mkdir()
    model = folder / "m.onnx"
    shutil.copy(tiny_model, model)
    shutil.copy(str(tiny_model) + ".sha256", str(model) + ".sha256")
    (folder / "SHA256SUMS").write_text("stale\n")
    doc = json.loads((tiny_run / "split.json").read_text())
    for part in ("train_samples", "val_samples"):
        for s in doc[part]:
            s["group"] = group  # carpet_001.jpg, carpet_002.jpg ... of one source: one product per class
    split = tmp_path / "split.json"
    split.write_text(json.dumps(doc))
    return model, split, doc


def test_calibrate_rewrites_temperature_thresholds_and_checksums(tiny_model, tiny_run, tmp_path):
    """Check that calibrate fits T and both rules on the split, bakes T into the graph and rewrites both checksums."""
    import onnxruntime as ort

    from craftvision.metrics import softmax
    from craftvision.predictor import load_predictor
    from craftvision.training.calibrate import calibrate_model

    model, split, doc = _setup(tiny_model, tiny_run, tmp_path)
    r = calibrate_model(model, split)
    p = load_predictor(model)  # the rewritten .sha256 matches
    assert r["sha256"] == p.sha256 and f"{p.sha256}  m.onnx" in (model.parent / "SHA256SUMS").read_text()
    cal = p.metadata.calibration
    assert cal.temperature == pytest.approx(r["temperature"]) and str(split) in cal.temperature_fitted_on
    multi = sum(1 for n in doc["val"].values() if n > 1)
    assert r["products"] == multi and cal.product_decision.fitted_on.startswith(f"{multi} validation products of 2+ photos")
    assert p.metadata.held_out.photos == len(doc["val_samples"]) and p.metadata.held_out.model == "m.onnx"
    x = np.stack([p.preprocess(p.load(s["path"])) for s in doc["val_samples"][:3]])
    probs, logits = ort.InferenceSession(str(model)).run(["probabilities", "logits"], {"image": x})
    assert np.allclose(probs, softmax(logits, r["temperature"]), atol=1e-5)


def test_calibrate_refuses_to_fit_a_refit_model_on_its_own_training_photos(tiny_model, tiny_run, tmp_path):
    """Check that a model refit on all photos without a validation-run model is refused, not calibrated on seen photos."""
    import onnx

    from craftvision.training.calibrate import calibrate_model

    model, split, _ = _setup(tiny_model, tiny_run, tmp_path)
    m = onnx.load(str(model))
    meta = json.loads(m.metadata_props[0].value)
    meta["training"]["refit_on_all_photos"] = True
    m.metadata_props[0].value = json.dumps(meta)
    onnx.save(m, str(model))
    with pytest.raises(ModelFileError, match=r"was refit on all photos.*Pass its validation-run model with --fit-on"):
        calibrate_model(model, split)


def test_calibrate_and_export_on_the_command_line(tiny_model, tiny_run, tmp_path):
    """Check `craftvision calibrate` output, and that export refuses to drop calibration silently."""
    model, split, _ = _setup(tiny_model, tiny_run, tmp_path)
    cmd = [sys.executable, "-m", "craftvision.cli"]
    r = subprocess.run(cmd + ["calibrate", str(model), "--split", str(split)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "validation products of 2+ photos:" in r.stdout and "held-out (m.onnx" in r.stdout
    r = subprocess.run(cmd + ["export", str(tiny_run / "best.pt"), "--out", str(tmp_path / "e.onnx")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "export needs --calibration-from MODEL.onnx" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run(cmd + ["export", str(tiny_run / "best.pt"), "--out", str(tmp_path / "e.onnx"),
                              "--calibration-from", str(model)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    from craftvision.predictor import load_predictor

    assert load_predictor(tmp_path / "e.onnx").metadata.calibration == load_predictor(model).metadata.calibration


def test_evaluate_refuses_a_split_with_an_unknown_label(tiny_model, tiny_run, tmp_path):
    """Check that `craftvision evaluate` on a split naming a class missing from its class list exits 2 with one line."""
    _, split, doc = _setup(tiny_model, tiny_run, tmp_path)
    doc["val_samples"][0]["label"] = "spaceship"
    split.write_text(json.dumps(doc))
    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "evaluate", "--model", str(tiny_model), "--split",
                        str(split), "--out", str(tmp_path / "rep"), "--no-baselines"], capture_output=True, text=True)
    assert r.returncode == 2 and "as 'spaceship', which is not one of its classes" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
