"""Photo-quality hints measured on the image itself: too small, too dark or bright, blurred, product far away."""

from __future__ import annotations

import numpy as np
from PIL import Image

MIN_SIDE = 300
DARK_MEAN = 50
BRIGHT_MEAN = 225
#: Variance of the Laplacian (on a 512-px grayscale copy) under which a photo looks blurred.
BLUR_VARIANCE = 40.0
#: Share of the frame where the class activation map is strong, under which the product looks far away.
SMALL_PRODUCT_SHARE = 0.06


def _laplacian_variance(gray: np.ndarray) -> float:
    g = gray.astype(np.float32)
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())


def measure(image: Image.Image, original_size: tuple[int, int] | None = None, heat: np.ndarray | None = None) -> dict:
    """Measurements of one RGB image (and optionally its class activation map)."""
    w, h = original_size or image.size
    small = image.convert("L")
    small.thumbnail((512, 512))
    gray = np.asarray(small)
    out = {"width": w, "height": h, "brightness": float(gray.mean()), "sharpness": _laplacian_variance(gray)}
    if heat is not None:
        out["product_share"] = product_share(heat)
    return out


def product_share(heat: np.ndarray) -> float:
    """Share of the frame where the class activation map (in [0, 1]) is strong: low when the product is far away."""
    return float((heat >= 0.5).mean())


def hints(m: dict) -> list[tuple[str, dict]]:
    """(hint key, format values) for each problem found; keys are the app's text keys."""
    found = []
    if min(m["width"], m["height"]) < MIN_SIDE:
        found.append(("hint_small", {"w": m["width"], "h": m["height"]}))
    if m["brightness"] < DARK_MEAN:
        found.append(("hint_dark", {}))
    elif m["brightness"] > BRIGHT_MEAN:
        found.append(("hint_bright", {}))
    if m["sharpness"] < BLUR_VARIANCE:
        found.append(("hint_blur", {}))
    if m.get("product_share") is not None and m["product_share"] < SMALL_PRODUCT_SHARE:
        found.append(("hint_far", {}))
    return found
