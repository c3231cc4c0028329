"""Tests of craftvision.images: every mode to RGB, EXIF orientation, reduced decode, bad input."""

from __future__ import annotations

import io
import os
import sys

import numpy as np
import pytest
from PIL import Image

from craftvision.errors import ImageError
from craftvision.images import load_image


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _rgb(size=(40, 30), color=(200, 30, 30)):
    return Image.new("RGB", size, color)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"])
def test_formats_decode_to_rgb(fmt):
    """Check that each supported format decodes to an RGB image of the same size."""
    im = load_image(_encode(_rgb(), fmt))
    assert im.mode == "RGB" and im.size == (40, 30)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGBA", "CMYK", "I;16", "I", "F"])
def test_every_mode_becomes_rgb(mode):
    """Check that every Pillow mode is converted to 8-bit RGB."""
    src = _rgb().convert(mode) if mode not in ("I;16", "I", "F") else Image.fromarray(
        (np.linspace(0, 1, 1200).reshape(30, 40) * {"I;16": 65535, "I": 65535, "F": 1.0}[mode]).astype(
            {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]))
    out = load_image(src)
    assert out.mode == "RGB" and out.size == (40, 30)
    arr = np.asarray(out)
    if mode in ("I;16", "I", "F"):  # a 0..max ramp keeps its range in 8 bits
        assert arr.min() <= 5 and arr.max() >= 250


def test_transparency_is_composited_on_white():
    """Check that fully transparent pixels (RGBA, LA and palette) become white."""
    rgba = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    assert np.asarray(load_image(rgba))[0, 0].tolist() == [255, 255, 255]
    p = Image.new("P", (10, 10), 0)
    p.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    p.info["transparency"] = 0
    data = _encode(p, "PNG", transparency=0)
    assert np.asarray(load_image(data))[0, 0].tolist() == [255, 255, 255]


def test_sixteen_bit_png_and_cmyk_jpeg():
    """Check that a 16-bit grayscale PNG and a CMYK JPEG decode to sensible RGB."""
    arr = np.full((20, 20), 65535, dtype=np.uint16)
    out = load_image(_encode(Image.fromarray(arr), "PNG"))
    assert np.asarray(out).min() >= 250
    cmyk = _encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG")
    r, g, b = np.asarray(load_image(cmyk))[10, 10]
    assert r > 200 and g < 60 and b < 60


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation):
    """Check that each of the 8 EXIF orientations is undone (a 40x20 marker image comes back upright)."""
    upright = Image.new("RGB", (40, 20), (0, 0, 255))
    upright.paste((255, 0, 0), (0, 0, 10, 10))  # red square at top-left
    inverse = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
               7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}[orientation]
    stored = upright.transpose(inverse) if inverse is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(_encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert out.size == (40, 20)
    r, g, b = np.asarray(out)[2, 2]
    assert r > 200 and b < 60


def test_large_jpeg_is_decoded_at_reduced_size():
    """Check that draft decoding shrinks a large JPEG but never below min_side."""
    data = _encode(Image.new("RGB", (2000, 1500), (10, 120, 10)), "JPEG")
    out = load_image(data, min_side=256)
    assert min(out.size) >= 256 and out.size[0] < 2000
    assert load_image(data).size == (2000, 1500)


def _photo_like(w: int, h: int) -> Image.Image:
    rng = np.random.default_rng(0)
    small = Image.fromarray(rng.integers(0, 255, (h // 40, w // 40, 3), dtype=np.uint8)).resize((w, h))
    return small


@pytest.mark.parametrize("orientation,size,min_side", [
    (1, (1600, 1200), 300), (3, (1600, 1200), 300), (6, (1600, 1200), 300), (8, (1600, 1200), 300),
    (5, (1600, 1200), 300),
    (1, (1200, 900), 329),   # libjpeg alone would pick 3/8 here; Pillow's draft 1/2
    (1, (640, 480), 64), (1, (500, 200), 64), (1, (4000, 3000), 329), (1, (1001, 999), 100),
])
def test_fast_jpeg_path_equals_pillow_draft(orientation, size, min_side, monkeypatch):
    """The simplejpeg fast path gives Pillow's draft pixels exactly, at the same scale, orientation applied."""
    from craftvision import images

    stored = _photo_like(*size)
    stored.paste((255, 0, 0), (0, 0, size[0] // 8, size[1] // 8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(stored, "JPEG", quality=90, exif=exif.tobytes())
    header = Image.open(io.BytesIO(data))
    scale = images._draft_scale(*size, min_side)
    assert scale >= 2 and images._decode_jpeg_scaled(data, header, scale) is not None  # the fast path is taken
    fast = load_image(data, min_side=min_side)
    monkeypatch.setitem(sys.modules, "simplejpeg", None)  # import fails: Pillow path
    assert images._decode_jpeg_scaled(data, header, scale) is None
    slow = load_image(data, min_side=min_side)
    assert fast.size == slow.size and min(fast.size) >= min_side and max(fast.size) < max(size)
    assert np.array_equal(np.asarray(fast), np.asarray(slow))


def test_fast_jpeg_path_falls_back_on_damage():
    """A truncated or corrupted large JPEG gets Pillow's clear error or its decode, never a crash."""
    data = _encode(_photo_like(1600, 1200), "JPEG", quality=90)
    with pytest.raises(ImageError, match="truncated"):
        load_image(data[: len(data) // 2], min_side=300)
    rng = np.random.default_rng(1)
    for _ in range(30):
        bad = bytearray(data)
        for pos in rng.integers(600, len(bad), 8):
            bad[pos] = int(rng.integers(0, 256))
        try:
            out = load_image(bytes(bad), min_side=300)
            assert out.mode == "RGB" and min(out.size) >= 300
        except ImageError as exc:
            assert "could not be decoded" in str(exc)


def test_animated_gif_gives_first_frame():
    """Check that an animated GIF decodes to its first frame."""
    frames = [Image.new("RGB", (10, 10), c) for c in [(255, 0, 0), (0, 255, 0)]]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    r, g, _ = np.asarray(load_image(buf.getvalue()))[5, 5]
    assert r > 200 and g < 60


def test_bad_inputs_raise_clear_errors(tmp_path):
    """Check that empty, truncated, non-image, folder and missing inputs raise ImageError naming the file."""
    with pytest.raises(ImageError, match=r"'empty.jpg' is empty \(0 bytes\)"):
        (tmp_path / "empty.jpg").write_bytes(b"")
        load_image(tmp_path / "empty.jpg")
    jpeg = _encode(Image.effect_noise((200, 200), 40).convert("RGB"), "JPEG")
    (tmp_path / "cut.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    with pytest.raises(ImageError, match=r"'cut.jpg' could not be decoded: the file is truncated"):
        load_image(tmp_path / "cut.jpg")
    png = _encode(Image.effect_noise((200, 200), 40).convert("RGB"), "PNG")
    with pytest.raises(ImageError, match=r"could not be decoded"):
        load_image(png[: len(png) // 2], name="cut.png")
    with pytest.raises(ImageError, match=r"'noise.jpg' could not be decoded: it is not a JPEG"):
        load_image(os.urandom(2048), name="noise.jpg")
    with pytest.raises(ImageError, match=r"SVG drawing"):
        load_image(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', name="x.jpg")
    with pytest.raises(ImageError, match=r"HTML page"):
        load_image(b"<!DOCTYPE html><html></html>", name="x.jpg")
    with pytest.raises(ImageError, match=r"ZIP archive"):
        load_image(b"PK\x03\x04" + b"\0" * 100, name="x.jpg")
    with pytest.raises(ImageError, match=r"is a folder"):
        load_image(tmp_path)
    with pytest.raises(ImageError, match=r"does not exist"):
        load_image(tmp_path / "nope.jpg")


def test_decompression_bomb_is_refused():
    """Check that a small file declaring a huge picture is refused before decoding."""
    data = _encode(Image.new("L", (12000, 12000), 0), "PNG")
    assert len(data) < 1_000_000
    with pytest.raises(ImageError, match=r"12000 x 12000 = 144,000,000 pixels, more than the limit"):
        load_image(data, name="bomb.png")


def test_size_limit_in_bytes():
    """Check that an encoded file over max_bytes is refused with the limit in the message."""
    with pytest.raises(ImageError, match=r"more than the 0 MB limit"):
        load_image(b"\xff" * 2000, name="big.jpg", max_bytes=1000)
