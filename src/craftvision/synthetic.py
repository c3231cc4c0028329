"""Procedural craft-like images for tests, demos and benchmarks: no photos, no network.

Each class has its own drawing: star-and-polygon tilings (zellige), banded and diamond rugs
(carpet), vase silhouettes (pottery), veined stone. They are not photos of crafts and a model
trained on them knows nothing about real products; they exercise the code paths end to end.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ("carpet", "pottery", "stone", "zellige")


def _palette(rng, n):
    return [tuple(int(v) for v in rng.integers(20, 235, 3)) for _ in range(n)]


def zellige(rng, size: int) -> Image.Image:
    im = Image.new("RGB", (size, size), (240, 235, 220))
    d = ImageDraw.Draw(im)
    cols = _palette(rng, 4)
    step = max(8, size // int(rng.integers(3, 7)))
    for y in range(0, size + step, step):
        for x in range(0, size + step, step):
            c = cols[(x // step + y // step) % len(cols)]
            pts = []
            for k in range(16):  # an 8-pointed star
                r = step * (0.5 if k % 2 == 0 else 0.25)
                a = k * math.pi / 8
                pts.append((x + r * math.cos(a), y + r * math.sin(a)))
            d.polygon(pts, fill=c, outline=(250, 250, 250))
    return im


def carpet(rng, size: int) -> Image.Image:
    base = _palette(rng, 3)
    im = Image.new("RGB", (size, size), base[0])
    d = ImageDraw.Draw(im)
    bands = int(rng.integers(4, 9))
    for i in range(bands):
        y0 = i * size // bands
        d.rectangle([0, y0, size, y0 + size // (3 * bands)], fill=base[1])
    cx, cy, r = size / 2, size / 2, size * float(rng.uniform(0.2, 0.4))
    for k in range(3):
        rr = r * (1 - k * 0.3)
        d.polygon([(cx, cy - rr), (cx + rr, cy), (cx, cy + rr), (cx - rr, cy)], outline=base[2], fill=base[k % 3])
    arr = np.asarray(im).astype(np.int16) + rng.integers(-12, 12, (size, size, 3))  # pile texture
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def pottery(rng, size: int) -> Image.Image:
    bg = tuple(int(v) for v in rng.integers(180, 250, 3))
    im = Image.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(im)
    body = tuple(int(v) for v in (rng.integers(120, 200), rng.integers(50, 110), rng.integers(20, 70)))
    cx = size / 2
    pts_l, pts_r = [], []
    for i in range(40):  # a vase profile
        t = i / 39
        y = size * (0.15 + 0.75 * t)
        w = size * (0.12 + 0.22 * math.sin(math.pi * t) ** 1.5 + 0.05 * float(rng.uniform()))
        pts_l.append((cx - w, y))
        pts_r.append((cx + w, y))
    d.polygon(pts_l + pts_r[::-1], fill=body)
    d.line([(cx - size * 0.2, size * 0.5), (cx + size * 0.2, size * 0.5)], fill=(30, 60, 140), width=max(1, size // 40))
    return im


def stone(rng, size: int) -> Image.Image:
    base = rng.integers(170, 240)
    arr = np.full((size, size, 3), base, dtype=np.float32)
    arr += rng.normal(0, 6, (size, size, 1))
    yy, xx = np.mgrid[0:size, 0:size] / size
    for _ in range(int(rng.integers(3, 7))):  # veins
        a, b, ph = rng.uniform(-3, 3), rng.uniform(2, 8), rng.uniform(0, 6.28)
        vein = np.abs(np.sin(b * (xx + a * yy) + ph + 0.5 * np.sin(9 * yy)))
        arr -= (vein < 0.05)[..., None] * rng.uniform(40, 90)
    im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return im.filter(ImageFilter.GaussianBlur(0.6))


DRAW = {"zellige": zellige, "carpet": carpet, "pottery": pottery, "stone": stone}


def make_image(label: str, seed: int, size: int = 96) -> Image.Image:
    """One generated image of `label` (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    return DRAW[label](rng, size)


def make_dataset(root: str | Path, per_class: int = 12, size: int = 96, classes=CLASSES, seed: int = 0) -> Path:
    """Write an ImageFolder tree of generated JPEGs: ``root/<class>/<class>_<i>.jpg``."""
    root = Path(root)
    for ci, label in enumerate(classes):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            make_image(label, seed * 100_000 + ci * 1000 + i, size).save(root / label / f"{label}_{i:03d}.jpg", quality=92)
    return root


def make_large_jpeg(path: str | Path, seed: int = 0, width: int = 4000, height: int = 3000, quality: int = 90) -> Path:
    """A 12-megapixel JPEG (4000 x 3000 by default) like a phone photo, for benchmarks."""
    small = make_image(CLASSES[seed % len(CLASSES)], seed, 400).resize((width, height), Image.Resampling.BICUBIC)
    rng = np.random.default_rng(seed)
    noise = rng.integers(-6, 7, (height, width, 1), dtype=np.int16)  # sensor-like noise keeps it photo-sized
    arr = np.clip(np.asarray(small, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    Image.fromarray(arr).save(path, quality=quality)
    return Path(path)
