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


def test_bench_contender_must_name_a_model_file(tmp_path):
    """Check that a bench contender without TAG= or with a missing file exits 2 with one clear line."""
    r = run("bench", "--contender", str(tmp_path / "missing.onnx"), "--out", str(tmp_path / "b"))
    assert r.returncode == 2 and "--contender expects TAG=MODEL.onnx with an existing file" in r.stderr
    assert "Traceback" not in r.stderr
