"""Products of several photos on validation: single photo vs fused, and the report's section on it."""

from __future__ import annotations

import numpy as np

from ..data import Sample
from ..metrics import classification_summary
from ..predictor import NOT_A_CRAFT, decide
from .thresholds import decision_report, fit_thresholds


def product_report(probs: np.ndarray, y: np.ndarray, val: list[Sample], class_names: list[str],
                   photo_rule, product_rule) -> dict:
    """Single photo vs fused on the validation products of two or more photos.

    Single: each photo of those products predicted alone (photo-weighted, and product-weighted:
    the mean over products of their photos' accuracy, comparable with the fused per-product
    figure). Fused: one prediction per product (`fuse_probabilities`), decided by the product
    thresholds (and, for comparison, by the single-photo thresholds).
    """
    from ..results import fuse_batches
    from ..splitfile import group_products

    products = [p for p in group_products(val) if len(p) > 1]
    if not products:
        return {"products": 0, "photos": 0}
    idx = [i for p in products for i in p]
    craft = y != (class_names.index(NOT_A_CRAFT) if NOT_A_CRAFT in class_names else -1)
    fused = fuse_batches(probs, products)
    y_p = y[[p[0] for p in products]]

    def rates(pr, yy, rule) -> dict:
        d = decision_report(pr, yy, class_names, rule)
        return {"accept_rate_craft": d["craft"]["accept"], "accept_precision": d["accept_precision"],
                "noncraft_caught": d["noncraft_caught"]}

    correct = probs.argmax(1) == y
    return {
        "products": len(products), "photos": len(idx), "craft_products": int(craft[[p[0] for p in products]].sum()),
        "photos_per_product": sorted(len(p) for p in products),
        "single": {"top1_photos": float(correct[idx].mean()),
                   "top1_products": float(np.mean([correct[p].mean() for p in products])),
                   "macro_f1_photos": classification_summary(probs[idx], y[idx], class_names)["macro_f1"],
                   **rates(probs[idx], y[idx], photo_rule)},
        "fused": {"top1": float((fused.argmax(1) == y_p).mean()),
                  "macro_f1": classification_summary(fused, y_p, class_names)["macro_f1"],
                  **rates(fused, y_p, product_rule),
                  "with_single_photo_thresholds": rates(fused, y_p, photo_rule),
                  "leave_one_product_out": _loo_rates(fused, y_p, class_names, product_rule)},
    }


def _loo_rates(fused: np.ndarray, y: np.ndarray, class_names: list[str], product_rule) -> dict:
    """Decision rates where each product is decided by thresholds fitted on the other products only.

    The product thresholds are fitted on the same few products they are measured on; this is
    the out-of-sample estimate of what they do on a product they did not see.
    """
    t = getattr(product_rule, "targets", None) or {}
    if len(y) < 2 or not t:
        return {}
    decisions = []
    for k in range(len(y)):
        others = np.arange(len(y)) != k
        rule = fit_thresholds(fused[others], y[others], class_names, t["accept_precision"], t["noncraft_caught"],
                              t["craft_to_not_a_craft_max"])
        decisions.append(decide(fused[k], class_names, rule))
    decisions = np.array(decisions)
    nac = class_names.index(NOT_A_CRAFT) if NOT_A_CRAFT in class_names else -1
    craft, accepted = y != nac, decisions == "accept"
    craft_cols = [i for i in range(len(class_names)) if i != nac]
    top = np.array(craft_cols)[fused[:, craft_cols].argmax(1)]
    return {"accept_rate_craft": float(accepted[craft].mean()) if craft.any() else None,
            "accept_precision": float((top[accepted] == y[accepted]).mean()) if accepted.any() else None,
            "noncraft_caught": float((decisions[~craft] != "accept").mean()) if (~craft).any() else None}


def _pct(v) -> str:
    return "-" if v is None else f"{v:.1%}"


def product_lines(pr: dict, t: dict | None) -> list[str]:
    """The report's section on products of several photos (single photo vs fused)."""
    if not pr.get("products"):
        return ["## Products of several photos", "", "No validation product has two or more photos.", ""]
    s, f = pr["single"], pr["fused"]
    return ["## Products of several photos", "",
            f"{pr['products']} validation products have two or more photos ({pr['photos']} photos; same class, source and "
            f"file stem up to a -N/_N index; {pr['craft_products']} craft products). Product thresholds: not_a_craft when "
            f"fused P(not a craft) >= {t['not_a_craft_min_probability']:.2f}, accept when the fused top craft p >= "
            f"{t['accept_min_probability']:.2f} (fitted on {t['fitted_on']}).", "",
            "| | top-1 | macro-F1 | craft accepted | accept precision | non-craft caught |", "|---|---|---|---|---|---|",
            f"| single photo (per photo) | {s['top1_photos']:.3f} | {s['macro_f1_photos']:.3f} | {_pct(s['accept_rate_craft'])} | "
            f"{_pct(s['accept_precision'])} | {_pct(s['noncraft_caught'])} |",
            f"| single photo (mean per product) | {s['top1_products']:.3f} | | | | |",
            f"| fused (per product), product thresholds | {f['top1']:.3f} | {f['macro_f1']:.3f} | "
            f"{_pct(f['accept_rate_craft'])} | {_pct(f['accept_precision'])} | {_pct(f['noncraft_caught'])} |",
            *_rates_row("fused, thresholds fitted without that product", f.get("leave_one_product_out")),
            *_rates_row("fused, single-photo thresholds", f.get("with_single_photo_thresholds")), "",
            "The product thresholds are fitted on these same products; the leave-one-product-out row decides each "
            "product with thresholds fitted on the others only.", ""]


def _rates_row(label: str, r: dict | None) -> list[str]:
    if not r:
        return []
    return [f"| {label} | | | {_pct(r['accept_rate_craft'])} | {_pct(r['accept_precision'])} | {_pct(r['noncraft_caught'])} |"]
