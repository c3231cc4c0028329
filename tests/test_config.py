"""Tests of the one training configuration (training/config.py): recipes, keys, types."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from craftvision.cli import main
from craftvision.errors import ConfigError
from craftvision.training.config import RunConfig, load_config
from craftvision.training.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "training").glob("**/*.yaml"))  # experiments' recipes too: a stale one fails here

#: Old (flat TrainConfig + RecipeConfig) names -> the sectioned ones, for the shipped recipe's record.
OLD_TO_NEW = {
    "data": "data.folder", "val_data": "data.val_folder", "extra_classes": "data.extra_classes",
    "val_fraction": "data.val_fraction", "split_seed": "data.split_seed", "group_split": "data.group_split",
    "dedupe_bits": "data.dedupe_bits", "max_per_class": "data.max_per_class", "out_dir": "out_dir", "seed": "seed",
    "num_threads": "num_threads", "backbone": "model.backbone", "pretrained": "model.pretrained",
    "weights_path": "model.weights_path", "init_from": "model.init_from", "image_size": "model.image_size",
    "drop_rate": "model.drop_rate",
    "epochs": "finetune.epochs", "batch_size": "finetune.batch_size", "lr": "finetune.lr",
    "backbone_lr_scale": "finetune.backbone_lr_scale", "weight_decay": "finetune.weight_decay",
    "warmup_epochs": "finetune.warmup_epochs", "label_smoothing": "finetune.label_smoothing",
    "freeze_backbone": "finetune.freeze_backbone", "balance": "finetune.balance", "patience": "finetune.patience",
    "augment_scale_min": "finetune.augment_scale_min", "color_jitter": "finetune.color_jitter",
    "lp_init": "finetune.lp_init", "lp_c": "head.c", "head_c": "head.c", "head_views": "head.views", "mode": "mode",
    "refit_all": "output.refit_all", "holdout_model_out": "output.holdout_model_out", "model_out": "output.model_out",
    "report_dir": "output.report_dir", "card": "output.card", "baselines": "output.baselines",
    "accept_precision": "calibration.accept_precision", "noncraft_caught": "calibration.noncraft_caught",
    "craft_to_not_a_craft_max": "calibration.craft_to_not_a_craft_max",
}


def _get(cfg: RunConfig, dotted: str):
    obj = cfg
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("recipe", RECIPES, ids=[str(p.relative_to(ROOT / "training")) for p in RECIPES])
def test_every_recipe_loads_through_both_entry_points(recipe, monkeypatch, capsys):
    """Check that each YAML under training/ is accepted by `craftvision train --config` and `craftvision recipe` alike."""
    import craftvision.training.recipe as recipe_module
    import craftvision.training.train as train_module

    seen = []

    class Reached(Exception):
        pass

    def fake_train(cfg, **kwargs):  # stands in for the (long) training: the config got through
        seen.append(cfg)
        raise Reached

    monkeypatch.setattr(train_module, "train", fake_train)
    monkeypatch.setattr(recipe_module, "train", fake_train)
    with pytest.raises(Reached):
        main(["train", "--config", str(recipe), "--out", "runs/x", "--no-progress"])
    with pytest.raises(Reached):
        main(["recipe", str(recipe), "--no-progress"])
    assert capsys.readouterr().err == ""
    via_train, via_recipe = seen
    assert via_train.out_dir == "runs/x" and via_recipe.out_dir != "runs/x"
    assert via_train.replace(out_dir=via_recipe.out_dir) == via_recipe == load_recipe(recipe)


def test_shipped_recipe_resolves_to_the_settings_that_trained_the_shipped_model():
    """Check that training/craftvision.yaml gives every setting recorded in models/report/report.json."""
    recorded = json.loads((ROOT / "models" / "report" / "report.json").read_text())["recipe"]
    cfg = load_config(ROOT / "training" / "craftvision.yaml")
    if "config" in recorded:  # a report written by this version
        assert recorded["config"] == cfg.to_dict()
        return
    old = {**recorded["train"], **recorded["recipe"]}
    assert set(old) <= set(OLD_TO_NEW)
    for key, value in old.items():
        assert _get(cfg, OLD_TO_NEW[key]) == value, key


def test_unknown_keys_suggest_the_close_match(tmp_path):
    """Check that a misspelt key, a misspelt section and a key in the wrong section each name the fix."""
    for text, pattern in [
        ("data: {folder: x}\nhead: {cc: 2.0}\n", r"'cc' in section 'head'.*Did you mean 'c'\?"),
        ("data: {folder: x}\nmodle: {backbone: x}\n", r"Unknown training option 'modle'.*Did you mean 'mode' or 'model'"),
        ("data: {folder: x}\nepochs: 3\n", r"'epochs' in the top level.*belongs in the section 'finetune' or 'partial'"),
        ("train: {data: x}\nrecipe: {mode: head}\n", r"Unknown training option 'train'"),
    ]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(ConfigError, match=pattern):
            load_config(bad)
    with pytest.raises(ConfigError, match=r"'partial.wise_alpa'|'wise_alpa' in section 'partial'.*'wise_alpha'"):
        load_config(None, {"data.folder": "x", "partial.wise_alpa": 0.5})


@pytest.mark.parametrize("key,value,expected", [
    ("output.refit_all", "false", "true or false"),
    ("model.pretrained", 1, "true or false"),
    ("finetune.epochs", 2.5, "a whole number"),
    ("finetune.epochs", "five", "a whole number"),
    ("finetune.epochs", True, "a whole number"),
    ("head.c", "strong", "a number"),
    ("data.folder", 3, "a path"),
    ("data.extra_classes", ["not_a_craft"], "a mapping of class name to folder"),
])
def test_wrong_types_are_refused(key, value, expected):
    """Check that a value of the wrong type is an error naming the key, what was expected and what was got."""
    pattern = re.escape(f"'{key}'") + ".*" + re.escape(f"must be {expected}") + ".*; got " + re.escape(repr(value))
    with pytest.raises(ConfigError, match=pattern):
        load_config(None, {"data.folder": "x", key: value})


def test_strict_parsing_of_numbers_from_text():
    """Check that YAML's unquoted 3e-4 (a string in YAML 1.1) is a float and "8" an int, exactly."""
    cfg = load_config(None, {"data.folder": "x", "partial.lr": "3e-4", "finetune.batch_size": "8"})
    assert cfg.partial.lr == 3e-4 and cfg.finetune.batch_size == 8 and isinstance(cfg.finetune.batch_size, int)


def test_values_are_checked_after_loading():
    """Check that values outside their range, a bad mode and a refit the mode cannot do are refused."""
    with pytest.raises(ConfigError, match=r"mode must be one of finetune, partial, head; got 'heads'"):
        load_config(None, {"data.folder": "x", "mode": "heads"})
    with pytest.raises(ConfigError, match=r"val_fraction must be between 0 and 1; got 1.5"):
        load_config(None, {"data.folder": "x", "data.val_fraction": 1.5})
    with pytest.raises(ConfigError, match=r"refit_all needs mode 'head' or 'partial'"):
        load_config(None, {"data.folder": "x", "output.refit_all": True})
    with pytest.raises(ConfigError, match=r"No training data"):
        load_config(None, {})
