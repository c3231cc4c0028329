"""Decision thresholds: fitting them on validation for stated targets, and what they cost."""

from __future__ import annotations

import numpy as np

from ..predictor import NOT_A_CRAFT, decide


def fit_thresholds(probs: np.ndarray, y: np.ndarray, class_names: list[str], accept_precision: float = 0.98,
                   noncraft_caught: float = 0.90, craft_to_nac_max: float = 0.02) -> dict:
    """Choose the decision thresholds on validation for the stated targets.

    not_a_craft: the lowest threshold on P(not a craft) that sends at most `craft_to_nac_max` of
    craft photos to not_a_craft. accept: the lowest threshold on the top craft probability at
    which (i) accepted photos are correct at least `accept_precision` of the time and (ii) at
    most 1 - `noncraft_caught` of non-craft photos are accepted. Everything else is review.
    """
    nac = class_names.index(NOT_A_CRAFT) if NOT_A_CRAFT in class_names else None
    craft_cols = [i for i in range(len(class_names)) if i != nac]
    top = np.array(craft_cols)[probs[:, craft_cols].argmax(1)]  # best craft category
    conf = probs[:, craft_cols].max(1)
    p_nac = probs[:, nac] if nac is not None else np.zeros(len(y))
    is_craft = (y != nac) if nac is not None else np.ones_like(y, dtype=bool)
    grid = np.round(np.arange(0.05, 1.0, 0.01), 2)
    nac_t = 1.0
    if nac is not None:
        for t in grid:  # lowest threshold that sends at most craft_to_nac_max of craft photos to not_a_craft
            if float((p_nac[is_craft] >= t).mean()) <= craft_to_nac_max:
                nac_t = float(t)
                break
    accept_t = 1.0
    for t in grid:
        acc_mask = (conf >= t) & (p_nac < nac_t)
        if acc_mask.sum() == 0:
            continue
        precision = float((top[acc_mask] == y[acc_mask]).mean())
        nc_accepted = float(acc_mask[~is_craft].mean()) if (~is_craft).any() else 0.0
        if precision >= accept_precision and nc_accepted <= 1 - noncraft_caught:
            accept_t = float(t)
            break
    return {"accept_min_probability": accept_t, "not_a_craft_min_probability": nac_t,
            "method": "not_a_craft class trained on non-craft photos; thresholds on calibrated P(not a craft) and top craft probability",
            "targets": {"accept_precision": accept_precision, "noncraft_caught": noncraft_caught,
                        "craft_to_not_a_craft_max": craft_to_nac_max}}


def decision_report(probs: np.ndarray, y: np.ndarray, class_names: list[str], rule: dict) -> dict:
    """Decision rates on crafts and non-crafts, and what each decision costs."""
    nac = class_names.index(NOT_A_CRAFT) if NOT_A_CRAFT in class_names else -1
    decisions = np.array([decide(p, class_names, rule) for p in probs])
    craft_cols = [i for i in range(len(class_names)) if i != nac]
    top = np.array(craft_cols)[probs[:, craft_cols].argmax(1)]
    craft = y != nac
    out = {}
    for name, mask in (("craft", craft), ("not_a_craft", ~craft)):
        n = int(mask.sum())
        out[name] = {"n": n, **{d: (float((decisions[mask] == d).mean()) if n else 0.0) for d in ("accept", "review", "not_a_craft")}}
    accepted = decisions == "accept"
    out["accept_precision"] = float((top[accepted] == y[accepted]).mean()) if accepted.any() else None
    out["noncraft_caught"] = float((decisions[~craft] != "accept").mean()) if (~craft).any() else None
    out["craft_sent_to_not_a_craft"] = out["craft"]["not_a_craft"]
    return out
