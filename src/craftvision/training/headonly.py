"""Strategy "head": a logistic-regression head on cached frozen embeddings (seconds on a CPU).

The embeddings of each photo are computed once per backbone and cached by content hash, so
folding in new photos (e.g. customs corrections) only embeds the new ones. The head is a
multinomial logistic regression (scikit-learn, L-BFGS, class-balanced), written back into the
timm model's classifier so the result exports like any fine-tuned checkpoint.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..metrics import classification_summary, softmax
from .checkpoint import load_checkpoint
from .config import RunConfig
from .features import embed_samples
from .head import fit_logistic_head, set_head
from .models import build_model, resolve_spec
from .run import RunFolder


def train_head_only(cfg: RunConfig, resume: bool = False, use_all: bool = False, show_progress: bool = True,
                    cache_dir: str | Path | None = None) -> dict:
    """Retrain the classification head on cached embeddings; writes ``best.pt`` in the run folder.

    The backbone is ``model.init_from``'s when set (e.g. the shipped fine-tuned model), else the
    ImageNet one; ``head.c`` and ``head.views`` set the head. With `use_all` every photo (train and
    validation) trains the head: the refit of a shipped model whose validation figures come from
    the same recipe run on the split.

    Returns:
        Timings, sizes and validation metrics, also written to ``head_only.json``.
    """
    t_start = time.perf_counter()
    run = RunFolder(cfg).prepare()
    split, class_names = run.split(use_all)
    model = build_model(cfg, len(class_names))
    if cfg.model.init_from:
        body = {k: v for k, v in load_checkpoint(cfg.model.init_from)["state_dict"].items() if "classifier" not in k}
        model.load_state_dict(body, strict=False)
    model.eval()
    spec = resolve_spec(model, cfg)
    cache, views = Path(cache_dir or ".cache/embeddings"), cfg.head.views
    t0 = time.perf_counter()
    tr, _, n_tr = embed_samples(model, split.train, spec, cache, cfg.model.backbone, views=views, progress=False)
    va, _, n_va = embed_samples(model, split.val, spec, cache, cfg.model.backbone, views=views, progress=False)
    t_embed = time.perf_counter() - t0
    index = {c_: i for i, c_ in enumerate(class_names)}
    y_tr = np.array([index[s.label] for s in split.train])
    y_va = np.array([index[s.label] for s in split.val])
    t1 = time.perf_counter()
    weight, bias = fit_logistic_head(tr, y_tr, len(class_names), c=cfg.head.c, seed=cfg.seed)
    t_fit = time.perf_counter() - t1
    set_head(model, weight, bias)
    summary = classification_summary(softmax(va[:, 0] @ weight.T + bias), y_va, class_names)
    metrics = {"val_top1": summary["top1"], "val_top3": summary["top3"], "val_macro_f1": summary["macro_f1"],
               "val_ece": summary["ece"], "head": "logistic_regression", "C": cfg.head.c, "views": views,
               "validation_in_training": use_all}
    best = run.checkpoint("best.pt", model, spec, metrics, 0, {"run": run.run_meta(
        mode="head_only_refit_all" if use_all else "head_only", init_from=cfg.model.init_from or "imagenet")})
    run.write_config()
    run.write_split()
    result = {
        "checkpoint": str(best),
        "train_photos": len(split.train), "val_photos": len(split.val),
        "embedded_now": n_tr + n_va, "embedded_from_cache": len(split.train) + len(split.val) - n_tr - n_va,
        "seconds_embedding": round(t_embed, 2), "seconds_head_fit": round(t_fit, 2),
        "seconds_total": round(time.perf_counter() - t_start, 2),
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()},
    }
    run.log({"epoch": 1, **result})
    run.finish(best, "head_only.json", result, {"mode": "head_only", "timings": result})
    return result
