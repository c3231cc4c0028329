"""Fine-tuning the last stages of the backbone on cached activations (CPU-friendly fine-tuning).

Full fine-tuning pays for the whole network at every step; on two CPU cores that is about seven
minutes per epoch at 224 px. Here the network is cut after block ``tune_from - 1``: the frozen lower
part runs once per photo and view (eval crop, mirror, seeded augmented crops) and its activations
are cached by content hash; training then runs only the upper blocks, ``conv_head`` and the
classifier, many epochs for the price of one.

Recipe (LP-FT, Kumar et al. 2022, then WiSE-FT, Wortsman et al. 2022):
1. the classifier starts from a class-balanced logistic regression on the frozen pooled features
   (the linear probe), so fine-tuning starts from a good head and does not distort the features
   to fit a random one;
2. the upper blocks and the head train with AdamW at a small learning rate, BatchNorm statistics
   frozen (ImageNet's, robust to the few shops' styles), label smoothing, class-balanced loss;
3. the result is averaged with the starting weights (``wise_alpha``): weight-space ensembling
   keeps the pretrained model's robustness to new sources.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data import Sample, file_sha256
from ..errors import ConfigError
from ..metrics import classification_summary, softmax
from ..preprocess import PreprocessSpec
from .config import RunConfig
from .features import EmbeddingCache, view_batch
from .head import class_weights, fit_logistic_head, set_head, warmup_cosine
from .models import build_model, resolve_spec
from .run import RunFolder


def lower_forward(model: nn.Module, x: torch.Tensor, tune_from: int) -> torch.Tensor:
    """Stem and blocks ``[0, tune_from)`` of a timm EfficientNet: the frozen part."""
    x = model.bn1(model.conv_stem(x))
    for block in model.blocks[:tune_from]:
        x = block(x)
    return x


def upper_features(model: nn.Module, h: torch.Tensor, tune_from: int) -> torch.Tensor:
    """Blocks ``[tune_from, end)``, conv_head and pooling: the pooled embedding (N, D)."""
    for block in model.blocks[tune_from:]:
        h = block(h)
    h = model.bn2(model.conv_head(h))
    return model.forward_head(h, pre_logits=True)


def upper_parameters(model: nn.Module, tune_from: int) -> list[nn.Parameter]:
    params = []
    for m in list(model.blocks[tune_from:]) + [model.conv_head, model.bn2]:
        params += list(m.parameters())
    return params


def activation_key(model: nn.Module, spec: PreprocessSpec, name: str, tune_from: int, views: int) -> str:
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        if k.startswith(("conv_stem", "bn1")) or any(k.startswith(f"blocks.{i}.") for i in range(tune_from)):
            h.update(k.encode())
            h.update(v.detach().float().numpy().tobytes()[:4096])
    h.update(json.dumps(spec.to_dict(), sort_keys=True).encode())
    return f"{name}-act{tune_from}-v{views}-{h.hexdigest()[:12]}"


@torch.no_grad()
def cache_activations(model, samples: list[Sample], spec: PreprocessSpec, tune_from: int, views: int,
                      cache_dir: str | Path, name: str, batch_size: int = 16, progress: bool = True):
    """Lower-part activations of every sample and view, (N, V, C, h, w) float16, and how many were computed."""
    model.eval()
    cache = EmbeddingCache(cache_dir, activation_key(model, spec, name, tune_from, views))
    hashes = [file_sha256(s.path) for s in samples]
    todo = sorted({h: i for i, h in enumerate(hashes) if h not in cache.data}.values())
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"activations ({name}, blocks < {tune_from})", unit="img", leave=False)
    last_save = time.monotonic()
    for start in range(0, len(todo), batch_size):
        idx = todo[start:start + batch_size]
        batch = view_batch(samples, idx, hashes, spec, views)
        act = lower_forward(model, torch.from_numpy(batch), tune_from).numpy().astype(np.float16)
        act = act.reshape(len(idx), views, *act.shape[1:])
        for j, i in enumerate(idx):
            cache.data[hashes[i]] = act[j]
        if bar:
            bar.update(len(idx))
        if time.monotonic() - last_save > 300:  # a killed run keeps most of its work
            cache.save()
            last_save = time.monotonic()
    if bar:
        bar.close()
    if todo:
        cache.save()
    return np.stack([cache.data[h] for h in hashes]), len(todo)  # todo holds one index per new hash


@torch.no_grad()
def pooled_embeddings(model, acts: np.ndarray, tune_from: int, batch_size: int = 64) -> np.ndarray:
    """Pooled embeddings (N, V, D) from cached activations (N, V, C, h, w)."""
    model.eval()
    n, v = acts.shape[:2]
    flat = acts.reshape(n * v, *acts.shape[2:])
    out = []
    for s in range(0, len(flat), batch_size):
        out.append(upper_features(model, torch.from_numpy(flat[s:s + batch_size].astype(np.float32)), tune_from).numpy())
    return np.concatenate(out).reshape(n, v, -1)


@torch.no_grad()
def predict_probs(model, acts: np.ndarray, tune_from: int, view: int = 0) -> np.ndarray:
    emb = pooled_embeddings(model, acts[:, view:view + 1], tune_from)[:, 0]
    head = model.get_classifier()
    return softmax(emb @ head.weight.numpy().T + head.bias.numpy())


def _frozen_bn_train_mode(model: nn.Module) -> None:
    """Dropout on, BatchNorm statistics frozen (eval) everywhere."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def wise_interpolate(start: dict, tuned: dict, alpha: float) -> dict:
    """WiSE-FT: (1 - alpha) * start + alpha * tuned for floating-point entries."""
    out = {}
    for k, v in tuned.items():
        if v.is_floating_point():
            out[k] = (1 - alpha) * start[k] + alpha * v
        else:
            out[k] = v
    return out


def train_partial(cfg: RunConfig, resume: bool = False, use_all: bool = False, show_progress: bool = True,
                  cache_dir: str | Path | None = None) -> dict:
    """Fine-tune blocks ``[partial.tune_from, end)`` + head on cached activations; writes ``best.pt``.

    The ``partial`` section sets the cut, the cached views, the optimiser and the WiSE-FT weight;
    ``head.c`` regularises the linear probe that initialises the classifier. With `use_all` the
    validation photos train too (refit of a shipped model).

    Returns:
        Metrics and timings, also written to ``partial.json`` in the run folder.
    """
    t_start, p = time.perf_counter(), cfg.partial
    run = RunFolder(cfg).prepare()
    split, class_names = run.split(use_all)
    model = build_model(cfg, len(class_names))
    if not 0 < p.tune_from < len(model.blocks):
        raise ConfigError(f"partial.tune_from must be between 1 and {len(model.blocks) - 1} for {cfg.model.backbone}; "
                          f"got {p.tune_from}.")
    spec = resolve_spec(model, cfg)
    cache = Path(cache_dir or ".cache/activations")
    t0 = time.perf_counter()
    acts = [cache_activations(model, part, spec, p.tune_from, p.views, cache, cfg.model.backbone, progress=show_progress)
            for part in (split.train, split.val)]
    t_cache = time.perf_counter() - t0
    index = {c: i for i, c in enumerate(class_names)}
    y_tr, y_va = (np.array([index[s.label] for s in part]) for part in (split.train, split.val))
    t1 = time.perf_counter()
    # 1. linear probe on the frozen features (eval crop + mirror views)
    set_head(model, *fit_logistic_head(pooled_embeddings(model, acts[0][0][:, :2], p.tune_from), y_tr,
                                       len(class_names), c=cfg.head.c, seed=cfg.seed))
    history = []

    def validate(tag: str, epoch: int) -> dict:
        s = classification_summary(predict_probs(model, acts[1][0], p.tune_from), y_va, class_names)
        history.append({"stage": tag, "epoch": epoch, "val_top1": round(s["top1"], 4), "val_macro_f1": round(s["macro_f1"], 4)})
        if show_progress:
            print(json.dumps(history[-1]), flush=True)
        return s

    validate("linear_probe", 0)
    start_state = copy.deepcopy(model.state_dict())
    # 2. fine-tune the upper part; 3. WiSE-FT
    _finetune_upper(model, acts[0][0], y_tr, cfg, lambda epoch: None if use_all else validate("finetune", epoch),
                    show_progress)
    model.load_state_dict(wise_interpolate(start_state, copy.deepcopy(model.state_dict()), p.wise_alpha))
    model.eval()
    t_fit = time.perf_counter() - t1
    summary = validate(f"wise_alpha_{p.wise_alpha}", p.epochs)
    metrics = {"val_top1": summary["top1"], "val_top3": summary["top3"], "val_macro_f1": summary["macro_f1"],
               "val_ece": summary["ece"], "head": "partial_finetune", "tune_from": p.tune_from, "views": p.views,
               "epochs": p.epochs, "lr": p.lr, "wise_alpha": p.wise_alpha, "label_smoothing": p.label_smoothing,
               "validation_in_training": use_all}
    best = run.checkpoint("best.pt", model, spec, metrics, p.epochs, {"run": run.run_meta(
        mode="partial_finetune_refit_all" if use_all else "partial_finetune", init_from="imagenet")})
    run.write_config()
    run.write_split()
    result = {
        "checkpoint": str(best), "train_photos": len(split.train), "val_photos": len(split.val),
        "computed_now": acts[0][1] + acts[1][1], "seconds_activations": round(t_cache, 1),
        "seconds_training": round(t_fit, 1), "seconds_total": round(time.perf_counter() - t_start, 1), "history": history,
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()},
    }
    run.log(*history)
    run.finish(best, "partial.json", result, {"mode": "partial_finetune", "timings": result})
    return result


def _finetune_upper(model, a_tr: np.ndarray, y_tr: np.ndarray, cfg: RunConfig, after_epoch, show_progress: bool) -> None:
    """AdamW on the upper blocks and the head, BatchNorm frozen, one cached view per photo and step."""
    p = cfg.partial
    head = model.get_classifier()
    criterion = nn.CrossEntropyLoss(weight=class_weights(y_tr, head.out_features), label_smoothing=p.label_smoothing)
    optimizer = torch.optim.AdamW(
        [{"params": upper_parameters(model, p.tune_from), "lr": p.lr},
         {"params": list(head.parameters()), "lr": p.lr * p.head_lr_scale}], weight_decay=p.weight_decay)
    steps_per_epoch = -(-len(y_tr) // p.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(steps_per_epoch * p.epochs, steps_per_epoch))
    rng = np.random.default_rng(cfg.seed)
    for epoch in range(1, p.epochs + 1):
        _frozen_bn_train_mode(model)
        order = rng.permutation(len(y_tr))
        view = rng.integers(0, p.views, size=len(y_tr))
        losses = []
        for s in range(0, len(order), p.batch_size):
            idx = order[s:s + p.batch_size]
            x = torch.from_numpy(a_tr[idx, view[idx]].astype(np.float32))
            loss = criterion(head(upper_features(model, x, p.tune_from)), torch.from_numpy(y_tr[idx]))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        model.eval()
        after_epoch(epoch)
        if show_progress:
            print(json.dumps({"epoch": epoch, "train_loss": round(float(np.mean(losses)), 4)}), flush=True)
