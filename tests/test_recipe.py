"""Tests of craftvision.training.recipe: the one command that writes the shipped model files."""

from __future__ import annotations

import json

import yaml


def test_recipe_writes_truthful_metadata_for_holdout_and_refit(synthetic_data, tmp_path):
    """Check that a head-only refit recipe ships a refit whose metadata names its mode, counts and its validation run's figures."""
    from craftvision.metadata import ModelMetadata
    from craftvision.predictor import load_predictor
    from craftvision.training.calibrate import calibrate_model
    from craftvision.training.recipe import run_recipe

    models = tmp_path / "models"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "mode": "head", "out_dir": str(tmp_path / "run"), "num_threads": 2,
        "data": {"folder": str(synthetic_data), "group_split": False},
        "model": {"backbone": "test_efficientnet", "pretrained": False, "image_size": 64},
        "head": {"c": 0.5},
        "output": {"refit_all": True, "baselines": False, "holdout_model_out": str(models / "validation" / "h.onnx"),
                   "model_out": str(models / "m.onnx"), "report_dir": str(models / "report"),
                   "card": str(models / "MODEL_CARD.md")}}))
    report = run_recipe(recipe, show_progress=False)
    shipped, holdout = load_predictor(models / "m.onnx").metadata, load_predictor(models / "validation" / "h.onnx").metadata
    assert isinstance(shipped, ModelMetadata)
    split = json.loads((models / "report" / "split.json").read_text())
    assert holdout.training.mode == shipped.training.mode == "head_only"
    assert holdout.training.head_regularisation == {"C": 0.5} and holdout.training.views == 2
    assert not holdout.training.refit_on_all_photos and shipped.training.refit_on_all_photos
    assert holdout.training.train_counts == split["train"] and holdout.training.val_counts == split["val"]
    assert sum(shipped.training.train_counts.values()) == sum(split["train"].values()) + sum(split["val"].values())
    assert shipped.held_out == holdout.held_out and shipped.held_out.model == "h.onnx" and shipped.holdout_model == "h.onnx"
    assert abs(shipped.held_out.top1 - report["metrics"]["top1"]) < 1e-9  # the validation run's figure, not the refit's
    assert shipped.calibration == holdout.calibration and shipped.calibration.decision.fitted
    assert "| carpet |" in (models / "MODEL_CARD.md").read_text()
    sums = (models / "SHA256SUMS").read_text()
    assert "m.onnx" in sums and "validation/h.onnx" in sums
    r = calibrate_model(models / "m.onnx", models / "report" / "split.json")  # finds its validation-run model
    assert r["fitted_on"].endswith("h.onnx") and abs(r["temperature"] - shipped.calibration.temperature) < 1e-6
