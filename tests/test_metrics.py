"""Tests of craftvision.metrics: scikit-learn's metrics give the figures the hand-written ones gave."""

from __future__ import annotations

import numpy as np
import pytest

from craftvision.metrics import classification_summary, expected_calibration_error, fit_temperature, softmax


def _previous_summary(probs: np.ndarray, y: np.ndarray, num_classes: int) -> dict:
    """The numpy implementation this module had before scikit-learn (confusion matrix -> P/R/F1)."""
    pred = probs.argmax(1)
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y, pred), 1)
    tp, predicted, support = np.diag(cm).astype(float), cm.sum(0).astype(float), cm.sum(1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    top3 = np.argsort(-probs, axis=1)[:, :3]
    return {"cm": cm, "precision": precision, "recall": recall, "f1": f1, "support": support,
            "macro_f1": float(f1[support > 0].mean()), "top1": float((pred == y).mean()),
            "top3": float((top3 == y[:, None]).any(1).mean())}


def _fixed_example():
    """200 photos, 6 classes: class 5 never occurs in y (absent), class 4 is never predicted."""
    rng = np.random.default_rng(7)
    y = rng.choice(5, size=200, p=[0.4, 0.25, 0.15, 0.15, 0.05])
    logits = rng.normal(size=(200, 6)) + 2.5 * np.eye(6)[y]
    logits[:, 4] -= 10.0
    return softmax(logits), y


def test_summary_equals_the_previous_numpy_figures():
    """Check that macro-F1 (over the classes present), per-class P/R/F1, top-1/3 and the confusion matrix are unchanged."""
    probs, y = _fixed_example()
    new = classification_summary(probs, y, [f"c{i}" for i in range(6)])
    old = _previous_summary(probs, y, 6)
    assert new["macro_f1"] == pytest.approx(old["macro_f1"], abs=1e-12)
    assert new["top1"] == old["top1"] and new["top3"] == pytest.approx(old["top3"])
    assert np.array_equal(np.array(new["confusion_matrix"]), old["cm"])
    for i in range(6):
        for k in ("precision", "recall", "f1", "support"):
            assert new["per_class"][f"c{i}"][k] == pytest.approx(old[k][i], abs=1e-12), (i, k)
    # the absent class does not pull macro-F1 down; a class present but never predicted does
    assert new["per_class"]["c5"]["support"] == 0 and new["per_class"]["c4"]["f1"] == 0.0
    assert new["macro_f1"] == pytest.approx(np.mean([new["per_class"][f"c{i}"]["f1"] for i in range(5)]))


def test_top3_with_three_classes_or_fewer_is_one_and_empty_input_is_zero():
    """Check the edge cases: k >= the number of classes counts every photo; no photo gives zeros."""
    probs = softmax(np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]]))
    s = classification_summary(probs, np.array([2, 1]), ["a", "b", "c"])
    assert s["top3"] == 1.0 and s["top1"] == 0.0
    empty = classification_summary(np.zeros((0, 4)), np.zeros(0, dtype=int), list("abcd"))
    assert empty["n"] == 0 and empty["macro_f1"] == 0.0 and empty["top1"] == 0.0


def test_fitted_temperature_minimises_the_validation_nll():
    """Check that the fitted temperature of logits scaled up 4x is near 4 and no nearby temperature has a lower NLL."""
    probs, y = _fixed_example()
    logits = 4.0 * np.log(probs)

    def nll(t):
        return -np.log(softmax(logits, t)[np.arange(len(y)), y]).mean()

    t = fit_temperature(logits, y)
    assert 3.0 < t < 5.0
    assert all(nll(t) <= nll(t * f) + 1e-9 for f in (0.8, 0.95, 1.05, 1.25)) and nll(t) < nll(1.0)
    assert 0.0 <= expected_calibration_error(softmax(logits, t), y) <= 1.0
