"""One command that reproduces a shipped model: train, calibrate, set thresholds, export, report, card.

The recipe is a run configuration (config.py): the same YAML trains with ``craftvision train
--config``; the recipe also reads its ``calibration`` and ``output`` sections.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..data import file_sha256
from ..metrics import fit_temperature, softmax
from .config import RunConfig, load_config
from .evaluate import evaluate_model, fit_thresholds, load_split, onnx_outputs
from .export import export_onnx
from .train import train


def load_recipe(path: str | Path) -> RunConfig:
    """The recipe's configuration: the same file and object as ``craftvision train --config``."""
    return load_config(path)


def run_recipe(path: str | Path, show_progress: bool = True) -> dict:
    """Run the whole recipe; returns the evaluation report."""
    cfg = load_recipe(path)
    out = cfg.output
    best = Path(train(cfg, show_progress=show_progress)["checkpoint"])
    split_json = Path(cfg.out_dir) / "split.json"
    temperature, rule, data_meta = _calibrate(cfg, best, split_json)
    holdout = Path(out.holdout_model_out if out.refit_all else out.model_out)
    exported = export_onnx(best, holdout, temperature=temperature, decision=rule,
                           extra_metadata={"data": {**data_meta, "validation_in_training": False}})
    print(f"parity: max |p_torch - p_onnxruntime| = {exported['parity_max_abs_diff']:.2e}")
    report = evaluate_model(holdout, split_json, out.report_dir, baselines=out.baselines)
    report["recipe"] = {"config": cfg.to_dict(), "parity_max_abs_diff": exported["parity_max_abs_diff"]}
    model_out = Path(out.model_out)
    if out.refit_all:
        refit_cfg = cfg.replace(out_dir=str(Path(cfg.out_dir) / "refit"))
        refit = Path(train(refit_cfg, use_all=True, show_progress=show_progress)["checkpoint"])
        shipped = export_onnx(refit, model_out, temperature=temperature, decision=rule,
                              extra_metadata={"data": {**data_meta, "train_photos": data_meta["train_photos"]
                                                       + data_meta["val_photos"], "validation_in_training": True,
                                                       "holdout_model": holdout.name}})
        shutil.copyfile(refit, model_out.with_suffix(".pt"))  # torch weights of the same model (benchmarks, warm starts)
        report["shipped"] = {"model": str(model_out), "sha256": shipped["sha256"], "refit_on_all_photos": True,
                             "parity_max_abs_diff": shipped["parity_max_abs_diff"],
                             "holdout_model": str(holdout), "holdout_sha256": exported["sha256"]}
    else:
        shutil.copyfile(best, model_out.with_suffix(".pt"))
        report["shipped"] = {"model": str(model_out), "sha256": exported["sha256"], "refit_on_all_photos": False}
    shutil.copy(split_json, Path(out.report_dir) / "split.json")
    (Path(out.report_dir) / "report.json").write_text(json.dumps(report, indent=2))
    from .card import write_model_card

    write_model_card(out.card, report, json.loads(split_json.read_text()))
    write_checksums(model_out.parent)
    return report


def _calibrate(cfg: RunConfig, best: Path, split_json: Path) -> tuple[float, dict, dict]:
    """Temperature and decision thresholds fitted on the validation photos through the ONNX path itself."""
    train_samples, val, names = load_split(split_json)
    raw = Path(cfg.out_dir) / "uncalibrated.onnx"
    export_onnx(best, raw)
    out = onnx_outputs(raw, val)
    index = {c: i for i, c in enumerate(names)}
    y = np.array([index[s.label] for s in val])
    temperature = fit_temperature(out["logits"], y)
    c = cfg.calibration
    rule = fit_thresholds(softmax(out["logits"], temperature), y, names, c.accept_precision, c.noncraft_caught,
                          c.craft_to_not_a_craft_max)
    data_meta = {"source": "../shared/data/crafts and ../shared/data/noncraft (not redistributed)",
                 "train_photos": len(train_samples), "val_photos": len(val)}
    return temperature, rule, data_meta


def write_checksums(folder: str | Path) -> Path:
    """SHA256SUMS of the shipped files in `folder` (models and reports)."""
    folder = Path(folder)
    lines = []
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.name != "SHA256SUMS" and not f.name.endswith(".sha256"):
            lines.append(f"{file_sha256(f)}  {f.relative_to(folder)}")
    out = folder / "SHA256SUMS"
    out.write_text("\n".join(lines) + "\n")
    return out
