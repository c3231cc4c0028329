"""Tests of the craftvision command line: outputs, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args, check=False):
    return subprocess.run([sys.executable, "-m", "craftvision.cli", *args], capture_output=True, text=True,
                          check=check, stdin=subprocess.DEVNULL)


def test_hs_suggest_carpet_wool():
    """Check the documented `hs suggest` example prints 5701.10 and its description."""
    r = run("hs", "suggest", "carpet", "--answer", "construction=knotted", "--answer", "fibre=wool")
    assert r.returncode == 0, r.stderr
    assert "HS 5701.10  Carpets and other textile floor coverings; knotted, of wool" in r.stdout
    assert "confirmed by customs" in r.stdout


def test_hs_suggest_without_answers_shows_candidates_and_first_question():
    """Check that without answers the headings, candidates and first question are printed."""
    r = run("hs", "suggest", "carpet", "--lang", "fr")
    assert r.returncode == 0
    assert "57.01" in r.stdout and "57.02" in r.stdout and "Next question (construction)" in r.stdout
    assert "Comment est-il fabriqué" in r.stdout


def test_hs_lookup_old_and_unknown_codes():
    """Check lookup of an HS 2012 code (candidates listed) and of a non-existent code (exit 2, no traceback)."""
    r = run("hs", "lookup", "6908.10")
    assert r.returncode == 0 and "HS 2012" in r.stdout and "6907.30" in r.stdout
    r = run("hs", "lookup", "9999.99")
    assert r.returncode == 2 and "does not exist in HS 2022" in r.stderr and "Traceback" not in r.stderr


def test_bad_answer_is_a_clear_error():
    """Check that a wrong answer exits 2 and lists the valid answers."""
    r = run("hs", "suggest", "carpet", "--answer", "construction=glued")
    assert r.returncode == 2 and "valid answers: knotted, flat_woven" in r.stderr


def test_predict_json_and_errors(tiny_model, synthetic_data, tmp_path):
    """Check `predict --format json` on a folder with one corrupt file: one JSON line each, error on stderr."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for f in sorted((synthetic_data / "carpet").iterdir())[:3]:
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    r = run("predict", str(folder), "--model", str(tiny_model), "--format", "json", "--top-k", "2")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0 and len(lines) == 4
    assert sum("error" in line for line in lines) == 1 and "broken.jpg" in r.stderr
    good = [line for line in lines if "error" not in line]
    assert all(len(g["categories"]) == 2 and g["hs"] is not None for g in good)


def _copy(src, dst):
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    return dst


def test_predict_nested_folders_names_each_photo_by_its_relative_path(tiny_model, synthetic_data, tmp_path):
    """Check that two photos with the same file name in different sub-folders print their paths relative to the folder given."""
    carpet, stone = sorted((synthetic_data / "carpet").iterdir())[0], sorted((synthetic_data / "stone").iterdir())[0]
    _copy(carpet, tmp_path / "photos" / "shop1" / "x.jpg")
    _copy(stone, tmp_path / "photos" / "shop2" / "deeper" / "x.jpg")
    r = run("predict", str(tmp_path / "photos"), "--model", str(tiny_model), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["source"] for line in r.stdout.splitlines()] == ["shop1/x.jpg", "shop2/deeper/x.jpg"]
    r = run("predict", str(tmp_path / "photos"), "--model", str(tiny_model))
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == ["shop1/x.jpg", "shop2/deeper/x.jpg"]


def test_predict_product_prints_one_fused_result(tiny_model, synthetic_data, tmp_path):
    """Check `predict --product a b` in json, csv and table: one fused result naming both photos."""
    a, b = sorted((synthetic_data / "pottery").iterdir())[:2]
    r = run("predict", "--product", str(a), str(b), "--model", str(tiny_model), "--format", "json")
    assert r.returncode == 0, r.stderr
    (line,) = r.stdout.splitlines()
    d = json.loads(line)
    assert d["product"] == "product" and d["decision_rule"] == "product" and len(d["photos"]) == 2
    assert [p["source"] for p in d["photos"]] == [str(a), str(b)] and all("disagrees" in p for p in d["photos"])
    r = run("predict", "--product", str(a), str(b), "--model", str(tiny_model), "--format", "csv", "--top-k", "2")
    rows = r.stdout.splitlines()
    assert len(rows) == 2 and rows[0].endswith("photos,disagreeing_photos") and rows[1].startswith("product,")
    r = run("predict", "--product", str(a), str(b), "--model", str(tiny_model))
    (line,) = r.stdout.splitlines()
    assert line.startswith("product\t") and "2 photos:" in line


def test_predict_product_per_folder(tiny_model, synthetic_data, tmp_path):
    """Check `--product-per-folder`: one result per sub-folder, a loose photo skipped with a note, an unreadable product reported."""
    root = tmp_path / "products"
    for i, f in enumerate(sorted((synthetic_data / "zellige").iterdir())[:3]):
        _copy(f, root / "tile-panel" / f"view-{i}.jpg")
    _copy(sorted((synthetic_data / "carpet").iterdir())[0], root / "rug" / "front.jpg")
    _copy(sorted((synthetic_data / "carpet").iterdir())[1], root / "loose.jpg")
    (root / "broken").mkdir()
    (root / "broken" / "a.jpg").write_bytes(b"not a photo")
    r = run("predict", "--product-per-folder", str(root), "--model", str(tiny_model), "--format", "json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0, r.stderr
    assert [d.get("product") for d in lines if "error" not in d] == ["rug", "tile-panel"]
    assert [len(d["photos"]) for d in lines if "error" not in d] == [1, 3]
    assert lines[0]["error"].startswith("product broken:") and "a.jpg" in lines[0]["error"]
    assert "loose.jpg is not in a product sub-folder" in r.stderr and "Traceback" not in r.stderr
    r = run("predict", "--product-per-folder", str(root / "loose.jpg"), "--model", str(tiny_model))
    assert r.returncode == 2 and "is not a folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1
