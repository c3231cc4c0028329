"""Held-out comparison of logistic heads on cached frozen features, with bootstrap intervals.

    python training/experiments/compare_heads.py --split runs/exp-baseline/split.json --out runs/exp/heads

Every approach is fitted on the split's training photos and measured on its validation photos
(whole sources held out), as the head recipe does: class-balanced logistic regression on the
training views, temperature and decision thresholds fitted on validation, figures and paired
bootstrap differences against the baseline (lite0 at 288, eval crop scored, C = 2) from
`craftvision.training.heldout`. Features come from `.cache/embeddings` only (filled by
`embed.py` or a recipe run); an approach whose features are not cached is skipped and says so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

LITE0 = "tf_efficientnet_lite0"


def load_features(samples, names, backbone: str, size: int, views: int, cache: str) -> np.ndarray | None:
    """(N, views, D) from the cache, or None when any photo is missing (nothing is computed here)."""
    from craftvision.data import file_sha256
    from craftvision.training.config import load_config
    from craftvision.training.features import EmbeddingCache, model_key
    from craftvision.training.models import create_model
    from craftvision.training.models import resolve_spec

    cfg = load_config(None, {"data.folder": "../shared/data/crafts", "model.backbone": LITE0, "model.image_size": size})
    spec = resolve_spec(create_model(LITE0, len(names), True, None), cfg)
    model = create_model(backbone, len(names), True, None).eval()
    store = EmbeddingCache(cache, model_key(model, spec, backbone, views))
    hashes = [file_sha256(s.path) for s in samples]
    if any(h not in store.data for h in hashes):
        return None
    return np.stack([store.data[h] for h in hashes])


def fit_head(x_tr: np.ndarray, y_tr: np.ndarray, num_classes: int, c: float) -> tuple[np.ndarray, np.ndarray]:
    from craftvision.training.head import fit_logistic_head

    return fit_logistic_head(x_tr, y_tr, num_classes, c=c, seed=0)


def calibrated(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    from craftvision.metrics import fit_temperature, softmax

    t = fit_temperature(logits, y)
    return softmax(logits, t), t


APPROACHES = {
    # name: (features [(backbone, size)], C, training views used, scored views)
    "baseline: lite0 288, crop (C 2)": ([(LITE0, 288)], 2.0, 2, "crop"),
    "lite0 288, crop + mirror averaged": ([(LITE0, 288)], 2.0, 2, "mirror"),
    "lite0 288, C 0.5": ([(LITE0, 288)], 0.5, 2, "crop"),
    "lite0 288, C 0.1": ([(LITE0, 288)], 0.1, 2, "crop"),
    "lite0 288, C 8": ([(LITE0, 288)], 8.0, 2, "crop"),
    "lite0 288, C 0.5, mirror averaged": ([(LITE0, 288)], 0.5, 2, "mirror"),
    "lite0 320, crop": ([(LITE0, 320)], 2.0, 2, "crop"),
    "lite0 320, crop + mirror": ([(LITE0, 320)], 2.0, 2, "mirror"),
    "lite0 288 + lite0 320 concatenated": ([(LITE0, 288), (LITE0, 320)], 2.0, 2, "crop"),
    "lite1 288 (lite0 preprocessing), crop": ([("tf_efficientnet_lite1", 288)], 2.0, 2, "crop"),
    "lite0 + lite1 288 concatenated, crop": ([(LITE0, 288), ("tf_efficientnet_lite1", 288)], 2.0, 2, "crop"),
    "lite0 + lite1 288 concatenated, crop + mirror": ([(LITE0, 288), ("tf_efficientnet_lite1", 288)], 2.0, 2, "mirror"),
    "lite0 + lite1 288 concatenated, C 0.5": ([(LITE0, 288), ("tf_efficientnet_lite1", 288)], 0.5, 2, "crop"),
    "lite0 + lite1 288 concatenated, C 0.5, mirror": ([(LITE0, 288), ("tf_efficientnet_lite1", 288)], 0.5, 2, "mirror"),
    # lite1 cached with the eval crop only (one view, half the embedding time): heads trained on crops only
    "lite0 288, trained on crops only": ([(LITE0, 288)], 2.0, 1, "crop"),
    "lite0 320, trained on crops only": ([(LITE0, 320)], 2.0, 1, "crop"),
    "lite1 288, trained on crops only": ([("tf_efficientnet_lite1", 288)], 2.0, 1, "crop"),
    "lite0 + lite1 288 concatenated, trained on crops only": ([(LITE0, 288), ("tf_efficientnet_lite1", 288)], 2.0, 1, "crop"),
    "lite0 + lite1 288 concatenated, trained on crops only, C 0.5": ([(LITE0, 288), ("tf_efficientnet_lite1", 288)], 0.5, 1, "crop"),
    # at 256 and 240 px (both backbones, eval crop only): candidates for the speed rule
    "lite0 256, trained on crops only": ([(LITE0, 256)], 2.0, 1, "crop"),
    "lite0 + lite1 256 concatenated, trained on crops only": ([(LITE0, 256), ("tf_efficientnet_lite1", 256)], 2.0, 1, "crop"),
    "lite0 240, trained on crops only": ([(LITE0, 240)], 2.0, 1, "crop"),
    "lite0 + lite1 240 concatenated, trained on crops only": ([(LITE0, 240), ("tf_efficientnet_lite1", 240)], 2.0, 1, "crop"),
    "lite2 288 (lite0 preprocessing), crop": ([("tf_efficientnet_lite2", 288)], 2.0, 2, "crop"),
    "lite0 + lite2 288 concatenated, crop": ([(LITE0, 288), ("tf_efficientnet_lite2", 288)], 2.0, 2, "crop"),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--out", default="runs/exp/heads")
    ap.add_argument("--cache", default=".cache/embeddings")
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--only", nargs="*", default=None, help="approach names (default: all)")
    args = ap.parse_args()
    from craftvision.training.evaluate import load_split
    from craftvision.training.heldout import bootstrap_metrics

    torch.set_num_threads(2)
    train, val, names = load_split(args.split)
    index = {c: i for i, c in enumerate(names)}
    y_tr = np.array([index[s.label] for s in train])
    y_va = np.array([index[s.label] for s in val])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    feats: dict = {}
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    base_probs = None
    for name, (parts, c, train_views, scored) in APPROACHES.items():
        if args.only and name not in args.only and not name.startswith("baseline"):
            continue
        xs = []
        for b, size in parts:
            if (b, size) not in feats:  # the 2-view cache (eval crop, mirror), else the eval-crop-only one
                feats[(b, size)] = None
                for v in (2, 1):
                    tr = load_features(train, names, b, size, v, args.cache)
                    va = load_features(val, names, b, size, v, args.cache)
                    if tr is not None and va is not None:
                        feats[(b, size)] = (tr, va)
                        break
            got = feats[(b, size)]
            xs.append(None if got is None or got[0].shape[1] < train_views or (scored == "mirror" and got[1].shape[1] < 2)
                      else (got[0][:, :train_views], got[1]))
        if any(x is None for x in xs):
            print(f"skipped (features not cached): {name}", flush=True)
            continue
        x_tr = np.concatenate([x[0] for x in xs], axis=-1)
        x_va = np.concatenate([x[1][:, :min(x[1].shape[1] for x in xs)] for x in xs], axis=-1)
        w, bias = fit_head(x_tr, y_tr, len(names), c)
        views = x_va[:, :1] if scored == "crop" else x_va[:, :2]
        logits = (views @ w.T + bias).mean(axis=1)  # linear head: mean of logits = logits of mean embedding
        probs, t = calibrated(logits, y_va)
        np.savez(out / ("".join(ch if ch.isalnum() else "_" for ch in name) + ".npz"), probs=probs, logits=logits, y=y_va)
        if base_probs is None:
            base_probs = probs
        b = bootstrap_metrics(probs, y_va, names, n_boot=args.n_boot, baseline_probs=base_probs)
        results[name] = {"features": parts, "C": c, "scored": scored, "temperature": t, "dim": int(x_tr.shape[-1]),
                         "val_photos": len(val), "train_photos": len(train), "metrics": b}
        m = b
        print(f"{name}: top-1 {m['top1']['value']:.3f} [{m['top1']['low']:.3f},{m['top1']['high']:.3f}] "
              f"d {m['top1']['diff']:+.3f} [{m['top1']['diff_low']:+.3f},{m['top1']['diff_high']:+.3f}] | "
              f"F1 {m['macro_f1']['value']:.3f} d {m['macro_f1']['diff']:+.3f} [{m['macro_f1']['diff_low']:+.3f},{m['macro_f1']['diff_high']:+.3f}] | "
              f"accept {m['accept_rate']['value']:.3f} d {m['accept_rate']['diff']:+.3f} "
              f"[{m['accept_rate']['diff_low']:+.3f},{m['accept_rate']['diff_high']:+.3f}] | "
              f"refused {m['noncraft_refused']['value']:.3f}", flush=True)
        (out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
