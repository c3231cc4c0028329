"""What a prediction returns, and the arithmetic behind it: craft view, decision rule, product fusion.

Needs numpy only. `craftvision.predictor` re-exports everything here, so callers keep importing
`Prediction`, `ProductPrediction` and `decide` from the predictor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from .taxonomy import HSSuggestion

NOT_A_CRAFT = "not_a_craft"
#: Floor on a probability before its logarithm: a class that one photo rules out completely
#: (p ~ 1e-30 in float32) must not veto it for every other photo of the product.
_LOG_FLOOR = 1e-12


@dataclass
class CategoryScore:
    name: str
    probability: float


@dataclass
class Prediction:
    """The result for one photo.

    Attributes:
        source: the file name (or "upload"); in folder output, the path relative to the folder given.
        categories: the top-k craft categories, best first, with calibrated probabilities given
            that the photo shows a craft (they sum to 1 over all craft categories).
        not_a_craft_probability: calibrated probability that the photo shows no craft product.
        decision: "accept" (confident), "review" (send to customs staff) or "not_a_craft".
        model_version: backbone and the first 12 hex digits of the model file's SHA-256.
        hs: the HS suggestion for the top craft category (None for not_a_craft).
        seconds: wall time for this photo (decode + model), when measured one by one.
    """

    source: str
    categories: list[CategoryScore]
    decision: str
    model_version: str
    not_a_craft_probability: float = 0.0
    hs: HSSuggestion | None = None
    seconds: float | None = None
    embedding: np.ndarray | None = field(default=None, repr=False)

    @property
    def top(self) -> CategoryScore:
        return self.categories[0]

    def to_dict(self) -> dict:
        out = {
            "source": self.source,
            "categories": [asdict(c) for c in self.categories],
            "decision": self.decision,
            "not_a_craft_probability": round(self.not_a_craft_probability, 6),
            "model_version": self.model_version,
            "hs": self.hs.to_dict() if self.hs else None,
        }
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 4)
        return out


@dataclass
class ProductPrediction:
    """The result for one product photographed several times.

    Attributes:
        categories: the fused top-k craft categories, best first (probabilities given a craft).
        decision: accept / review / not_a_craft of the fused prediction. With two or more photos
            it comes from the model file's product thresholds (fitted on fused validation
            products); with one photo the product is that photo, so the single-photo rule applies.
        hs: the HS suggestion for the fused top category (None for not_a_craft).
        not_a_craft_probability: fused calibrated probability of no craft product.
        photos: each photo's own prediction (its own decision by the single-photo rule), in input order.
        disagrees: per photo, True where its own top category differs from the fused one.
        model_version: as in `Prediction`.
        decision_rule: "product" (thresholds fitted for fused predictions) or "single_photo"
            (a product of one photo).
        heats: with ``predict_product(..., with_maps=True)``, per photo the class activation map of
            the fused top class, (H, W) in [0, 1] at crop size (for the "product looks far away"
            hint); else None. Not part of `to_dict`.
    """

    categories: list[CategoryScore]
    decision: str
    hs: HSSuggestion | None
    not_a_craft_probability: float
    photos: list[Prediction]
    disagrees: list[bool]
    model_version: str
    decision_rule: str
    heats: list[np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def top(self) -> CategoryScore:
        return self.categories[0]

    def to_dict(self) -> dict:
        return {
            "categories": [asdict(c) for c in self.categories],
            "decision": self.decision,
            "decision_rule": self.decision_rule,
            "not_a_craft_probability": round(self.not_a_craft_probability, 6),
            "model_version": self.model_version,
            "hs": self.hs.to_dict() if self.hs else None,
            "photos": [dict(p.to_dict(), disagrees=d) for p, d in zip(self.photos, self.disagrees)],
        }


def craft_view(probs: np.ndarray, class_names: Sequence[str]) -> tuple[np.ndarray, list[str], float]:
    """Split calibrated probabilities into P(not a craft) and the craft categories given it is a craft.

    Returns:
        (craft_probs, craft_names, p_not_a_craft): craft_probs sums to 1 over the craft classes
        (p_c / (1 - p_not_a_craft)), so the ranking shown is always a ranking of crafts.
    """
    names = list(class_names)
    if NOT_A_CRAFT not in names:
        return probs, names, 0.0
    i = names.index(NOT_A_CRAFT)
    p_nac = float(probs[i])
    craft = np.delete(probs, i)
    total = float(craft.sum())
    return (craft / total if total > 0 else np.full_like(craft, 1 / len(craft))), names[:i] + names[i + 1:], p_nac


def decide(probs: np.ndarray, class_names: Sequence[str], rule) -> str:
    """accept / review / not_a_craft from calibrated probabilities and the model's fitted thresholds.

    `rule` is a `metadata.DecisionRule` or a dict with the same two threshold keys.

    not_a_craft when P(not a craft) reaches its threshold; accept when the top craft category's
    (unconditional) probability reaches the accept threshold; review otherwise.
    """
    names = list(class_names)
    p = np.asarray(probs)
    nac_t, accept_t = ((rule["not_a_craft_min_probability"], rule["accept_min_probability"]) if isinstance(rule, dict)
                       else (rule.not_a_craft_min_probability, rule.accept_min_probability))
    if NOT_A_CRAFT in names:
        i = names.index(NOT_A_CRAFT)
        if float(p[i]) >= nac_t:
            return "not_a_craft"
        p = np.delete(p, i)
    if float(p.max()) >= accept_t:
        return "accept"
    return "review"


def fuse_probabilities(probs: np.ndarray) -> np.ndarray:
    """One distribution from the calibrated probabilities of several photos of one product.

    The mean of the log-probabilities, renormalised (a normalised geometric mean, i.e. the
    product-of-experts of the photos with each photo's evidence weighted 1/K): a class that every
    photo supports stays high, a class that one photo rules out is pulled down.

    Args:
        probs: (K, C) calibrated probabilities of K photos, K >= 1.

    Returns:
        (C,) probabilities summing to 1; equal to ``probs[0]`` when K == 1.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) == 0:
        raise ValueError(f"fuse_probabilities takes (photos, classes) probabilities; got shape {probs.shape}.")
    mean_log = np.log(np.clip(probs, _LOG_FLOOR, None)).mean(0)
    z = np.exp(mean_log - mean_log.max())
    return z / z.sum()


def fuse_batches(probs: np.ndarray, products: Sequence[Sequence[int]]) -> np.ndarray:
    """Fused probabilities per product: rows of `probs` (N, C) grouped by index lists; returns (P, C)."""
    return np.stack([fuse_probabilities(probs[list(idx)]) for idx in products])
