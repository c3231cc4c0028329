"""Tests of the held-out figures with bootstrap intervals (craftvision.training.heldout)."""

import numpy as np
import pytest

from craftvision.errors import ConfigError
from craftvision.training.heldout import bootstrap_metrics, format_interval, heldout_metrics

NAMES = ["carpet", "not_a_craft", "pottery"]


def _probs(y: np.ndarray, correct: np.ndarray, confident: float = 0.95) -> np.ndarray:
    """One-hot-ish probabilities: the true class where `correct`, the next class otherwise."""
    p = np.full((len(y), 3), (1 - confident) / 2)
    pred = np.where(correct, y, (y + 1) % 3)
    p[np.arange(len(y)), pred] = confident
    return p


def test_heldout_metrics_on_a_known_case():
    """Check that top-1, macro-F1 and the decision rates are those of a hand-made case."""
    y = np.array([0] * 10 + [1] * 10 + [2] * 10)
    correct = np.ones(30, dtype=bool)
    correct[[0, 1]] = False  # two carpets taken for not_a_craft
    m = heldout_metrics(_probs(y, correct), y, NAMES)
    assert m["top1"] == pytest.approx(28 / 30)
    assert m["noncraft_refused"] == 1.0
    assert 0 < m["accept_rate"] <= 1.0
    assert m["accept_precision"] >= 0.98


def test_bootstrap_interval_contains_the_value_and_narrows_with_more_photos():
    """Check that the interval brackets the point value and is narrower for ten times the photos."""
    rng = np.random.default_rng(1)
    widths = []
    for n in (60, 600):
        y = rng.integers(0, 3, n)
        p = _probs(y, rng.random(n) < 0.8)
        b = bootstrap_metrics(p, y, NAMES, n_boot=200, seed=0)
        assert b["top1"]["low"] <= b["top1"]["value"] <= b["top1"]["high"]
        widths.append(b["top1"]["high"] - b["top1"]["low"])
    assert widths[1] < widths[0] / 2


def test_paired_difference_against_a_baseline():
    """Check that a better approach gets a positive paired difference whose interval excludes 0, and itself 0."""
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    good = rng.random(300) < 0.9
    worse = good & (rng.random(300) < 0.8)
    b = bootstrap_metrics(_probs(y, good), y, NAMES, n_boot=200, baseline_probs=_probs(y, worse))
    assert b["top1"]["diff"] > 0 and b["top1"]["diff_low"] > 0
    same = bootstrap_metrics(_probs(y, good), y, NAMES, n_boot=50, baseline_probs=_probs(y, good))
    assert same["top1"]["diff"] == 0 and same["top1"]["diff_low"] == 0 == same["top1"]["diff_high"]


def test_bootstrap_refuses_mismatched_shapes():
    """Check that probabilities and labels of different lengths are refused with a clear message."""
    with pytest.raises(ConfigError, match=r"needs probabilities \(N, C\) and N >= 2 labels"):
        bootstrap_metrics(np.ones((5, 3)) / 3, np.zeros(4, dtype=int), NAMES)
    with pytest.raises(ConfigError, match="baseline_probs must have the shape"):
        bootstrap_metrics(np.ones((5, 3)) / 3, np.zeros(5, dtype=int), NAMES, baseline_probs=np.ones((4, 3)))


def test_format_interval():
    """Check that a figure is written as value [low, high] in percent or as a fraction."""
    m = {"value": 0.741, "low": 0.71, "high": 0.772}
    assert format_interval(m) == "74.1% [71.0, 77.2]"
    assert format_interval(m, percent=False) == "0.741 [0.710, 0.772]"
