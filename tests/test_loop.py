"""The ML engineer's loop on generated data: review export -> import -> head-only retrain -> compare -> promote."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_review_export_to_promoted_model(tiny_model, synthetic_data, tmp_path):
    """Check the scripted loop end to end, with a refusal of a worse model and a recorded promotion."""
    from craftvision.datacheck import import_review
    from craftvision.predictor import load_predictor
    from craftvision.review import ReviewStore
    from craftvision.training.compare import compare_models, promote
    from craftvision.training.config import load_config
    from craftvision.training.export import export_onnx
    from craftvision.training.train import train

    # 1. customs staff review a few submissions and correct one
    store = ReviewStore(tmp_path / "store")
    store.add_user("rev", "a long password 1")
    predictor = load_predictor(tiny_model)
    photos = sorted((synthetic_data / "stone").iterdir())[:3]
    for p in photos:
        pred = predictor.predict(p).to_dict()
        store.create_submission([(p.name, p.read_bytes())], pred, category="stone")
    for i, q in enumerate(store.queue()):
        if i == 0:
            store.add_decision(q["id"], "correct", "rev", predictor.version, "zellige", "6907.30", "mosaic panel")
        else:
            store.add_decision(q["id"], "confirm", "rev", predictor.version)
    export = store.export_dataset(tmp_path / "export")
    assert export["photos"] == 3

    # 2. fold the export into a copy of the training data (duplicates of photos already there are skipped)
    dataset = tmp_path / "dataset"
    shutil.copytree(synthetic_data, dataset)
    added = import_review(tmp_path / "export", dataset)
    assert added["skipped_duplicates"] == 3 and added["added_total"] == 0  # the reviewed photos came from the dataset
    fresh = tmp_path / "fresh_export"
    (fresh / "zellige").mkdir(parents=True)
    from craftvision.synthetic import make_image

    make_image("zellige", 424242, 96).save(fresh / "zellige" / "new.jpg")
    (fresh / "manifest.csv").write_text("file,class,hs_code,source,reviewer,decided_at,action,sha256\n"
                                        "zellige/new.jpg,zellige,6907.30,review:abc,rev,2026-12-01T10:00:00Z,correct,x\n")
    added = import_review(fresh, dataset)
    assert added == {"added": {"zellige": 1}, "added_total": 1, "skipped_duplicates": 0}
    manifest = (dataset / "manifest.csv").read_text()
    assert "rev" in manifest and "2026-12-01T10:00:00Z" in manifest

    # 3. retrain the head on cached embeddings (a second run embeds nothing new)
    cfg = load_config(None, {"mode": "head", "data.folder": str(dataset), "model.backbone": "test_efficientnet",
                             "model.pretrained": False, "model.image_size": 64, "out_dir": str(tmp_path / "run"),
                             "data.group_split": False})
    first = train(cfg, cache_dir=tmp_path / "cache")
    second = train(cfg, cache_dir=tmp_path / "cache")
    assert first["embedded_now"] > 0 and second["embedded_now"] == 0
    assert (tmp_path / "run" / "head_only.json").exists() and (tmp_path / "run" / "config.json").exists()

    # 4. compare on the same split, then promote (or refuse)
    new_model = tmp_path / "new.onnx"
    export_onnx(tmp_path / "run" / "best.pt", new_model)
    split = tmp_path / "run" / "split.json"
    current = tmp_path / "models" / "craftvision.onnx"
    current.parent.mkdir()
    shutil.copy(new_model, current)
    shutil.copy(str(new_model) + ".sha256", str(current) + ".sha256")
    cmp = compare_models(current, new_model, split)
    assert cmp["verdict"] == "equivalent" and "| macro-F1 |" in cmp["markdown"]
    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "evaluate", "--compare", str(current), str(new_model),
                        "--split", str(split), "--out", str(tmp_path / "cmp")], capture_output=True, text=True)
    assert r.returncode == 0 and "Verdict" in r.stdout
    result = promote(new_model, split, current=current, reason="adds customs corrections")
    assert result["promoted"] and "adds customs corrections" in (current.parent / "MODEL_CARD.md").read_text()
    assert (current.parent / "SHA256SUMS").exists()

    # a clearly worse model (random head) is refused unless forced
    worse = tmp_path / "worse.pt"
    import torch

    ckpt = torch.load(tmp_path / "run" / "best.pt", weights_only=True)
    w = [k for k in ckpt["state_dict"] if k.endswith("classifier.weight")][0]
    b = [k for k in ckpt["state_dict"] if k.endswith("classifier.bias")][0]
    ckpt["state_dict"][w] = torch.zeros_like(ckpt["state_dict"][w])
    ckpt["state_dict"][b] = torch.tensor([10.0] + [0.0] * (len(ckpt["state_dict"][b]) - 1))  # always the first class
    torch.save(ckpt, worse)
    export_onnx(worse, tmp_path / "worse.onnx")
    refused = promote(tmp_path / "worse.onnx", split, current=current)
    assert not refused["promoted"] and "refused" in refused["message"]
    assert promote(tmp_path / "worse.onnx", split, current=current, force=True, reason="test")["promoted"]
