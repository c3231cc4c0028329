"""Tests of craftvision.quality: the photo-quality hints measured on the image (and the class map)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from craftvision.quality import SMALL_PRODUCT_SHARE, hints, measure, product_share


def _keys(m):
    return [k for k, _ in hints(m)]


def _textured(w, h, level=128, seed=0):
    rng = np.random.default_rng(seed)
    pixels = np.clip(level + rng.normal(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def test_a_sharp_well_lit_large_photo_has_no_hint():
    """Check that a large, textured, mid-grey photo gets no hint."""
    assert _keys(measure(_textured(800, 600))) == []


def test_small_dark_bright_and_blurred_photos_are_named():
    """Check each hint on a photo made to have that one problem (size as encoded, not as decoded)."""
    m = measure(_textured(800, 600), original_size=(200, 150))
    assert hints(m)[0] == ("hint_small", {"w": 200, "h": 150})
    assert _keys(measure(_textured(800, 600, level=20))) == ["hint_dark"]
    assert _keys(measure(_textured(800, 600, level=240))) == ["hint_bright"]
    flat = Image.new("RGB", (800, 600), (120, 110, 100))
    assert _keys(measure(flat)) == ["hint_blur"]


def test_a_product_that_fills_little_of_the_frame_gets_the_far_away_hint():
    """Check the far-away hint from the class map: a strong area under the share limit triggers it, a large one does not."""
    photo = _textured(800, 600)
    far = np.zeros((288, 288), np.float32)
    far[:40, :40] = 1.0  # 1.9% of the frame
    near = np.zeros((288, 288), np.float32)
    near[:144, :] = 0.8  # half the frame
    assert product_share(far) < SMALL_PRODUCT_SHARE < product_share(near)
    assert _keys(measure(photo, heat=far)) == ["hint_far"]
    assert _keys(measure(photo, heat=near)) == []
    assert "hint_far" not in _keys(measure(photo))  # no map, no guess
