"""Tests of craftvision.training.card: the model card is generated from the model's metadata and report."""

from __future__ import annotations

import json
import shutil


def test_card_counts_and_weak_classes_come_from_metadata_and_report(tiny_model, tiny_run, tmp_path):
    """Check that the card's photo counts are the metadata's and its weakest classes the report's lowest F1."""
    from craftvision.predictor import load_predictor
    from craftvision.training.calibrate import calibrate_model
    from craftvision.training.card import weak_classes, write_model_card
    from craftvision.training.evaluate import evaluate_model

    model = tmp_path / "m.onnx"
    shutil.copy(tiny_model, model)
    shutil.copy(str(tiny_model) + ".sha256", str(model) + ".sha256")
    calibrate_model(model, tiny_run / "split.json")
    report = evaluate_model(model, tiny_run / "split.json", tmp_path / "report", baselines=False)
    meta = load_predictor(model).metadata
    card = write_model_card(tmp_path / "CARD.md", report, meta).read_text()
    split = json.loads((tiny_run / "split.json").read_text())
    assert f"{sum(split['train'].values())} photos: " in card
    for c in meta.class_names:
        assert f"| {c} | {split['train'][c]} | {split['val'][c]} |" in card
    lowest = min(report["per_class"], key=lambda c: (report["per_class"][c]["f1"], c))
    assert weak_classes(report, meta.training.train_counts)[0].startswith(f"{lowest} (F1 ")
    assert "Weakest classes on held-out sources: " + weak_classes(report, meta.training.train_counts)[0] in card
    assert "metalware, jewellery, textile" not in card and f"top-1 {meta.held_out.top1:.3f}" in card
