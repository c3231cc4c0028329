"""Shared fixtures: generated images and a tiny model trained and exported once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("CRAFTVISION_TEST", "1")


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory) -> Path:
    """An ImageFolder of generated craft-like JPEGs (4 classes x 12)."""
    from craftvision.synthetic import make_dataset

    return make_dataset(tmp_path_factory.mktemp("synthetic") / "data", per_class=12, size=96)


@pytest.fixture(scope="session")
def tiny_run(synthetic_data, tmp_path_factory) -> Path:
    """A tiny timm backbone (random init, 64 px) trained for 2 epochs on the generated data."""
    from craftvision.training.config import load_config
    from craftvision.training.train import train

    out = tmp_path_factory.mktemp("run")
    cfg = load_config(None, {"data.folder": str(synthetic_data), "model.backbone": "test_efficientnet",
                             "model.pretrained": False, "finetune.epochs": 2, "finetune.batch_size": 8,
                             "model.image_size": 64, "out_dir": str(out), "data.group_split": False,
                             "finetune.warmup_epochs": 0.5, "num_threads": 2})
    train(cfg, show_progress=False)
    return out


def start_app(model_path: Path, data_dir: Path, reviewer: tuple[str, str] | None = None, **limits):
    """Launch the app on a free loopback port; returns (url, store, demo)."""
    import socket

    from craftvision.predictor import load_predictor
    from craftvision.review import ReviewStore
    from craftvision.taxonomy import load_taxonomy
    from craftvision_app import build_app, launch_app

    store = ReviewStore(data_dir)
    if reviewer:
        store.add_user(*reviewer)
    demo = build_app(load_predictor(model_path), store, load_taxonomy(), **limits)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch_app(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True, **(
        {"max_photo_mb": limits["max_photo_mb"]} if "max_photo_mb" in limits else {}))
    return f"http://127.0.0.1:{port}/", store, demo


@pytest.fixture(scope="session")
def tiny_model(tiny_run, tmp_path_factory) -> Path:
    """The tiny run exported to ONNX (with its parity check and checksum)."""
    from craftvision.training.export import export_onnx

    out = tmp_path_factory.mktemp("model") / "tiny.onnx"
    export_onnx(tiny_run / "best.pt", out)
    return out


def _hypothesis_profiles():
    """`HYPOTHESIS_PROFILE=nightly` runs the fuzz tests far longer than the bounded CI run."""
    from hypothesis import settings

    settings.register_profile("ci", max_examples=150, deadline=None)
    settings.register_profile("nightly", max_examples=20000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()
