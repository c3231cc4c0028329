"""Test-time views beyond the mirror: several crops of each validation photo, logits averaged.

    python training/experiments/tta_crops.py --split runs/exp-baseline/split.json --out runs/exp/tta

Views of lite0 at 288 (lite0's preprocessing), for validation photos only (the head is the
baseline's, trained on the eval crop and mirror of the training photos, read from the cache):
the eval crop and its mirror (cached), the whole short side (crop fraction 1.0) and its mirror,
and the two ends of the long side at the eval resize. Figures with bootstrap intervals and the
paired difference against the baseline, and the cost (views x model time) measured here.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

LITE0 = "tf_efficientnet_lite0"


def extra_views(image, spec) -> list[np.ndarray]:
    """(3, H, W) arrays: whole short side, its mirror, the two ends of the long side at the eval resize."""
    from craftvision.preprocess import _PIL_INTERPOLATION, _resized_size, normalize_array, preprocess_image

    whole = preprocess_image(image, replace(spec, resize_size=spec.input_size[0]))
    out = [whole, np.ascontiguousarray(whole[:, :, ::-1])]
    w, h = image.size
    nw, nh = _resized_size(w, h, spec.resize_size)
    big = image.resize((nw, nh), _PIL_INTERPOLATION[spec.interpolation])
    ch, cw = spec.input_size
    if nw >= nh:  # ends of the long side, centred on the short one
        top = int(round((nh - ch) / 2.0))
        boxes = [(0, top, cw, top + ch), (nw - cw, top, nw, top + ch)]
    else:
        left = int(round((nw - cw) / 2.0))
        boxes = [(left, 0, left + cw, ch), (left, nh - ch, left + cw, nh)]
    out += [normalize_array(np.asarray(big.crop(b), dtype=np.uint8), spec) for b in boxes]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--out", default="runs/exp/tta")
    ap.add_argument("--cache", default=".cache/embeddings")
    ap.add_argument("--n-boot", type=int, default=500)
    args = ap.parse_args()
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from compare_heads import calibrated, fit_head, load_features

    from craftvision.data import file_sha256
    from craftvision.images import load_image
    from craftvision.training.config import load_config
    from craftvision.training.evaluate import load_split
    from craftvision.training.heldout import bootstrap_metrics
    from craftvision.training.memory import retain_freed_memory
    from craftvision.training.models import create_model
    from craftvision.training.models import resolve_spec

    torch.set_num_threads(2)
    retain_freed_memory()
    train, val, names = load_split(args.split)
    index = {c: i for i, c in enumerate(names)}
    y_tr = np.array([index[s.label] for s in train])
    y_va = np.array([index[s.label] for s in val])
    model = create_model(LITE0, len(names), True, None).eval()
    spec = resolve_spec(model, load_config(None, {"data.folder": "../shared/data/crafts", "model.backbone": LITE0, "model.image_size": 288}))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = out / "extra_views.npz"
    have = dict(np.load(store)) if store.exists() else {}
    t0, n_new = time.perf_counter(), 0
    for start in range(0, len(val), 16):
        chunk = [s for s in val[start:start + 16] if file_sha256(s.path) not in have]
        if not chunk:
            continue
        x = np.stack([v for s in chunk for v in extra_views(load_image(s.path, min_side=spec.resize_size), spec)])
        with torch.no_grad():
            emb = model.forward_head(model.forward_features(torch.from_numpy(x)), pre_logits=True).numpy()
        for j, s in enumerate(chunk):
            have[file_sha256(s.path)] = emb[4 * j: 4 * j + 4]
        n_new += len(chunk)
        np.savez(store, **have)
    seconds = time.perf_counter() - t0
    tr = load_features(train, names, LITE0, 288, 2, args.cache)
    va = load_features(val, names, LITE0, 288, 2, args.cache)
    ex = np.stack([have[file_sha256(s.path)] for s in val])  # (N, 4, D)
    w, b = fit_head(tr, y_tr, len(names), 2.0)
    base, _ = calibrated(va[:, 0] @ w.T + b, y_va)
    views = np.concatenate([va, ex], axis=1)  # (N, 6, D): crop, mirror, whole, whole mirror, end 1, end 2
    sets = {"crop + mirror + whole + whole mirror (4 views)": [0, 1, 2, 3],
            "crop + mirror + 2 long-side ends (4 views)": [0, 1, 4, 5], "all 6 views": [0, 1, 2, 3, 4, 5],
            "whole short side only": [2], "whole + mirror": [2, 3]}
    results = {}
    for name, idx in sets.items():
        probs, t = calibrated((views[:, idx] @ w.T + b).mean(axis=1), y_va)
        m = bootstrap_metrics(probs, y_va, names, n_boot=args.n_boot, baseline_probs=base)
        results[name] = {"views": idx, "temperature": t, "metrics": m}
        print(f"{name}: top-1 {m['top1']['value']:.3f} d {m['top1']['diff']:+.3f} [{m['top1']['diff_low']:+.3f},"
              f"{m['top1']['diff_high']:+.3f}] | F1 {m['macro_f1']['value']:.3f} d {m['macro_f1']['diff']:+.3f} "
              f"[{m['macro_f1']['diff_low']:+.3f},{m['macro_f1']['diff_high']:+.3f}] | accept {m['accept_rate']['value']:.3f} "
              f"d {m['accept_rate']['diff']:+.3f} [{m['accept_rate']['diff_low']:+.3f},{m['accept_rate']['diff_high']:+.3f}]",
              flush=True)
    results["_embedding"] = {"photos_computed": n_new, "seconds": round(seconds, 1), "views_per_photo": 4}
    (out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
