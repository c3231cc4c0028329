"""Checkpoints: weights with everything needed to rebuild, export and trace them; tensors and plain data only."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from .. import __version__
from ..errors import ModelFileError
from ..preprocess import PreprocessSpec
from .config import RunConfig
from .models import create_model

FORMAT = "craftvision-checkpoint/1"


def save_checkpoint(path: Path, model: nn.Module, cfg: RunConfig, class_names, spec: PreprocessSpec, metrics: dict,
                    epoch: int, extra: dict | None = None) -> Path:
    """Save weights with everything needed to rebuild and export them; written atomically.

    The file holds only tensors, numbers, strings, lists and dicts, so it loads with
    ``torch.load(..., weights_only=True)`` (nothing is unpickled).
    """
    payload = {
        "format": FORMAT,
        "state_dict": model.state_dict(),
        "backbone": cfg.model.backbone,
        "class_names": list(class_names),
        "preprocess": spec.to_dict(),
        "config": cfg.to_dict(),
        "metrics": {k: v for k, v in metrics.items() if not k.startswith("_")},
        "epoch": epoch,
        "craftvision_version": __version__,
    }
    payload.update(extra or {})
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by `save_checkpoint` (``weights_only=True``)."""
    try:
        ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelFileError(f"The checkpoint '{path}' does not exist: give the best.pt of a training run.") from None
    except Exception as exc:
        raise ModelFileError(f"The checkpoint '{path}' could not be read: {exc}") from None
    for key in ("state_dict", "backbone", "class_names", "preprocess"):
        if key not in ckpt:
            raise ModelFileError(f"The checkpoint '{path}' lacks {key!r}: it was not written by craftvision train.")
    return ckpt


def model_from_checkpoint(ckpt: dict) -> nn.Module:
    """The network of a checkpoint, in eval mode."""
    model = create_model(ckpt["backbone"], len(ckpt["class_names"]), pretrained=False)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model
