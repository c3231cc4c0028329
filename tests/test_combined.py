"""Tests of combined backbones (craftvision.training.combined)."""

import numpy as np
import pytest
import torch

from craftvision.errors import ConfigError
from craftvision.training.combined import ConcatBackbones, member_names
from craftvision.training.models import create_model

PAIR = "test_efficientnet+test_efficientnet"


def test_member_names():
    """Check that a combined name splits into its members and a plain name is its own member."""
    assert member_names("tf_efficientnet_lite0+tf_efficientnet_lite1") == ["tf_efficientnet_lite0", "tf_efficientnet_lite1"]
    assert member_names("tf_efficientnet_lite0") == ["tf_efficientnet_lite0"]


def test_embedding_is_the_members_embeddings_side_by_side():
    """Check that the pooled embedding of the pair is each member's pooled embedding, concatenated in order."""
    model = create_model(PAIR, 3, pretrained=False).eval()
    assert isinstance(model, ConcatBackbones)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        emb = model.forward_head(model.forward_features(x), pre_logits=True)
        parts = [m.forward_head(m.forward_features(x), pre_logits=True) for m in model.members]
        logits = model(x)
    assert emb.shape == (2, model.num_features) == (2, sum(p.shape[1] for p in parts))
    assert torch.allclose(emb, torch.cat(parts, dim=1), atol=1e-5)
    assert logits.shape == (2, 3)


def test_combined_weights_path_is_refused():
    """Check that a single weights file for a combined backbone is refused, naming the backbone."""
    with pytest.raises(ConfigError, match=r"weights_path cannot be used with the combined backbone 'test_efficientnet\+"):
        create_model(PAIR, 3, pretrained=True, weights_path="x.pth")


def test_head_on_combined_features_exports_to_one_onnx_file(synthetic_data, tmp_path):
    """Check that a head trained on cached member embeddings exports to one ONNX file equal to torch,
    and that the members' caches are reused by a second run."""
    import onnxruntime as ort

    from craftvision.predictor import load_predictor
    from craftvision.training.config import load_config
    from craftvision.training.export import export_onnx
    from craftvision.training.headonly import train_head_only
    from craftvision.training.checkpoint import load_checkpoint, model_from_checkpoint

    torch.manual_seed(0)
    cfg = load_config(None, {"mode": "head", "data.folder": str(synthetic_data), "model.backbone": PAIR,
                             "model.pretrained": False, "model.image_size": 64, "out_dir": str(tmp_path / "run"),
                             "data.group_split": False, "data.max_per_class": 6})
    first = train_head_only(cfg, cache_dir=tmp_path / "cache")
    assert first["embedded_now"] > 0
    assert len(list((tmp_path / "cache").glob("test_efficientnet-v2-*.npz"))) == 2  # one cache per member
    out = tmp_path / "pair.onnx"
    result = export_onnx(tmp_path / "run" / "best.pt", out)  # uncalibrated: T = 1, thresholds marked not fitted
    assert result["parity_max_abs_diff"] < 1e-4
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["image"]  # one session, one input for both backbones
    model = model_from_checkpoint(load_checkpoint(tmp_path / "run" / "best.pt"))
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    got = sess.run(["logits"], {"image": x})[0]
    assert np.allclose(ref, got, atol=1e-4)
    assert load_predictor(out).metadata.backbone == PAIR
