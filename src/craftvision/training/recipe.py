"""One command that reproduces a shipped model: train, calibrate, set thresholds, export, report, card.

The recipe is a run configuration (config.py): the same YAML trains with ``craftvision train
--config``; the recipe also reads its ``calibration`` and ``output`` sections.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

from ..predictor import load_predictor
from .calibrate import fit_calibration, model_logits
from .config import RunConfig, load_config
from .evaluate import evaluate_model, load_split
from .export import export_onnx, write_checksums  # noqa: F401  (re-exported: `recipe.write_checksums` is public)
from .train import train


def load_recipe(path: str | Path) -> RunConfig:
    """The recipe's configuration: the same file and object as ``craftvision train --config``."""
    return load_config(path)


def run_recipe(path: str | Path, show_progress: bool = True) -> dict:
    """Run the whole recipe; returns the evaluation report.

    The validation run's model is calibrated on its validation photos (temperature, single-photo
    and fused-product thresholds, `fit_calibration`) and exported with its held-out figures; a
    refit on all photos ships with that same calibration and those same held-out figures, never
    figures of its own on photos it trained on.
    """
    cfg = load_recipe(path)
    out = cfg.output
    best = Path(train(cfg, show_progress=show_progress)["checkpoint"])
    split_json = Path(cfg.out_dir) / "split.json"
    holdout = Path(out.holdout_model_out if out.refit_all else out.model_out)
    calibration, held_out = _calibrate(cfg, best, split_json, holdout.name)
    exported = export_onnx(best, holdout, calibration=calibration, held_out=held_out)
    print(f"parity: max |p_torch - p_onnxruntime| = {exported['parity_max_abs_diff']:.2e}")
    report = evaluate_model(holdout, split_json, out.report_dir, baselines=out.baselines, targets=asdict(cfg.calibration))
    report["recipe"] = {"config": cfg.to_dict(), "parity_max_abs_diff": exported["parity_max_abs_diff"]}
    model_out = Path(out.model_out)
    if out.refit_all:
        refit_cfg = cfg.replace(out_dir=str(Path(cfg.out_dir) / "refit"))
        refit = Path(train(refit_cfg, use_all=True, show_progress=show_progress)["checkpoint"])
        shipped = export_onnx(refit, model_out, calibration=calibration, held_out=held_out, holdout_model=holdout.name)
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

    shipped_model = load_predictor(model_out)
    write_model_card(out.card, report, shipped_model.metadata,
                     load_predictor(holdout).metadata if out.refit_all else None, shipped_model.version)
    write_checksums(model_out.parent)
    return report


def _calibrate(cfg: RunConfig, best: Path, split_json: Path, model_name: str):
    """Calibration and held-out figures of the validation run, fitted through the ONNX path itself."""
    _, val, names = load_split(split_json)
    raw = Path(cfg.out_dir) / "uncalibrated.onnx"
    export_onnx(best, raw)
    logits = model_logits(raw, load_predictor(raw).spec, val)
    calibration, held_out, _ = fit_calibration(logits, val, names, str(Path(cfg.output.report_dir) / "split.json"),
                                               model_name, asdict(cfg.calibration))
    return calibration, held_out
