"""Tests of craftvision.training.models: offline ImageNet weights mapped onto timm backbones."""

from __future__ import annotations

import pytest
import torch

from craftvision.errors import ConfigError, ModelFileError
from craftvision.training.models import ExportWrapper, create_model, offline_weights_path, resolve_preprocess_spec


def test_lite0_loads_offline_imagenet_weights():
    """Check that every backbone tensor of tf_efficientnet_lite0 comes from the offline package."""
    sd = torch.load(offline_weights_path("tf_efficientnet_lite0"), map_location="cpu", weights_only=True)
    model = create_model("tf_efficientnet_lite0", 5)
    msd = model.state_dict()
    src = list(sd.values())
    for i, (k, v) in enumerate(msd.items()):
        if "classifier" in k:
            continue
        assert torch.equal(v, src[i]), k
    assert model.get_classifier().out_features == 5


def test_imagenet_head_kept_for_1000_classes():
    """Check that with 1000 classes the ImageNet classifier is loaded too."""
    sd = torch.load(offline_weights_path("tf_efficientnet_lite0"), map_location="cpu", weights_only=True)
    model = create_model("tf_efficientnet_lite0", 1000)
    assert torch.equal(model.get_classifier().weight, list(sd.values())[-2])


def test_lite0_data_config_is_timms_default():
    """Check the preprocessing resolved for lite0: 224 crop, bicubic, mean = std = 0.5."""
    spec = resolve_preprocess_spec(create_model("tf_efficientnet_lite0", 3, pretrained=False))
    assert spec.input_size == (224, 224) and spec.mean == (0.5, 0.5, 0.5) and spec.std == (0.5, 0.5, 0.5)


def test_unknown_backbone_and_mismatched_weights(tmp_path):
    """Check that an unknown name and a weights file of another model are clear errors."""
    with pytest.raises(ConfigError, match=r"Unknown timm backbone 'no_such_net'"):
        create_model("no_such_net", 3)
    wrong = tmp_path / "w.pth"
    torch.save(create_model("test_efficientnet", 10, pretrained=False).state_dict(), wrong)
    with pytest.raises(ModelFileError, match=r"do not belong together|do not match"):
        create_model("tf_efficientnet_lite0", 3, weights_path=wrong)


def test_other_backbone_without_weights_warns():
    """Check that a backbone with no offline weights starts from random init with a warning."""
    with pytest.warns(UserWarning, match=r"random weights"):
        create_model("test_efficientnet", 3)


def test_export_wrapper_outputs():
    """Check the wrapper's outputs: probabilities sum to 1, class maps per class."""
    model = create_model("test_efficientnet", 4, pretrained=False).eval()
    probs, logits, emb, maps = ExportWrapper(model, 2.0)(torch.randn(2, 3, 64, 64))
    assert probs.shape == (2, 4) and torch.allclose(probs.sum(1), torch.ones(2))
    assert torch.allclose(probs, torch.softmax(logits / 2.0, 1), atol=1e-6)
    assert maps.shape[:2] == (2, 4) and emb.shape[0] == 2
