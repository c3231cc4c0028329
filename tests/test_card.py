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


def test_report_and_card_give_bootstrap_intervals_around_the_held_out_figures(tiny_model, tiny_run, tmp_path):
    """Check the intervals of the report: around the point figures, with their resample count, in report.md and the card."""
    from craftvision.predictor import load_predictor
    from craftvision.training.calibrate import calibrate_model
    from craftvision.training.card import write_model_card
    from craftvision.training.evaluate import evaluate_model
    from craftvision.training.heldout import format_interval

    model = tmp_path / "m.onnx"
    shutil.copy(tiny_model, model)
    shutil.copy(str(tiny_model) + ".sha256", str(model) + ".sha256")
    calibrate_model(model, tiny_run / "split.json")
    report = evaluate_model(model, tiny_run / "split.json", tmp_path / "report", baselines=False, n_boot=40)
    iv = report["intervals"]
    assert iv["n_boot"] == 40 and iv["targets"]["accept_precision"] == 0.98
    assert iv["top1"]["value"] == report["metrics"]["top1"] and iv["macro_f1"]["value"] == report["metrics"]["macro_f1"]
    assert iv["macro_f1"]["low"] <= iv["macro_f1"]["high"] and set(iv["accept_rate"]) == {"value", "low", "high"}
    assert iv["top1"]["low"] <= iv["top1"]["value"] <= iv["top1"]["high"]  # a mean: its percentile interval holds it
    md = (tmp_path / "report" / "report.md").read_text()
    crafts = sum(c != "not_a_craft" for c in report["class_names"])
    assert f"; {crafts} classes): top-1" in md and f"top-1 {format_interval(iv['top1'])}" in md
    card = write_model_card(tmp_path / "CARD.md", report, load_predictor(model).metadata).read_text()
    assert "95% bootstrap intervals over photos (40 resamples" in card
    assert "intervals" not in evaluate_model(model, tiny_run / "split.json", tmp_path / "r0", baselines=False, n_boot=0)
