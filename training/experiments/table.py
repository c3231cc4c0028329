"""The held-out table of training/README.md from the experiment results (markdown on stdout).

    python training/experiments/table.py runs/exp/heads/results.json runs/exp/tta/results.json --cost runs/exp/cost.json
"""

from __future__ import annotations

import argparse
import json

# approach name (as in compare_heads / tta_crops) -> cost variant of cost.py
COST_OF = [("lite0 + lite2", "lite0 + lite2 288"), ("lite0 + lite1 288 concatenated", "lite0 + lite1 288"),
           ("lite0 320", "lite0 320"), ("lite0 288 + lite0 320", None), ("lite1 288", None), ("lite2 288", None),
           ("mirror", "lite0 288 + mirror"), ("lite0 288", "lite0 288")]


def _cost(name: str, cost: dict, views: int = 1) -> str:
    for key, variant in COST_OF:
        if key in name:
            if variant is None or variant not in cost:
                return "-"
            if "mirror" in name and "+ mirror" not in variant and variant + " + mirror" in cost:
                variant += " + mirror"
            if views >= 2 and variant + " + mirror" in cost:  # test-time views: the mirror variant's cost per 2 views
                variant += " + mirror"
            ms = cost[variant]["ms_per_photo_p50"] * (1 if views < 2 else views / 2)
            base = cost["lite0 288"]["ms_per_photo_p50"]
            return f"{'~' if views > 2 else ''}x{ms / base:.2f} ({ms:.0f} ms)"
    return "-"


def _pct(m: dict) -> str:
    return f"{100 * m['value']:.1f} [{100 * m['low']:.1f}, {100 * m['high']:.1f}]"


def _diff(m: dict) -> str:
    return f"{100 * m['diff']:+.1f} [{100 * m['diff_low']:+.1f}, {100 * m['diff_high']:+.1f}]"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+")
    ap.add_argument("--cost", default=None)
    args = ap.parse_args()
    cost = json.loads(open(args.cost).read()) if args.cost else {}
    print("| approach | top-1 % | macro-F1 % | accept % at 98% precision | non-craft refused % | "
          "top-1 vs baseline (points) | macro-F1 vs baseline | accept vs baseline | cost per photo vs baseline |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in args.results:
        for name, r in json.loads(open(path).read()).items():
            if name.startswith("_"):
                continue
            m = r["metrics"]
            views = len(r["views"]) if "views" in r else 1
            label = name if "views" in r else name
            if "views" in r:
                label = f"lite0 288, test-time views: {name}"
            print(f"| {label} | {_pct(m['top1'])} | {_pct(m['macro_f1'])} | {_pct(m['accept_rate'])} | "
                  f"{_pct(m['noncraft_refused'])} | {_diff(m['top1'])} | {_diff(m['macro_f1'])} | {_diff(m['accept_rate'])} | "
                  f"{_cost(name if 'views' not in r else 'lite0 288', cost, views if 'views' in r else 1)} |")


if __name__ == "__main__":
    main()
