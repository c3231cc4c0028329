"""Classification metrics of training and evaluation: scikit-learn's, plus calibration (ECE, temperature).

Training profile only (scikit-learn is imported where it is used); serving code does not import this module.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) counts; rows are true classes, columns predictions."""
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix

    if len(y_true) == 0:
        return np.zeros((num_classes, num_classes), dtype=np.int64)
    return sk_confusion_matrix(y_true, y_pred, labels=np.arange(num_classes)).astype(np.int64)


def per_class_prf(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support per class (0 where undefined), as scikit-learn computes them."""
    from sklearn.metrics import precision_recall_fscore_support

    if len(y_true) == 0:
        zeros = np.zeros(num_classes)
        return {"precision": zeros, "recall": zeros, "f1": zeros, "support": zeros}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=np.arange(num_classes), zero_division=0)
    return {"precision": p, "recall": r, "f1": f, "support": s.astype(float)}


def top_k_accuracy(probs: np.ndarray, y_true: np.ndarray, k: int) -> float:
    """Share of photos whose true class is among the `k` most probable (1.0 when k >= the number of classes)."""
    from sklearn.metrics import top_k_accuracy_score

    if len(y_true) == 0:
        return 0.0
    if k >= probs.shape[1]:
        return 1.0
    return float(top_k_accuracy_score(y_true, probs, k=k, labels=np.arange(probs.shape[1])))


def expected_calibration_error(probs: np.ndarray, y_true: np.ndarray, bins: int = 15) -> float:
    """ECE with equal-width confidence bins (Guo et al. 2017)."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(y_true)).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def reliability_bins(probs: np.ndarray, y_true: np.ndarray, bins: int = 10) -> list[dict]:
    """Per-bin mean confidence, accuracy and count, for a reliability diagram."""
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(y_true)).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (conf > lo) & (conf <= hi)
        out.append(
            {
                "lo": float(lo),
                "hi": float(hi),
                "count": int(mask.sum()),
                "confidence": float(conf[mask].mean()) if mask.any() else None,
                "accuracy": float(correct[mask].mean()) if mask.any() else None,
            }
        )
    return out


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, y_true: np.ndarray) -> float:
    """Temperature minimising the validation negative log-likelihood (Guo et al. 2017).

    A golden-section search on log T in [log 0.05, log 20]: the NLL is unimodal in T.
    """
    y = np.asarray(y_true, dtype=int)

    def nll(log_t: float) -> float:
        p = softmax(logits, float(np.exp(log_t)))
        return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())

    lo, hi = np.log(0.05), np.log(20.0)
    g = (np.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(80):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(b)
    return float(np.exp((lo + hi) / 2))


def classification_summary(probs: np.ndarray, y_true: np.ndarray, class_names: list[str]) -> dict:
    """Top-1/top-3 accuracy, macro-F1, per-class P/R/F1, confusion matrix and ECE, as plain JSON."""
    y_true = np.asarray(y_true, dtype=int)
    pred = probs.argmax(axis=1)
    cm = confusion_matrix(y_true, pred, len(class_names))
    prf = per_class_prf(y_true, pred, len(class_names))
    present = prf["support"] > 0  # macro-F1 over the classes present in y_true
    return {
        "n": int(len(y_true)),
        "top1": float((pred == y_true).mean()) if len(y_true) else 0.0,
        "top3": top_k_accuracy(probs, y_true, 3),
        "macro_f1": float(prf["f1"][present].mean()) if present.any() else 0.0,
        "ece": expected_calibration_error(probs, y_true),
        "per_class": {
            name: {k: float(prf[k][i]) for k in ("precision", "recall", "f1", "support")}
            for i, name in enumerate(class_names)
        },
        "confusion_matrix": cm.tolist(),
        "class_names": list(class_names),
    }
