"""Tests of craftvision.training.products: single photo vs fused on validation products of several photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from craftvision.data import Sample
from craftvision.metadata import DecisionRule

NAMES = ["not_a_craft", "pottery", "stone"]


def test_product_report_compares_single_photos_with_the_fused_product():
    """Check the counts and top-1 of single photos vs fused products, a one-photo product left out."""
    from craftvision.training.products import product_report

    val = [Sample(Path("v/a-1.jpg"), "pottery", "s"), Sample(Path("v/a-2.jpg"), "pottery", "s"),
           Sample(Path("v/a-3.jpg"), "pottery", "s"), Sample(Path("v/b_1.jpg"), "stone", "s"),
           Sample(Path("v/b_2.jpg"), "stone", "s"), Sample(Path("v/c.jpg"), "stone", "s")]
    probs = np.array([[0.1, 0.8, 0.1], [0.1, 0.6, 0.3], [0.1, 0.35, 0.55],   # a: 2 of 3 photos right, fused right
                      [0.1, 0.7, 0.2], [0.2, 0.5, 0.3],                        # b: both wrong, fused wrong
                      [0.0, 0.0, 1.0]])                                         # c: one photo, not a product of several
    y = np.array([1, 1, 1, 2, 2, 2])
    rule = DecisionRule(0.5, 0.9, "test", "test", {"accept_precision": 0.98, "noncraft_caught": 0.9,
                                                   "craft_to_not_a_craft_max": 0.02})
    r = product_report(probs, y, val, NAMES, rule, rule)
    assert r["products"] == 2 and r["photos"] == 5 and r["photos_per_product"] == [2, 3]
    assert np.isclose(r["single"]["top1_photos"], 2 / 5) and np.isclose(r["single"]["top1_products"], (2 / 3 + 0) / 2)
    assert r["fused"]["top1"] == 0.5
    assert set(r["fused"]["leave_one_product_out"]) == {"accept_rate_craft", "accept_precision", "noncraft_caught"}
