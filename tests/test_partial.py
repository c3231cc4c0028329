"""Partial fine-tuning on cached activations (the shipped model's recipe), on generated data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.slow


def _cfg(data, out, **kw):
    from craftvision.training.config import load_config

    return load_config(None, {"data.folder": str(data), "model.backbone": "test_efficientnet", "model.pretrained": False,
                              "model.image_size": 64, "out_dir": str(out), "data.group_split": False,
                              "partial.batch_size": 8, "num_threads": 2, "model.drop_rate": 0.0, **kw})


def test_cached_activations_give_the_full_model_embedding(synthetic_data, tmp_path):
    """Lower part (cached, float16) + upper part == the whole network's pooled embedding of the eval crop."""
    from craftvision.data import scan_image_folder
    from craftvision.preprocess import preprocess_image
    from craftvision.images import load_image
    from craftvision.training.models import create_model
    from craftvision.training.partial import cache_activations, pooled_embeddings
    from craftvision.training.models import resolve_spec

    samples, names = scan_image_folder(synthetic_data)
    samples = samples[:6]
    model = create_model("test_efficientnet", len(names), pretrained=False).eval()
    spec = resolve_spec(model, _cfg(synthetic_data, tmp_path))
    acts, computed = cache_activations(model, samples, spec, 3, 3, tmp_path / "cache", "t", progress=False)
    assert acts.shape[:2] == (6, 3) and acts.dtype == np.float16 and computed == 6
    again, computed = cache_activations(model, samples, spec, 3, 3, tmp_path / "cache", "t", progress=False)
    assert computed == 0 and np.array_equal(acts, again)
    emb = pooled_embeddings(model, acts[:, :1], 3)[:, 0]
    x = torch.from_numpy(np.stack([preprocess_image(load_image(s.path, min_side=spec.resize_size), spec) for s in samples]))
    with torch.no_grad():
        full = model.forward_head(model.forward_features(x), pre_logits=True).numpy()
    assert np.allclose(emb, full, rtol=1e-2, atol=1e-2)  # float16 cache


def test_partial_finetune_trains_only_the_upper_part_and_exports(synthetic_data, tmp_path):
    from craftvision.training.export import export_onnx
    from craftvision.training.models import create_model
    from craftvision.training.partial import train_partial, wise_interpolate
    from craftvision.training.checkpoint import load_checkpoint
    from craftvision.training.run import seed_everything

    cfg = _cfg(synthetic_data, tmp_path / "run", seed=0, **{"partial.tune_from": 3, "partial.views": 3,
                                                            "partial.epochs": 2, "partial.lr": 1e-2,
                                                            "partial.wise_alpha": 1.0})
    seed_everything(0)
    start = create_model("test_efficientnet", 4, pretrained=False, drop_rate=0.0).state_dict()  # same seed, same init
    result = train_partial(cfg, cache_dir=tmp_path / "cache", show_progress=False)
    assert [h["stage"] for h in result["history"]][:2] == ["linear_probe", "finetune"]
    assert 0.0 <= result["val_top1"] <= 1.0
    tuned = load_checkpoint(tmp_path / "run" / "best.pt")["state_dict"]
    lower = [k for k in tuned if k.startswith(("conv_stem", "blocks.0.", "blocks.1.", "blocks.2."))
             and tuned[k].is_floating_point()]
    upper = [k for k in tuned if k.startswith(("blocks.3.", "blocks.4.", "conv_head")) and k.endswith("weight")]
    assert lower and upper
    assert all(torch.equal(tuned[k], start[k]) for k in lower)
    assert any(not torch.equal(tuned[k], start[k]) for k in upper)

    # WiSE-FT halfway: every float weight is the mean of the start and the tuned one
    half = wise_interpolate(start, tuned, 0.5)
    k = upper[0]
    assert torch.allclose(half[k], (start[k] + tuned[k]) / 2)

    report = export_onnx(tmp_path / "run" / "best.pt", tmp_path / "m.onnx")
    assert report["parity_max_abs_diff"] < 1e-4


def test_recipe_knows_partial_mode(tmp_path):
    from craftvision.errors import ConfigError
    from craftvision.training.recipe import load_recipe

    good = tmp_path / "r.yaml"
    good.write_text("mode: partial\ndata: {folder: x}\npartial: {tune_from: 5, wise_alpha: 0.5}\n")
    recipe = load_recipe(good)
    assert recipe.mode == "partial" and recipe.partial.tune_from == 5
    bad = tmp_path / "b.yaml"
    bad.write_text("mode: partial\ndata: {folder: x}\npartial: {wise_alpa: 0.5}\n")
    with pytest.raises(ConfigError, match="wise_alpha"):
        load_recipe(bad)
