"""Tests that every command turns a user's bad input into one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from craftvision.cli import main


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    """A folder with the usual kinds of bad input: broken JSON, broken YAML, a tiny photo folder."""
    d = tmp_path_factory.mktemp("bad")
    (d / "broken.json").write_text('{"val_files": [', encoding="utf-8")
    (d / "broken.yaml").write_text("train:\n  data: [unclosed\n", encoding="utf-8")
    (d / "sections.yaml").write_text("trian:\n  data: x\n", encoding="utf-8")
    (d / "not_a_model.onnx").write_bytes(b"not an onnx file")
    photos = d / "photos" / "carpet"
    photos.mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (64, 64), "red").save(photos / "a.jpg")
    return d


#: (command line, a word the message must contain); {d} is the folder of bad files.
CASES = [
    ("predict {d}/missing.jpg --model {d}/missing.onnx", "missing.onnx"),
    ("predict {d}/photos --model {d}/not_a_model.onnx", "not_a_model.onnx"),
    ("predict {d}/photos --answer construction", "QUESTION=OPTION"),
    ("predict {d}/photos --top-k three", "invalid int value"),
    ("predict {d}/photos --bogus", "unrecognized arguments: --bogus"),
    ("predict", "the following arguments are required: inputs"),
    ("hs lookup 9999.99", "does not exist in HS 2022"),
    ("hs lookup --bogus 6907", "unrecognized arguments"),
    ("hs search", "the following arguments are required: text"),
    ("hs suggest carpet --answer construction", "QUESTION=OPTION"),
    ("hs suggest carpet --answer construction=glued", "valid answers"),
    ("hs suggest no_such_category", "no_such_category"),
    ("hs suggest carpet --lang de", "invalid choice"),
    ("hs", "required"),
    ("train --config {d}/missing.yaml", "missing.yaml"),
    ("train --config {d}/broken.yaml", "not valid YAML"),
    ("train --config {d}/broken.json --data {d}/photos", "broken.json"),
    ("train --data {d}/photos --extra-class not_a_craft", "NAME=FOLDER"),
    ("train --data {d}/photos --extra-class =folder", "NAME=FOLDER"),
    ("train --data {d}/missing-folder --out {d}/run", "missing-folder"),
    ("train --epochs many", "invalid int value"),
    ("train --bogus", "unrecognized arguments"),
    ("recipe {d}/missing.yaml", "missing.yaml"),
    ("recipe {d}/broken.yaml", "not valid YAML"),
    ("recipe {d}/sections.yaml", "trian"),
    ("recipe {d}/photos", "photos"),
    ("export {d}/missing.pt --out {d}/x.onnx --uncalibrated", "missing.pt"),
    ("export {d}/missing.pt --out {d}/x.onnx", "--calibration-from MODEL.onnx"),
    ("export {d}/missing.pt --out {d}/x.onnx --calibration-from {d}/not_a_model.onnx", "not_a_model.onnx"),
    ("calibrate {d}/not_a_model.onnx --split {d}/broken.json", "not_a_model.onnx"),
    ("export {d}/missing.pt", "--out"),
    ("evaluate --model {d}/missing.onnx --split {d}/broken.json --out {d}/ev", "not valid JSON"),
    ("evaluate --model {d}/missing.onnx --split {d}/missing.json --out {d}/ev", "missing.json"),
    ("evaluate --compare {d}/a.onnx", "expected 2 arguments"),
    ("promote {d}/missing.onnx --split {d}/broken.json --current {d}/missing-current.onnx", "missing.onnx"),
    ("promote", "the following arguments are required: new"),
    ("data check {d}/missing-folder --out {d}/dc", "missing-folder"),
    ("data check {d}/photos --extra-class noncraft --out {d}/dc", "NAME=FOLDER"),
    ("data import-review {d}/missing-export --dataset {d}/ds", "missing-export"),
    ("data import-review {d}/photos", "--dataset"),
    ("review export --data-dir {d}/store --csv {d}/no/such/dir/decisions.csv", "decisions.csv"),
    ("review frobnicate", "invalid choice"),
    ("serve --model {d}/missing.onnx --data-dir {d}/store", "missing.onnx"),
    ("serve --port eighty", "invalid int value"),
    ("bench --model {d}/missing.onnx --photos {d}/photos --calibration {d}/photos --n-large 1 --out {d}/bench", "missing.onnx"),
    ("bench --n-real lots", "invalid int value"),
    ("frobnicate", "invalid choice"),
    ("--bogus", "unrecognized arguments"),
]


@pytest.mark.parametrize("line,expected", CASES, ids=[c[0].split(" {d}")[0][:40] for c in CASES])
def test_bad_input_is_one_line_exit_2(line, expected, bad_files, capsys):
    """Check that the command exits 2 with one line on stderr that names the problem, and no traceback."""
    argv = line.format(d=bad_files).split()
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert expected in lines[0]
    assert "Traceback" not in err


def test_review_add_user_short_password_is_one_line(tmp_path):
    """Check that a too-short password read from stdin is refused with one line and exit 2 (real process)."""
    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "review", "add-user", "amina", "--data-dir",
                        str(tmp_path / "store"), "--password-stdin"], input="short\n", capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_bad_yaml_in_a_real_process_has_no_traceback(bad_files):
    """Check that the installed entry point (python -m craftvision.cli) prints one line for a broken YAML file."""
    r = subprocess.run([sys.executable, "-m", "craftvision.cli", "recipe", str(bad_files / "broken.yaml")],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "not valid YAML" in r.stderr
    assert "Traceback" not in r.stderr
