"""Tests of craftvision.preprocess: one spec, and torch and numpy agreeing on the same files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from craftvision.errors import ConfigError, ImageError
from craftvision.images import load_image
from craftvision.preprocess import PreprocessSpec, preprocess_image
from craftvision.training.transforms import build_eval_transform, build_train_transform


def _lite0_spec():
    return PreprocessSpec.from_timm_config({"input_size": (3, 224, 224), "interpolation": "bicubic",
                                            "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5), "crop_pct": 0.875,
                                            "crop_mode": "center"})


def test_spec_from_timm_config_matches_timm_resize():
    """Check that the spec resizes to floor(224 / 0.875) = 256 then crops 224, as timm does."""
    spec = _lite0_spec()
    assert spec.resize_size == 256 and spec.input_size == (224, 224)
    assert PreprocessSpec.from_dict(spec.to_dict()) == spec


def test_spec_from_dict_refuses_missing_and_unknown_keys():
    """Check that a spec with a missing or unknown key is refused, naming them."""
    d = _lite0_spec().to_dict()
    d.pop("mean")
    d["colour"] = 1
    with pytest.raises(ConfigError, match=r"missing \['mean'\], unknown \['colour'\]"):
        PreprocessSpec.from_dict(d)


def test_numpy_and_torch_eval_transforms_agree(synthetic_data):
    """Check that the serving (numpy) and training (torch) eval preprocessing give the same tensor."""
    import timm

    spec = _lite0_spec()
    torch_tf = build_eval_transform(spec)
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    timm_tf = timm.data.create_transform(**timm.data.resolve_model_data_config(model))
    files = sorted(synthetic_data.rglob("*.jpg"))[::6]
    assert len(files) >= 4
    for f in files:
        img = load_image(f, min_side=spec.resize_size)
        a = preprocess_image(img, spec)
        b = torch_tf(img).numpy()
        c = timm_tf(img).numpy()
        assert a.shape == b.shape == (3, 224, 224)
        assert np.allclose(a, b, atol=1e-6), f"{f.name}: max diff {np.abs(a - b).max()}"
        assert np.allclose(a, c, atol=1e-6), f"{f.name}: differs from timm's own eval transform"


def test_odd_sizes_agree_too():
    """Check agreement on landscape, portrait and tiny images (rounding of resize and crop)."""
    spec = _lite0_spec()
    tf = build_eval_transform(spec)
    rng = np.random.default_rng(0)
    for size in [(641, 480), (333, 777), (1, 1), (300, 256)]:
        img = load_image(__import__("PIL.Image", fromlist=["Image"]).fromarray(
            rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)))
        assert np.allclose(preprocess_image(img, spec), tf(img).numpy(), atol=1e-6), size


def test_extreme_aspect_ratio_is_a_clear_error():
    """Check that a 20000 x 20 strip is refused instead of resized to hundreds of megapixels."""
    from PIL import Image

    with pytest.raises(ImageError, match=r"20000 x 20 pixels: too elongated"):
        preprocess_image(Image.new("RGB", (20000, 20)), _lite0_spec(), "strip.png")


def test_train_transform_shape_and_randomness(synthetic_data):
    """Check that the training transform yields the spec's size and differs between draws."""
    spec = _lite0_spec()
    tf = build_train_transform(spec)
    img = load_image(next(synthetic_data.rglob("*.jpg")))
    torch.manual_seed(0)
    a, b = tf(img), tf(img)
    assert a.shape == (3, 224, 224) and not torch.equal(a, b)


@pytest.mark.parametrize("mean,std", [((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
                                      ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
def test_normalize_table_equals_arithmetic_bit_for_bit(mean, std):
    from craftvision.preprocess import normalize_array

    spec = PreprocessSpec((7, 5), 8, "bicubic", mean, std)
    rgb = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    rgb[0, 0], rgb[-1, -1] = 0, 255
    x = rgb.astype(np.float32) / np.float32(255.0)
    expected = ((x - np.asarray(mean, dtype=np.float32)) / np.asarray(std, dtype=np.float32)).transpose(2, 0, 1)
    got = normalize_array(rgb, spec)
    assert got.shape == (3, 7, 5) and got.dtype == np.float32 and got.flags.c_contiguous
    assert np.array_equal(got, expected)
