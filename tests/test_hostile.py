"""Hostile and odd images: each ends as a prediction or a clear project error, in the predictor, CLI and app.

The corpus is generated here. A bounded fuzz run (hypothesis) feeds mutated image bytes to
load_image and the predictor; any crash it finds becomes a case below.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from craftvision.errors import CraftvisionError, ImageError
from craftvision.images import load_image


def _bytes(im: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def build_corpus(folder: Path) -> dict[str, str]:
    """Write the hostile corpus; returns file name -> expected outcome ("ok" or an error pattern)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    jpeg, png = _bytes(photo, "JPEG"), _bytes(photo, "PNG")
    import pillow_heif

    pillow_heif.register_heif_opener()
    cases = {
        "zero.jpg": (b"", "is empty"),
        "random.jpg": (os.urandom(4096), "could not be decoded"),
        "truncated.jpg": (jpeg[: len(jpeg) // 3], "truncated|could not be decoded"),
        "truncated.png": (png[: len(png) // 3], "could not be decoded"),
        "bomb.png": (_bytes(Image.new("1", (30000, 30000)), "PNG"), "decompression bomb"),
        "one_pixel.png": (_bytes(Image.new("RGB", (1, 1), (9, 9, 9)), "PNG"), "ok"),
        "strip.png": (_bytes(Image.new("RGB", (20000, 20)), "PNG"), "too elongated"),
        "sixteen_bit.png": (_bytes(Image.fromarray((np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)), "PNG"), "ok"),
        "cmyk.jpg": (_bytes(photo.convert("CMYK"), "JPEG"), "ok"),
        "palette_alpha.png": (_bytes(photo.convert("P"), "PNG", transparency=0), "ok"),
        "animated.gif": (None, "ok"),
        "drawing.svg.jpg": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "SVG drawing"),
        "page.jpg": (b"<!DOCTYPE html><html><body>hi</body></html>", "HTML page"),
        "archive.jpg": (None, "ZIP archive"),
        "phone.heic": (_bytes(photo, "HEIF"), "ok"),
        "café_تجربة.jpg": (jpeg, "ok"),
    }
    frames = [photo, photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    cases["animated.gif"] = (buf.getvalue(), "ok")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("a.txt", "hello")
    cases["archive.jpg"] = (zbuf.getvalue(), "ZIP archive")
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        cases[f"exif_{o}.jpg"] = (_bytes(photo, "JPEG", exif=exif.tobytes()), "ok")
    expected = {}
    for name, (data, outcome) in cases.items():
        (folder / name).write_bytes(data)
        expected[name] = outcome
    (folder / "a_folder.jpg").mkdir()
    expected["a_folder.jpg"] = "is a folder"
    return expected


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return folder, build_corpus(folder)


def test_predictor_on_the_hostile_corpus(corpus, tiny_model):
    """Check every hostile file: a prediction or an ImageError with the expected message."""
    from craftvision.predictor import load_predictor

    folder, expected = corpus
    predictor = load_predictor(tiny_model)
    kinds = 0
    for name, outcome in expected.items():
        kinds += 1
        if outcome == "ok":
            pred = predictor.predict(folder / name)
            assert pred.categories and pred.decision, name
        else:
            with pytest.raises(ImageError, match=outcome):
                predictor.predict(folder / name)
    print(f"{kinds} kinds of bad or odd input tried")


def test_unreadable_file(tmp_path):
    """Check that a file without read permission is a clear error (skipped when running as root)."""
    p = tmp_path / "secret.jpg"
    p.write_bytes(_bytes(Image.new("RGB", (8, 8)), "JPEG"))
    p.chmod(0)
    if os.access(p, os.R_OK):
        pytest.skip("running as root: permissions do not apply")
    with pytest.raises(ImageError, match="permission denied"):
        load_image(p)


def test_cli_on_the_hostile_corpus(corpus, tiny_model):
    """Check the CLI over the whole corpus: one JSON line per file, errors named, no traceback, exit 0."""
    folder, expected = corpus
    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "predict", str(folder), "--model", str(tiny_model),
                        "--format", "json"], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in r.stderr and r.returncode == 0
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    n_files = sum(1 for p in folder.iterdir() if p.is_file())
    assert len(lines) == n_files
    assert sum("error" in x for x in lines) == sum(1 for k, v in expected.items() if v != "ok" and k != "a_folder.jpg")


def test_app_on_the_hostile_corpus(corpus, tiny_model, tmp_path):
    """Check the app's analysis: bad photos become messages per photo, good ones predictions."""
    from craftvision.predictor import load_predictor
    from craftvision.review import ReviewStore
    from craftvision.taxonomy import load_taxonomy
    from craftvision_app import CraftApp

    folder, expected = corpus
    app = CraftApp(load_predictor(tiny_model), ReviewStore(tmp_path / "d"), load_taxonomy(), max_photos=50, max_photo_mb=20)
    files = [str(folder / n) for n in expected if n != "a_folder.jpg"]
    result = app.analyse(files, "en")
    by_name = {p["source"]: p for p in result["photos"]}
    for name, outcome in expected.items():
        if name == "a_folder.jpg":
            continue
        if outcome == "ok":
            assert by_name[name]["error"] is None, name
        else:
            assert by_name[name]["error"], name


@settings(suppress_health_check=[HealthCheck.too_slow])  # examples: the "ci" profile (150) or "nightly"
@given(st.binary(max_size=2048), st.integers(0, 4000), st.sampled_from(["JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF"]))
def test_fuzz_load_image(noise, cut, fmt):
    """Check (fuzz) that mutated and truncated images either decode to RGB or raise ImageError."""
    base = _bytes(Image.new("RGB", (48, 32), (10, 200, 30)), fmt)
    data = base[:cut] + noise if cut < len(base) else base + noise
    try:
        im = load_image(data, name="fuzz")
    except ImageError:
        return
    assert im.mode == "RGB" and im.size[0] > 0


@pytest.mark.slow
def test_fuzz_predictor(tiny_model):
    """Check (fuzz, bounded) the predictor on byte-flipped JPEGs: a prediction or a project error."""
    from craftvision.predictor import load_predictor

    predictor = load_predictor(tiny_model)
    rng = np.random.default_rng(1)
    base = bytearray(_bytes(Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)), "JPEG"))
    outcomes = {"ok": 0, "error": 0}
    for _ in range(200):
        data = bytearray(base)
        for pos in rng.integers(0, len(data), 8):
            data[pos] = rng.integers(0, 256)
        try:
            predictor.predict(bytes(data))
            outcomes["ok"] += 1
        except CraftvisionError:
            outcomes["error"] += 1
    print(f"predictor fuzz: 200 mutated JPEGs -> {outcomes}")
    assert sum(outcomes.values()) == 200
