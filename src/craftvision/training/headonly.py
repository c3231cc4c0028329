"""Head-only training: a logistic-regression head on cached frozen embeddings (seconds on a CPU).

The embeddings of each photo are computed once per backbone and cached by content hash, so
folding in new photos (e.g. customs corrections) only embeds the new ones. The head is a
multinomial logistic regression (scikit-learn, L-BFGS, class-balanced), written back into the
timm model's classifier so the result exports like any fine-tuned checkpoint.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from ..metrics import classification_summary, softmax
from ..splitfile import write_split
from .config import TrainConfig
from .features import embed_samples
from .models import create_model
from .train import git_revision, load_checkpoint, prepare_split, save_checkpoint, resolve_spec, seed_everything, write_run_record


def fit_logistic_head(features: np.ndarray, labels: np.ndarray, num_classes: int, c: float = 2.0, seed: int = 0):
    """Class-balanced multinomial logistic regression; returns weight (C, D) and bias (C,).

    Args:
        features: (N, D), or (N, V, D) where the V views (e.g. mirror images) are extra samples.
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


def prepare_cached_run(cfg: TrainConfig, use_all: bool):
    """Seed, threads, run folder and split of a run on cached features; returns (out, split, class_names).

    With `use_all` the validation photos join the training photos (the refit of a shipped model);
    the split's validation list is kept for the record.
    """
    seed_everything(cfg.seed)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    split, class_names = prepare_split(cfg)
    if use_all:
        split = type(split)(sorted(split.train + split.val, key=lambda s_: str(s_.path)), split.val,
                            split.notes + ["refit on all photos: the validation photos are in training too"])
    return out, split, class_names


def train_head_only(cfg: TrainConfig, init_from: str | None = None, c: float = 2.0, views: int = 2,
                    cache_dir: str | Path | None = None, use_all: bool = False) -> dict:
    """Retrain the classification head on cached embeddings; writes ``best.pt`` in the run folder.

    Args:
        cfg: the training config (data, split, backbone, out_dir...).
        init_from: a checkpoint whose backbone is reused (e.g. the shipped fine-tuned model);
            default: the ImageNet backbone.
        c: inverse L2 strength of the logistic regression.
        views: 2 adds the mirror image of each photo as a training view.
        cache_dir: where embeddings are cached (default ``.cache/embeddings``).
        use_all: train on every photo (train and validation): the refit of a shipped model whose
            validation figures come from the same recipe run on the split.

    Returns:
        Timings, sizes and validation metrics, also written to ``head_only.json``.
    """
    t_start = time.perf_counter()
    out, split, class_names = prepare_cached_run(cfg, use_all)
    model = create_model(cfg.backbone, len(class_names), cfg.pretrained, cfg.weights_path or None)
    if init_from:
        init = load_checkpoint(init_from)
        body = {k: v for k, v in init["state_dict"].items() if "classifier" not in k}
        model.load_state_dict(body, strict=False)
    model.eval()
    spec = resolve_spec(model, cfg)
    cache = Path(cache_dir or ".cache/embeddings")
    t0 = time.perf_counter()
    tr, _, n_tr = embed_samples(model, split.train, spec, cache, cfg.backbone, views=views, progress=False)
    va, _, n_va = embed_samples(model, split.val, spec, cache, cfg.backbone, views=views, progress=False)
    # the split's validation photos' embeddings come from the same cache (views beyond 2 unused there)
    t_embed = time.perf_counter() - t0
    index = {c_: i for i, c_ in enumerate(class_names)}
    y_tr = np.array([index[s.label] for s in split.train])
    y_va = np.array([index[s.label] for s in split.val])
    t1 = time.perf_counter()
    weight, bias = fit_logistic_head(tr, y_tr, len(class_names), c=c, seed=cfg.seed)
    t_fit = time.perf_counter() - t1
    head = model.get_classifier()
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weight))
        head.bias.copy_(torch.from_numpy(bias))
    probs = softmax(va[:, 0] @ weight.T + bias)
    summary = classification_summary(probs, y_va, class_names)
    metrics = {"val_top1": summary["top1"], "val_top3": summary["top3"], "val_macro_f1": summary["macro_f1"],
               "val_ece": summary["ece"], "head": "logistic_regression", "C": c, "views": views,
               "validation_in_training": use_all}
    save_checkpoint(out / "best.pt", model, cfg, class_names, spec, metrics, 0,
                    {"run": {"git": git_revision(), "train_size": len(split.train), "val_size": len(split.val),
                             "mode": "head_only_refit_all" if use_all else "head_only",
                             "init_from": init_from or "imagenet"}})
    (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    write_split(out / "split.json", split, class_names)
    result = {
        "checkpoint": str(out / "best.pt"),
        "train_photos": len(split.train), "val_photos": len(split.val),
        "embedded_now": n_tr + n_va, "embedded_from_cache": len(split.train) + len(split.val) - n_tr - n_va,
        "seconds_embedding": round(t_embed, 2), "seconds_head_fit": round(t_fit, 2),
        "seconds_total": round(time.perf_counter() - t_start, 2),
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()},
    }
    with open(out / "log.jsonl", "a") as fh:
        fh.write(json.dumps({"epoch": 1, **result}) + "\n")
    (out / "head_only.json").write_text(json.dumps(result, indent=2))
    write_run_record(out, cfg, split, out / "best.pt", {"mode": "head_only", "timings": result})
    return result
