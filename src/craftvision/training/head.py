"""The classifier head: the logistic head on frozen embeddings, copying a head into a network,
class weights and the learning-rate schedule shared by the training strategies."""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch import nn


def fit_logistic_head(features: np.ndarray, labels: np.ndarray, num_classes: int, c: float = 2.0, seed: int = 0):
    """Class-balanced multinomial logistic regression; returns weight (C, D) and bias (C,).

    Args:
        features: (N, D), or (N, V, D) where the V views (e.g. mirror images) are extra samples.
        c: inverse L2 regularisation strength (the config's ``head.c``).
    """
    from sklearn.linear_model import LogisticRegression

    if features.ndim == 3:
        labels = np.repeat(labels, features.shape[1])
        features = features.reshape(-1, features.shape[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
        lr.fit(features, labels)
    weight = np.zeros((num_classes, features.shape[1]), dtype=np.float32)
    bias = np.full(num_classes, -1e4, dtype=np.float32)  # a class absent from training is never predicted
    weight[lr.classes_] = lr.coef_
    bias[lr.classes_] = lr.intercept_
    return weight, bias


def set_head(model: nn.Module, weight: np.ndarray, bias: np.ndarray) -> None:
    """Copy a fitted head (C, D) and (C,) into the network's classifier."""
    head = model.get_classifier()
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weight))
        head.bias.copy_(torch.from_numpy(bias))


def class_weights(labels: np.ndarray, num_classes: int) -> torch.Tensor:
    """Balanced loss weights n / (k * n_c) over the k classes present; 0 for a class with no photo."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    present = max(int((counts > 0).sum()), 1)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / present, 0.0)
    return torch.tensor(w, dtype=torch.float32)


def warmup_cosine(total_steps: int, warmup_steps: int):
    """LambdaLR factor: linear warm-up over `warmup_steps`, then cosine decay to 0 at `total_steps`."""
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor
