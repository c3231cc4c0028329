"""Tests of training and export: a real round trip train -> export -> onnxruntime equals torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from craftvision.errors import ConfigError, ModelFileError
from craftvision.training.config import load_config

pytestmark = pytest.mark.slow


def test_round_trip_onnxruntime_equals_torch(tiny_run, tiny_model, synthetic_data):
    """Check that onnxruntime on the exported file gives torch's probabilities on real files."""
    import onnxruntime as ort

    from craftvision.images import load_image
    from craftvision.preprocess import PreprocessSpec, preprocess_image
    from craftvision.training.models import ExportWrapper
    from craftvision.training.checkpoint import load_checkpoint, model_from_checkpoint

    ckpt = load_checkpoint(tiny_run / "best.pt")
    spec = PreprocessSpec.from_dict(ckpt["preprocess"])
    files = sorted(synthetic_data.rglob("*.jpg"))[::5]
    x = np.stack([preprocess_image(load_image(f, min_side=spec.resize_size), spec) for f in files])
    with torch.no_grad():
        ref = ExportWrapper(model_from_checkpoint(ckpt)).eval()(torch.from_numpy(x))[0].numpy()
    sess = ort.InferenceSession(str(tiny_model), providers=["CPUExecutionProvider"])
    got = sess.run(["probabilities"], {"image": x})[0]
    assert got.shape == (len(files), 4)
    assert np.allclose(ref, got, atol=1e-5)
    assert (ref.argmax(1) == got.argmax(1)).all()


def test_run_folder_records(tiny_run):
    """Check that a run writes its resolved config, split, per-epoch log and checkpoints."""
    cfg = json.loads((tiny_run / "config.json").read_text())
    assert cfg["model"]["backbone"] == "test_efficientnet" and cfg["finetune"]["epochs"] == 2
    assert load_config(tiny_run / "config.json").to_dict() == cfg  # the saved config reads back as a config file
    rows = [json.loads(line) for line in (tiny_run / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2] and all("val_macro_f1" in r for r in rows)
    record = json.loads((tiny_run / "run.json").read_text())
    assert len(record["dataset_manifest_sha256"]) == 64 and len(record["checkpoint_sha256"]) == 64
    assert record["code_version"] and record["git_revision"]
    split = json.loads((tiny_run / "split.json").read_text())
    assert set(split["class_names"]) == {"carpet", "pottery", "stone", "zellige"}
    paths = {part: {s["path"] for s in split[f"{part}_samples"]} for part in ("train", "val")}
    assert paths["train"] and paths["val"] and not paths["train"] & paths["val"]
    assert all(s["label"] == Path(s["path"]).parent.name for s in split["train_samples"] + split["val_samples"])


def test_checkpoint_is_weights_only_and_ordered(tiny_run):
    """Check the checkpoint loads with weights_only=True and keeps the class order of the logits."""
    ckpt = torch.load(tiny_run / "best.pt", map_location="cpu", weights_only=True)
    assert ckpt["class_names"] == sorted(ckpt["class_names"])
    assert ckpt["preprocess"]["input_size"] == [64, 64] or tuple(ckpt["preprocess"]["input_size"]) == (64, 64)


def test_resume_continues_from_last_epoch(synthetic_data, tmp_path):
    """Check that --resume continues after the last finished epoch instead of starting over."""
    from craftvision.training.train import train

    base = {"data.folder": str(synthetic_data), "model.backbone": "test_efficientnet", "model.pretrained": False,
            "finetune.batch_size": 16, "model.image_size": 48, "out_dir": str(tmp_path), "data.group_split": False,
            "data.max_per_class": 6, "num_threads": 2}
    train(load_config(None, {**base, "finetune.epochs": 1}), show_progress=False)
    train(load_config(None, {**base, "finetune.epochs": 2}), resume=True, show_progress=False)
    epochs = [json.loads(line)["epoch"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert epochs == [1, 2]


def test_config_errors_name_the_close_match(tmp_path):
    """Check that unknown options in YAML or flags are errors suggesting the close match."""
    bad = tmp_path / "r.yaml"
    bad.write_text("data: {folder: x}\nfinetune: {epoch: 3}\n")
    with pytest.raises(ConfigError, match=r"Unknown training option 'epoch' in section 'finetune'.*Did you mean 'epochs'"):
        load_config(bad)
    with pytest.raises(ConfigError, match=r"balance must be"):
        load_config(None, {"data.folder": "x", "finetune.balance": "magic"})


def test_export_refuses_foreign_checkpoint(tmp_path):
    """Check that exporting a file that is not a craftvision checkpoint is a clear error."""
    from craftvision.training.export import export_onnx

    p = tmp_path / "x.pt"
    torch.save({"weights": torch.zeros(1)}, p)
    with pytest.raises(ModelFileError, match=r"lacks 'state_dict'"):
        export_onnx(p, tmp_path / "x.onnx")
