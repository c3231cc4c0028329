"""The training loop: class-balanced fine-tuning with AdamW, warm-up + cosine, early stopping, resume."""

from __future__ import annotations

import json
import logging
import math
import os
import random
import subprocess
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from .. import __version__
from ..data import Sample, Split, random_split, scan_image_folder, split_by_source
from ..errors import DatasetError, ImageError, ModelFileError
from ..images import load_image
from ..metrics import classification_summary
from ..preprocess import PreprocessSpec
from ..splitfile import write_split
from .transforms import build_eval_transform, build_train_transform
from .config import TrainConfig
from .models import create_model

log = logging.getLogger(__name__)


class ImageDataset(Dataset):
    """Labelled photos decoded once (at reduced size) and kept in memory, transformed on access."""

    def __init__(self, samples: list[Sample], class_names: list[str], transform, min_side: int):
        self.samples = samples
        self.index = {c: i for i, c in enumerate(class_names)}
        self.transform = transform
        self.min_side = min_side
        self._cache: dict[int, object] = {}

    def __len__(self):
        return len(self.samples)

    def image(self, i: int):
        if i not in self._cache:
            self._cache[i] = load_image(self.samples[i].path, min_side=self.min_side)
        return self._cache[i]

    def __getitem__(self, i):
        return self.transform(self.image(i)), self.index[self.samples[i].label]


class DistributedWeightedSampler(torch.utils.data.Sampler):
    """Class-balanced sampling with replacement, sharded across DDP ranks.

    Every rank draws the same seeded index sequence for an epoch and keeps every world_size-th
    index, so the ranks see disjoint shards of one balanced epoch.
    """

    def __init__(self, weights, num_samples: int, rank: int, world_size: int, seed: int):
        self.weights = torch.as_tensor(weights, dtype=torch.double)
        self.num_samples = num_samples - num_samples % world_size
        self.rank, self.world_size, self.seed, self.epoch = rank, world_size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        idx = torch.multinomial(self.weights, self.num_samples, replacement=True, generator=g).tolist()
        return iter(idx[self.rank::self.world_size])

    def __len__(self):
        return self.num_samples // self.world_size


def _distributed() -> tuple[int, int]:
    """(rank, world size), initialising the process group when started by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), world


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _readable(samples: list[Sample]) -> tuple[list[Sample], list[str], dict]:
    """Drop photos that cannot be decoded, saying which (training must not die on one bad file).

    Also returns the dHash of each readable photo, so the split does not decode them a second time.
    """
    from ..data import difference_hash

    ok, bad, hashes = [], [], {}
    for s in samples:
        try:
            hashes[s.path] = difference_hash(load_image(s.path, min_side=64))
            ok.append(s)
        except ImageError as exc:
            bad.append(str(exc))
    return ok, bad, hashes


def prepare_split(cfg: TrainConfig) -> tuple[Split, list[str]]:
    """Scan the data and build the validation split the config asks for."""
    samples, class_names = scan_image_folder(cfg.data, cfg.extra_classes)
    if cfg.max_per_class:
        rng = random.Random(cfg.seed)
        by = {}
        for s in samples:
            by.setdefault(s.label, []).append(s)
        samples = [s for c in sorted(by) for s in rng.sample(by[c], min(cfg.max_per_class, len(by[c])))]
    samples, bad, hashes = _readable(samples)
    for msg in bad:
        log.warning("skipped: %s", msg)
    if cfg.val_data:
        val, val_names = scan_image_folder(cfg.val_data)
        unknown = set(val_names) - set(class_names)
        if unknown:
            raise DatasetError(f"The validation folder has classes the training data lacks: {sorted(unknown)}.")
        split = Split(samples, _readable(val)[0], ["explicit validation folder"])
    elif cfg.group_split:
        split = split_by_source(samples, cfg.val_fraction, cfg.split_seed, cfg.dedupe_bits, hashes=hashes)
    else:
        split = random_split(samples, cfg.val_fraction, cfg.split_seed)
    if bad:
        split.notes.append(f"{len(bad)} unreadable photos skipped")
    return split, class_names


def resolve_spec(model, cfg: TrainConfig) -> PreprocessSpec:
    """timm's data config for the backbone, with the input size overridden by ``cfg.image_size``.

    A larger input keeps timm's crop ratio (resize = floor(size / crop_pct)), normalisation and
    interpolation, so only the resolution changes.
    """
    import timm

    data_cfg = dict(timm.data.resolve_model_data_config(model))
    if cfg.image_size:
        data_cfg["input_size"] = (3, cfg.image_size, cfg.image_size)
    return PreprocessSpec.from_timm_config(data_cfg)


def _lr_lambda(total_steps: int, warmup_steps: int):
    def f(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return f


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW: the new head at `lr`, the pretrained backbone at `lr * backbone_lr_scale`; no decay on norms/biases."""
    head_params = {id(p) for p in model.get_classifier().parameters()}
    groups = {"head_decay": [], "head_no": [], "body_decay": [], "body_no": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        part = "head" if id(p) in head_params else "body"
        decay = "no" if p.ndim <= 1 else "decay"
        groups[f"{part}_{decay}"].append(p)
    param_groups = []
    for key, params in groups.items():
        if params:
            lr = cfg.lr if key.startswith("head") else cfg.lr * cfg.backbone_lr_scale
            wd = cfg.weight_decay if key.endswith("decay") else 0.0
            param_groups.append({"params": params, "lr": lr, "weight_decay": wd})
    return torch.optim.AdamW(param_groups)


def train_one_epoch(model, loader, optimizer, scheduler, criterion, progress=None) -> dict:
    """One pass over the training loader; returns mean loss and accuracy."""
    model.train()
    if getattr(model, "_frozen_backbone", False):
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
def predict_logits(model, loader) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels over a loader, in eval mode."""
    model.eval()
    outs, labels = [], []
    for x, y in loader:
        outs.append(model(x).float().numpy())
        labels.append(y.numpy())
    return np.concatenate(outs), np.concatenate(labels)


def evaluate(model, loader, class_names: list[str]) -> dict:
    """Validation metrics (top-1, top-3, macro-F1, ECE at T=1) and the raw logits."""
    logits, labels = predict_logits(model, loader)
    z = logits - logits.max(1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    summary = classification_summary(probs, labels, class_names)
    nll = float(-np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None)).mean())
    return {"val_loss": nll, "val_top1": summary["top1"], "val_top3": summary["top3"],
            "val_macro_f1": summary["macro_f1"], "val_ece": summary["ece"], "_logits": logits, "_labels": labels}


def save_checkpoint(path: Path, model, cfg: TrainConfig, class_names, spec: PreprocessSpec, metrics: dict,
                    epoch: int, extra: dict | None = None) -> None:
    """Save weights with everything needed to rebuild and export them; written atomically.

    The file holds only tensors, numbers, strings, lists and dicts, so it loads with
    ``torch.load(..., weights_only=True)`` (nothing is unpickled).
    """
    payload = {
        "format": "craftvision-checkpoint/1",
        "state_dict": model.state_dict(),
        "backbone": cfg.backbone,
        "class_names": list(class_names),
        "preprocess": spec.to_dict(),
        "config": cfg.to_dict(),
        "metrics": {k: v for k, v in metrics.items() if not k.startswith("_")},
        "epoch": epoch,
        "craftvision_version": __version__,
    }
    payload.update(extra or {})
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by `save_checkpoint` (``weights_only=True``)."""
    try:
        ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelFileError(f"The checkpoint '{path}' does not exist.") from None
    except Exception as exc:
        raise ModelFileError(f"The checkpoint '{path}' could not be read: {exc}") from None
    for key in ("state_dict", "backbone", "class_names", "preprocess"):
        if key not in ckpt:
            raise ModelFileError(f"The checkpoint '{path}' lacks {key!r}: it was not written by craftvision train.")
    return ckpt


def model_from_checkpoint(ckpt: dict) -> nn.Module:
    model = create_model(ckpt["backbone"], len(ckpt["class_names"]), pretrained=False)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model


def git_revision() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
        return out.stdout.strip() or "unknown"
    except Exception:
        return "unknown"


def _fit_linear_probe(model, split: Split, class_names: list[str], spec: PreprocessSpec, cfg: TrainConfig) -> None:
    """Set the head to a logistic regression fitted on frozen embeddings of the training photos."""
    from .features import embed_samples
    from .headonly import fit_logistic_head

    model.eval()
    emb, _, _ = embed_samples(model, split.train, spec, ".cache/embeddings", cfg.backbone, views=2, progress=False)
    index = {c: i for i, c in enumerate(class_names)}
    weight, bias = fit_logistic_head(emb, np.array([index[s.label] for s in split.train]), len(class_names), c=cfg.lp_c,
                                     seed=cfg.seed)
    with torch.no_grad():
        model.get_classifier().weight.copy_(torch.from_numpy(weight))
        model.get_classifier().bias.copy_(torch.from_numpy(bias))
    model.train()


def dataset_manifest_hash(split: Split) -> str:
    """SHA-256 over the sorted (split, class, file name, content hash) of every photo used."""
    import hashlib

    from ..data import file_sha256

    h = hashlib.sha256()
    for part, samples in (("train", split.train), ("val", split.val)):
        for s_ in sorted(samples, key=lambda x: str(x.path)):
            h.update(f"{part}\t{s_.label}\t{s_.path.name}\t{file_sha256(s_.path)}\n".encode())
    return h.hexdigest()


def write_run_record(out: Path, cfg: TrainConfig, split: Split, checkpoint: Path, extra: dict | None = None) -> Path:
    """``run.json``: resolved config, dataset manifest hash, code version and the checkpoint's checksum."""
    from .. import __version__
    from ..data import file_sha256

    record = {"config": cfg.to_dict(), "dataset_manifest_sha256": dataset_manifest_hash(split),
              "train_photos": len(split.train), "val_photos": len(split.val), "code_version": __version__,
              "git_revision": git_revision(), "checkpoint": checkpoint.name,
              "checkpoint_sha256": file_sha256(checkpoint) if checkpoint.exists() else None,
              "metrics_log": "log.jsonl", **(extra or {})}
    (out / "run.json").write_text(json.dumps(record, indent=2))
    return out / "run.json"


def fit(cfg: TrainConfig, resume: bool = False, show_progress: bool = True) -> Path:
    """Train a classifier as `cfg` says; returns the path of the best checkpoint.

    The run folder receives ``config.json`` (resolved), ``split.json``, ``log.jsonl`` (one line
    per epoch), ``best.pt`` (best validation macro-F1) and ``last.pt`` (for ``resume``).
    """
    seed_everything(cfg.seed)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    rank, world = _distributed()
    main = rank == 0
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    split, class_names = prepare_split(cfg)
    n_classes = len(class_names)

    model = create_model(cfg.backbone, n_classes, cfg.pretrained, cfg.weights_path or None, cfg.drop_rate)
    if cfg.init_from:
        init = load_checkpoint(cfg.init_from)
        if init["class_names"] != class_names:
            raise ModelFileError(
                f"--init-from has classes {init['class_names']} but the data has {class_names}."
            )
        model.load_state_dict(init["state_dict"])
    spec = resolve_spec(model, cfg)
    if cfg.lp_init and not cfg.init_from:
        _fit_linear_probe(model, split, class_names, spec, cfg)
    if cfg.freeze_backbone:
        for p in model.parameters():
            p.requires_grad = False
        for p in model.get_classifier().parameters():
            p.requires_grad = True
        model._frozen_backbone = True

    train_tf = build_train_transform(spec, scale=(cfg.augment_scale_min, 1.0), color_jitter=cfg.color_jitter)
    train_ds = ImageDataset(split.train, class_names, train_tf, spec.resize_size)
    val_ds = ImageDataset(split.val, class_names, build_eval_transform(spec), spec.resize_size)
    counts = Counter(s.label for s in split.train)
    missing = [c for c in class_names if counts[c] == 0]
    if missing:
        raise DatasetError(f"No training photos left for {missing}: add photos or lower val_fraction.")
    class_weight = torch.tensor([len(split.train) / (n_classes * counts[c]) for c in class_names], dtype=torch.float32)
    g = torch.Generator().manual_seed(cfg.seed)
    dist_sampler = None
    if world > 1:
        from torch.utils.data.distributed import DistributedSampler

        if cfg.balance == "sampler":
            dist_sampler = DistributedWeightedSampler([1.0 / counts[s.label] for s in split.train], len(split.train), rank,
                                                      world, cfg.seed)
        else:
            dist_sampler = DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True, seed=cfg.seed)
        train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=dist_sampler, num_workers=0)
    elif cfg.balance == "sampler":
        weights = [1.0 / counts[s.label] for s in split.train]
        sampler = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True, generator=g)
        train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, sampler=sampler, num_workers=0)
    else:
        train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, generator=g, num_workers=0)
    val_loader = DataLoader(val_ds, batch_size=64, shuffle=False, num_workers=0)
    criterion = nn.CrossEntropyLoss(
        weight=class_weight if cfg.balance == "loss" else None, label_smoothing=cfg.label_smoothing
    )
    core = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)  # gradients all-reduced: every rank keeps the same weights
        model.get_classifier = core.get_classifier
        model._frozen_backbone = getattr(core, "_frozen_backbone", False)
    optimizer = build_optimizer(core, cfg)
    steps_per_epoch = len(train_loader)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _lr_lambda(cfg.epochs * steps_per_epoch, int(cfg.warmup_epochs * steps_per_epoch))
    )

    if main:  # only rank 0 writes
        (out / "config.json").write_text(json.dumps({**cfg.to_dict(), "world_size": world}, indent=2))
        write_split(out / "split.json", split, class_names)
    start_epoch, best, stale = 0, -1.0, 0
    last_path, best_path = out / "last.pt", out / "best.pt"
    if resume and last_path.exists():
        state = load_checkpoint(last_path)
        core.load_state_dict(state["state_dict"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best, stale = state["epoch"] + 1, state["best"], state["stale"]
        log.info("resumed from epoch %d", state["epoch"])
    meta = {"git": git_revision(), "train_size": len(split.train), "val_size": len(split.val)}
    log_path = out / "log.jsonl"
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.time()
        if dist_sampler is not None:
            dist_sampler.set_epoch(epoch)
        progress = None
        if show_progress and main:
            from tqdm import tqdm

            progress = tqdm(total=len(train_ds), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="img", leave=False)
        stats = train_one_epoch(model, train_loader, optimizer, scheduler, criterion, progress)
        if progress is not None:
            progress.close()
        if world > 1:
            # DDP keeps parameters equal (all-reduced gradients) but each rank's last forward pass
            # updated its own BatchNorm statistics: take rank 0's so evaluation and weights agree.
            import torch.distributed as dist

            for buf in core.buffers():
                dist.broadcast(buf, 0)
        metrics = evaluate(core, val_loader, class_names)  # identical on every rank (same weights, same photos)
        row = {"epoch": epoch + 1, **stats, **{k: v for k, v in metrics.items() if not k.startswith("_")},
               "lr": optimizer.param_groups[0]["lr"], "seconds": round(time.time() - t0, 1)}
        improved = metrics["val_macro_f1"] > best
        best, stale = (metrics["val_macro_f1"], 0) if improved else (best, stale + 1)
        if main:
            with open(log_path, "a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
            if improved:
                save_checkpoint(best_path, core, cfg, class_names, spec, row, epoch, {"run": meta})
            save_checkpoint(last_path, core, cfg, class_names, spec, row, epoch,
                            {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                             "best": best, "stale": stale, "run": meta})
        if stale >= cfg.patience:
            if main:
                print(f"early stop: no better validation macro-F1 for {cfg.patience} epochs", flush=True)
            break
    if main:
        write_run_record(out, cfg, split, best_path, {"world_size": world})
    if world > 1:
        import torch.distributed as dist

        if os.environ.get("CRAFTVISION_DDP_DIGEST"):  # tests: each rank reports a digest of its weights
            import hashlib

            h = hashlib.sha256(b"".join(v.detach().cpu().numpy().tobytes() for v in core.state_dict().values()))
            (out / f"weights-rank{rank}.sha256").write_text(h.hexdigest())
        dist.barrier()
        dist.destroy_process_group()
    return best_path
