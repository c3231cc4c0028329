"""Temporary adapter: `Predictor.predict_product` until it lands in craftvision.predictor.

Follows that contract (fused ranking from the mean of the photos' calibrated log-probabilities,
one model pass per photo) so the app does not change when the library's version replaces it.
Delete this module once `Predictor.predict_product` exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from craftvision.predictor import CategoryScore, Prediction, Predictor, craft_view, decide


@dataclass
class ProductPrediction:
    categories: list[CategoryScore]
    decision: str
    model_version: str
    hs: object | None = None
    photos: list[Prediction] = field(default_factory=list)
    disagrees: list[bool] = field(default_factory=list)
    not_a_craft_probability: float = 0.0

    @property
    def top(self) -> CategoryScore:
        return self.categories[0]

    def to_dict(self) -> dict:
        return {"categories": [{"name": c.name, "probability": c.probability} for c in self.categories],
                "decision": self.decision, "model_version": self.model_version,
                "not_a_craft_probability": round(self.not_a_craft_probability, 6),
                "hs": self.hs.to_dict() if self.hs else None, "photos": [p.to_dict() for p in self.photos],
                "disagrees": list(self.disagrees)}


def predict_product(predictor: Predictor, sources, *, top_k: int = 3, answers: dict | None = None) -> ProductPrediction:
    """One product from several photos (decoded images, paths or bytes), one model pass each."""
    images = [s if hasattr(s, "size") and hasattr(s, "mode") else predictor.load(s) for s in sources]
    x = np.stack([predictor.preprocess(im) for im in images])
    probs = predictor.run(x)[0]  # (n_photos, n_classes) calibrated probabilities
    photos = [predictor._to_prediction(p, f"photo{i + 1}", top_k, answers) for i, p in enumerate(probs)]
    log_mean = np.log(np.clip(probs, 1e-12, 1.0)).mean(axis=0)
    fused = np.exp(log_mean - log_mean.max())
    fused /= fused.sum()
    craft, names, p_nac = craft_view(fused, predictor.class_names)
    order = np.argsort(-craft)[: max(1, top_k)]
    cats = [CategoryScore(names[i], float(craft[i])) for i in order]
    decision = decide(fused, predictor.class_names, predictor.decision_rule)
    hs = predictor.taxonomy.suggest(cats[0].name, answers or {}) if decision != "not_a_craft" else None
    disagrees = [p.top.name != cats[0].name for p in photos]
    return ProductPrediction(cats, decision, predictor.version, hs, photos, disagrees, p_nac)
