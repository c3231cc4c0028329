"""Tests of craftvision.splitfile: labels and groups travel with the split; products of several photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from craftvision.data import Sample, Split
from craftvision.errors import ConfigError, DatasetError
from craftvision.splitfile import group_products, read_split, write_split

NAMES = ["carpet", "not_a_craft", "pottery"]


def _split() -> Split:
    return Split([Sample(Path("d/carpet/a.jpg"), "carpet", "shop1"), Sample(Path("n/x.jpg"), "not_a_craft", "web")],
                 [Sample(Path("d/pottery/b-1.jpg"), "pottery", "shop2")], ["a note"])


def test_split_file_round_trip_keeps_path_label_and_group(tmp_path):
    """Check that a written split reads back with each photo's path, label and group, and the class order."""
    path = write_split(tmp_path / "split.json", _split(), NAMES)
    train, val, names = read_split(path)
    assert names == NAMES and train == _split().train and val == _split().val
    doc = json.loads(path.read_text())
    assert doc["train"] == {"carpet": 1, "not_a_craft": 1} and doc["notes"] == ["a note"]


def test_split_naming_an_unknown_label_fails(tmp_path):
    """Check that a split labelling a photo with a class missing from its class list is an error, not not_a_craft."""
    path = write_split(tmp_path / "split.json", _split(), NAMES)
    doc = json.loads(path.read_text())
    doc["val_samples"][0]["label"] = "spaceship"
    path.write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match=r"labels the photo 'd/pottery/b-1.jpg' as 'spaceship', which is not one of its classes"):
        read_split(path)
    with pytest.raises(DatasetError, match=r"labels \['spaceship'\] that are not among the classes"):
        write_split(tmp_path / "bad.json", Split([], [Sample(Path("s.jpg"), "spaceship", "g")]), NAMES)


def test_split_file_of_the_old_format_or_with_wrong_keys_fails(tmp_path):
    """Check that a split without labels (old format), with a missing or unknown key, or a bad entry is refused clearly."""
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"class_names": NAMES, "val_files": ["d/carpet/a.jpg"], "train_files": []}))
    with pytest.raises(DatasetError, match=r"is not a craftvision-split/2 file \(got 'no format key'\)"):
        read_split(old)
    path = write_split(tmp_path / "split.json", _split(), NAMES)
    doc = json.loads(path.read_text())
    del doc["notes"]
    doc["extra"] = 1
    path.write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match=r"lacks \['notes'\] and has unknown keys \['extra'\]"):
        read_split(path)
    doc = json.loads(write_split(path, _split(), NAMES).read_text())
    del doc["train_samples"][0]["group"]
    path.write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match=r"each entry needs exactly \['group', 'label', 'path'\]"):
        read_split(path)
    with pytest.raises(ConfigError, match=r"The split file '.*none.json' does not exist"):
        read_split(tmp_path / "none.json")


def test_group_products_joins_numbered_photos_of_one_source_and_class():
    """Check that x-1/x_2/x photos of one class and source are one product, and other sources or classes stay apart."""
    s = [Sample(Path("p/vase-1.jpg"), "pottery", "shopA"), Sample(Path("p/vase_2.jpg"), "pottery", "shopA"),
         Sample(Path("p/vase.jpg"), "pottery", "shopA"), Sample(Path("q/vase-1.jpg"), "pottery", "shopB"),
         Sample(Path("p/vase-3.jpg"), "stone", "shopA"), Sample(Path("p/vase2.jpg"), "pottery", "shopA")]
    assert group_products(s) == [[0, 1, 2], [3], [4], [5]]
