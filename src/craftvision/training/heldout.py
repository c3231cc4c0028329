"""Held-out figures of one approach with bootstrap intervals over photos, and paired comparisons.

The figures are those of the validation report: top-1, macro-F1, and the decision rates with the
thresholds fitted on the same photos (`fit_thresholds`): the share of craft photos accepted at the
target precision, and the share of non-craft photos refused (sent to review or called not a craft).
A bootstrap resample draws photos with replacement and recomputes every figure, thresholds
included, so the interval carries the noise of fitting them on a few hundred photos too.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ConfigError
from ..metrics import per_class_prf
from .thresholds import decision_report, fit_thresholds

Metric = Callable[[np.ndarray, np.ndarray], float]


def heldout_metrics(probs: np.ndarray, y: np.ndarray, class_names: list[str], accept_precision: float = 0.98,
                    noncraft_caught: float = 0.90, craft_to_nac_max: float = 0.02) -> dict:
    """Top-1, macro-F1, accept rate at `accept_precision` and non-craft refused, on one set of photos."""
    probs, y = np.asarray(probs), np.asarray(y)
    pred = probs.argmax(1)
    rule = fit_thresholds(probs, y, class_names, accept_precision, noncraft_caught, craft_to_nac_max)
    dec = decision_report(probs, y, class_names, rule)
    return {"top1": float((pred == y).mean()), "macro_f1": _macro_f1(y, pred, len(class_names)),
            "accept_rate": dec["craft"]["accept"],
            "accept_precision": dec["accept_precision"] if dec["accept_precision"] is not None else float("nan"),
            "noncraft_refused": dec["noncraft_caught"] if dec["noncraft_caught"] is not None else float("nan"),
            "accept_threshold": rule["accept_min_probability"]}


def bootstrap_metrics(probs: np.ndarray, y: np.ndarray, class_names: list[str], n_boot: int = 1000, seed: int = 0,
                      level: float = 0.95, baseline_probs: np.ndarray | None = None, **targets) -> dict:
    """Each figure of `heldout_metrics` with a percentile bootstrap interval over photos.

    Args:
        probs: (N, C) calibrated probabilities of the approach on the validation photos.
        y: (N,) true class indices.
        baseline_probs: optional (N, C) probabilities of the baseline on the same photos; then each
            figure also gets the paired difference (approach - baseline) with its interval, over the
            same resampled photos, which is what "beyond noise" is judged on.

    Returns:
        {figure: {"value", "low", "high"[, "diff", "diff_low", "diff_high"]}}.

    Raises:
        ConfigError: shapes that do not match, or fewer than 2 photos.
    """
    probs, y = np.asarray(probs), np.asarray(y)
    if probs.ndim != 2 or len(probs) != len(y) or len(y) < 2:
        raise ConfigError(f"bootstrap_metrics needs probabilities (N, C) and N >= 2 labels; got {probs.shape} and {y.shape}.")
    if baseline_probs is not None and np.shape(baseline_probs) != probs.shape:
        raise ConfigError(f"baseline_probs must have the shape of probs {probs.shape}; got {np.shape(baseline_probs)}.")
    rng = np.random.default_rng(seed)
    point = heldout_metrics(probs, y, class_names, **targets)
    base_point = heldout_metrics(baseline_probs, y, class_names, **targets) if baseline_probs is not None else None
    draws, diffs = {k: [] for k in point}, {k: [] for k in point}
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        m = heldout_metrics(probs[idx], y[idx], class_names, **targets)
        for k in point:
            draws[k].append(m[k])
        if baseline_probs is not None:
            b = heldout_metrics(baseline_probs[idx], y[idx], class_names, **targets)
            for k in point:
                diffs[k].append(m[k] - b[k])
    q = (100 * (1 - level) / 2, 100 * (1 + level) / 2)
    out = {}
    for k, v in point.items():
        out[k] = {"value": v, **dict(zip(("low", "high"), _percentiles(draws[k], q)))}
        if base_point is not None:
            out[k].update(diff=v - base_point[k], **dict(zip(("diff_low", "diff_high"), _percentiles(diffs[k], q))))
    return out


def _percentiles(values: list[float], q: tuple[float, float]) -> tuple[float, float]:
    """Percentiles of the defined draws (accept precision is undefined where nothing is accepted)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return (float("nan"), float("nan")) if v.size == 0 else tuple(float(x) for x in np.percentile(v, q))


def format_interval(m: dict, percent: bool = True) -> str:
    """'74.1% [71.0, 77.2]' (or '0.723 [0.690, 0.751]') from one figure of `bootstrap_metrics`."""
    if percent:
        return f"{100 * m['value']:.1f}% [{100 * m['low']:.1f}, {100 * m['high']:.1f}]"
    return f"{m['value']:.3f} [{m['low']:.3f}, {m['high']:.3f}]"


def interval_lines(iv: dict) -> list[str]:
    """The sentence of the report and the model card with the intervals of `evaluate_model` (``report["intervals"]``)."""
    return [f"95% bootstrap intervals over photos ({iv['n_boot']} resamples, thresholds refitted in each): "
            f"top-1 {format_interval(iv['top1'])}, macro-F1 {format_interval(iv['macro_f1'])}, craft photos accepted at "
            f"{iv['targets']['accept_precision']:.0%} precision {format_interval(iv['accept_rate'])}, non-craft photos "
            f"refused (review or not a craft) {format_interval(iv['noncraft_refused'])}."]


def _macro_f1(y: np.ndarray, pred: np.ndarray, num_classes: int) -> float:
    """Mean F1 over the classes present in `y` (as the reports compute it)."""
    prf = per_class_prf(y, pred, num_classes)
    present = prf["support"] > 0
    return float(prf["f1"][present].mean()) if present.any() else 0.0
