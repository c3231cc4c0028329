"""Strategy "finetune": the full training loop (AdamW, warm-up + cosine, early stopping on macro-F1, resume, DDP)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter

import numpy as np
import torch
from torch import nn

from ..errors import ConfigError, DatasetError, ModelFileError
from ..metrics import classification_summary, softmax
from .checkpoint import load_checkpoint
from .config import RunConfig
from .head import class_weights, fit_logistic_head, set_head, warmup_cosine
from .loaders import ImageDataset, build_train_loader, init_distributed
from .models import build_model, resolve_spec
from .run import RunFolder
from .transforms import build_eval_transform, build_train_transform

log = logging.getLogger(__name__)


def build_optimizer(model: nn.Module, cfg: RunConfig) -> torch.optim.Optimizer:
    """AdamW: the new head at `lr`, the pretrained backbone at `lr * backbone_lr_scale`; no decay on norms/biases."""
    ft = cfg.finetune
    head_params = {id(p) for p in model.get_classifier().parameters()}
    groups = {"head_decay": [], "head_no": [], "body_decay": [], "body_no": []}
    for _, p in model.named_parameters():
        if p.requires_grad:
            groups[f"{'head' if id(p) in head_params else 'body'}_{'no' if p.ndim <= 1 else 'decay'}"].append(p)
    return torch.optim.AdamW([
        {"params": params, "lr": ft.lr if key.startswith("head") else ft.lr * ft.backbone_lr_scale,
         "weight_decay": ft.weight_decay if key.endswith("decay") else 0.0}
        for key, params in groups.items() if params])


def train_one_epoch(model, loader, optimizer, scheduler, criterion, frozen_backbone: bool, progress=None) -> dict:
    """One pass over the training loader; returns mean loss and accuracy."""
    model.train()
    if frozen_backbone:
        model.eval()  # frozen BatchNorm statistics stay those of ImageNet
        model.get_classifier().train()
    total, correct, loss_sum = 0, 0, 0.0
    for x, y in loader:  # x: (B, 3, H, W) float32
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_sum += loss.item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
        total += len(y)
        if progress is not None:
            progress.update(len(y))
    return {"train_loss": loss_sum / max(1, total), "train_acc": correct / max(1, total)}


@torch.no_grad()
def evaluate(model, loader, class_names: list[str]) -> dict:
    """Validation metrics (loss, top-1, top-3, macro-F1, ECE at T=1)."""
    model.eval()
    outs, labels = [], []
    for x, y in loader:
        outs.append(model(x).float().numpy())
        labels.append(y.numpy())
    logits, labels = np.concatenate(outs), np.concatenate(labels)
    probs = softmax(logits)
    summary = classification_summary(probs, labels, class_names)
    nll = float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())
    return {"val_loss": nll, "val_top1": summary["top1"], "val_top3": summary["top3"],
            "val_macro_f1": summary["macro_f1"], "val_ece": summary["ece"]}


def _linear_probe(model, split, class_names: list[str], spec, cfg: RunConfig, cache_dir) -> None:
    """Set the head to the logistic head fitted on frozen embeddings of the training photos (LP-FT)."""
    from .features import embed_samples

    model.eval()
    emb, _, _ = embed_samples(model, split.train, spec, cache_dir or ".cache/embeddings", cfg.model.backbone, views=cfg.head.views,
                              progress=False)
    index = {c: i for i, c in enumerate(class_names)}
    set_head(model, *fit_logistic_head(emb, np.array([index[s.label] for s in split.train]), len(class_names),
                                       c=cfg.head.c, seed=cfg.seed))
    model.train()


def _build(cfg: RunConfig, split, class_names, cache_dir=None):
    """The network as the config asks (warm start, linear-probe head, frozen backbone) and its preprocessing."""
    model = build_model(cfg, len(class_names))
    if cfg.model.init_from:
        init = load_checkpoint(cfg.model.init_from)
        if init["class_names"] != class_names:
            raise ModelFileError(f"--init-from has classes {init['class_names']} but the data has {class_names}.")
        model.load_state_dict(init["state_dict"])
    spec = resolve_spec(model, cfg)
    if cfg.finetune.lp_init and not cfg.model.init_from:
        _linear_probe(model, split, class_names, spec, cfg, cache_dir)
    if cfg.finetune.freeze_backbone:
        for p in model.parameters():
            p.requires_grad = False
        for p in model.get_classifier().parameters():
            p.requires_grad = True
    return model, spec


def _weights_digest(model) -> str:
    return hashlib.sha256(b"".join(v.detach().cpu().numpy().tobytes() for v in model.state_dict().values())).hexdigest()


def train_finetune(cfg: RunConfig, resume: bool = False, use_all: bool = False, show_progress: bool = True,
                   cache_dir=None) -> dict:
    """Train the whole network as `cfg` says; ``best.pt`` keeps the best validation macro-F1, ``last.pt`` the resume state."""
    if use_all:
        raise ConfigError("output.refit_all is implemented for modes 'head' and 'partial' (cached features).")
    ft = cfg.finetune
    rank, world = init_distributed()
    run = RunFolder(cfg, writer=rank == 0).prepare()
    split, class_names = run.split()
    model, spec = _build(cfg, split, class_names, cache_dir)
    train_ds = ImageDataset(split.train, class_names, build_train_transform(
        spec, scale=(ft.augment_scale_min, 1.0), color_jitter=ft.color_jitter), spec.resize_size)
    val_ds = ImageDataset(split.val, class_names, build_eval_transform(spec), spec.resize_size)
    counts = Counter(s.label for s in split.train)
    missing = [c for c in class_names if counts[c] == 0]
    if missing:
        raise DatasetError(f"No training photos left for {missing}: add photos or lower data.val_fraction.")
    index = {c: i for i, c in enumerate(class_names)}
    weight = class_weights(np.array([index[s.label] for s in split.train]), len(class_names))
    train_loader, sampler = build_train_loader(train_ds, split, cfg, rank, world)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=64, shuffle=False, num_workers=0)
    criterion = nn.CrossEntropyLoss(weight=weight if ft.balance == "loss" else None, label_smoothing=ft.label_smoothing)
    core = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)  # gradients all-reduced: every rank keeps the same weights
        model.get_classifier = core.get_classifier
    optimizer = build_optimizer(core, cfg)
    steps = len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(ft.epochs * steps, int(ft.warmup_epochs * steps)))
    run.write_config()
    run.write_split()
    state = {"epoch": 0, "best": -1.0, "stale": 0}
    if resume and (run.path / "last.pt").exists():
        last = load_checkpoint(run.path / "last.pt")
        core.load_state_dict(last["state_dict"])
        optimizer.load_state_dict(last["optimizer"])
        scheduler.load_state_dict(last["scheduler"])
        state = {"epoch": last["epoch"] + 1, "best": last["best"], "stale": last["stale"]}
        log.info("resumed from epoch %d", last["epoch"])
    loop = (model, core, train_loader, val_loader, sampler, optimizer, scheduler, criterion)
    _epochs(run, cfg, loop, spec, state, world, show_progress)
    extra = {"world_size": world}
    if world > 1:
        extra["weights_sha256_per_rank"] = _gather_digests(core)
    run.finish(run.path / "best.pt", extra=extra)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    return {"checkpoint": str(run.path / "best.pt"), "best_val_macro_f1": state["best"], "epochs_run": state["epoch"]}


def _gather_digests(core) -> list[str]:
    """Every rank's weight digest (DDP must end with the same weights everywhere), recorded in run.json."""
    import torch.distributed as dist

    digests = [None] * dist.get_world_size()
    dist.all_gather_object(digests, _weights_digest(core))
    return digests


def _epochs(run: RunFolder, cfg: RunConfig, loop, spec, state: dict, world: int, show_progress: bool) -> None:
    """The epochs from ``state["epoch"]`` on, with early stopping; updates `state` in place."""
    model, core, train_loader, val_loader, sampler, optimizer, scheduler, criterion = loop
    ft, meta = cfg.finetune, run.run_meta()
    for epoch in range(state["epoch"], ft.epochs):
        t0 = time.time()
        if sampler is not None:
            sampler.set_epoch(epoch)
        progress = None
        if show_progress and run.writer:
            from tqdm import tqdm

            progress = tqdm(total=len(train_loader.dataset), desc=f"epoch {epoch + 1}/{ft.epochs}", unit="img", leave=False)
        stats = train_one_epoch(model, train_loader, optimizer, scheduler, criterion, ft.freeze_backbone, progress)
        if progress is not None:
            progress.close()
        if world > 1:
            # DDP keeps parameters equal (all-reduced gradients) but each rank's last forward pass
            # updated its own BatchNorm statistics: take rank 0's so evaluation and weights agree.
            import torch.distributed as dist

            for buf in core.buffers():
                dist.broadcast(buf, 0)
        metrics = evaluate(core, val_loader, run.class_names)  # identical on every rank (same weights, same photos)
        row = {"epoch": epoch + 1, **stats, **metrics, "lr": optimizer.param_groups[0]["lr"],
               "seconds": round(time.time() - t0, 1)}
        improved = metrics["val_macro_f1"] > state["best"]
        state.update(epoch=epoch + 1, best=metrics["val_macro_f1"] if improved else state["best"],
                     stale=0 if improved else state["stale"] + 1)
        if run.writer:
            run.log(row)
            print(json.dumps(row), flush=True)
            if improved:
                run.checkpoint("best.pt", core, spec, row, epoch, {"run": meta})
            run.checkpoint("last.pt", core, spec, row, epoch, {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                                                               "best": state["best"], "stale": state["stale"], "run": meta})
        if state["stale"] >= ft.patience:
            if run.writer:
                print(f"early stop: no better validation macro-F1 for {ft.patience} epochs", flush=True)
            break
