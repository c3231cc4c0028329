"""One command that reproduces a shipped model: train, calibrate, set thresholds, export, report, card.

The recipe YAML has two sections: ``train`` (a `TrainConfig`) and ``recipe`` (a `RecipeConfig`).
"""

from __future__ import annotations

import difflib
import json
import shutil
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import ConfigError
from .config import load_config
from .export import write_checksums  # noqa: F401  (re-exported: `recipe.write_checksums` is public)


@dataclass
class RecipeConfig:
    """How the trained checkpoint becomes the shipped model.

    Attributes:
        mode: "finetune" (the full training loop), "partial" (LP-FT of the last backbone stages on
            cached activations, then WiSE-FT averaging; see `partial.py`) or "head" (logistic
            regression on frozen embeddings).
        head_c: inverse regularisation of the logistic head (mode "head").
        head_views: embedding views per training photo (eval crop, mirror, then augmented crops).
        tune_from, partial_views, partial_epochs, partial_lr, wise_alpha: mode "partial" settings
            (first block that trains, cached views per photo, epochs, peak learning rate, weight of
            the fine-tuned weights in the final average).
        refit_all: after the validation run, refit the head on all photos (train + validation) for
            the shipped model, with the temperature and thresholds fitted on validation; the
            validation run's model is kept as `holdout_model_out` so its figures stay reproducible.
        model_out: where the ONNX file goes.
        report_dir: where the evaluation report goes.
        card: the model card to write.
        accept_precision, noncraft_caught, craft_to_not_a_craft_max: decision targets on validation.
        baselines: also evaluate the two baselines on the same split.
    """

    mode: str = "finetune"
    head_c: float = 2.0
    head_views: int = 2
    tune_from: int = 5
    partial_views: int = 4
    partial_epochs: int = 6
    partial_lr: float = 3e-4
    wise_alpha: float = 0.5
    refit_all: bool = False
    holdout_model_out: str = "models/validation/craftvision-holdout.onnx"
    model_out: str = "models/craftvision.onnx"
    report_dir: str = "models/report"
    card: str = "models/MODEL_CARD.md"
    accept_precision: float = 0.98
    noncraft_caught: float = 0.90
    craft_to_not_a_craft_max: float = 0.02
    baselines: bool = True


def load_recipe(path: str | Path):
    import yaml

    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for key in doc:
        if key not in ("train", "recipe"):
            raise ConfigError(f"Unknown recipe section {key!r} in {path}; expected 'train' and 'recipe'.")
    names = [f.name for f in fields(RecipeConfig)]
    for key in doc.get("recipe", {}):
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            raise ConfigError(f"Unknown recipe option {key!r} in {path}." + (f" Did you mean {close[0]!r}?" if close else ""))
    recipe = RecipeConfig(**doc.get("recipe", {}))
    if recipe.mode not in ("finetune", "partial", "head"):
        raise ConfigError(f"recipe.mode must be 'finetune', 'partial' or 'head'; got {recipe.mode!r}.")
    return load_config(None, doc.get("train", {})), recipe


def run_recipe(path: str | Path, show_progress: bool = True) -> dict:
    """Run the whole recipe; returns the evaluation report."""
    from ..predictor import load_predictor
    from .calibrate import fit_calibration, model_logits
    from .evaluate import evaluate_model, load_split
    from .export import export_onnx

    cfg, recipe = load_recipe(path)
    run_dir = Path(cfg.out_dir)
    if recipe.mode == "finetune":
        from .train import fit

        best = fit(cfg, show_progress=show_progress)
    elif recipe.mode == "partial":
        best = Path(_train_partial(cfg, recipe, use_all=False, show_progress=show_progress)["checkpoint"])
    else:
        from .headonly import train_head_only

        best = Path(train_head_only(cfg, c=recipe.head_c, views=recipe.head_views)["checkpoint"])
    split_json = run_dir / "split.json"
    train, val, names = load_split(split_json)

    # Temperature and thresholds are fitted on the validation photos through the ONNX path itself.
    raw = run_dir / "uncalibrated.onnx"
    export_onnx(best, raw)
    holdout = Path(recipe.holdout_model_out if recipe.refit_all else recipe.model_out)
    calibration, held_out, _ = fit_calibration(
        model_logits(raw, load_predictor(raw, verify_checksum=False).spec, val), val, names,
        f"{Path(recipe.report_dir) / 'split.json'} ({holdout.name})",
        {"accept_precision": recipe.accept_precision, "noncraft_caught": recipe.noncraft_caught,
         "craft_to_not_a_craft_max": recipe.craft_to_not_a_craft_max})
    exported = export_onnx(best, holdout, calibration=calibration, held_out=held_out)
    print(f"parity: max |p_torch - p_onnxruntime| = {exported['parity_max_abs_diff']:.2e}")
    report = evaluate_model(holdout, split_json, recipe.report_dir, baselines=recipe.baselines)
    report["recipe"] = {"train": cfg.to_dict(), "recipe": asdict(recipe), "parity_max_abs_diff": exported["parity_max_abs_diff"]}
    model_out = Path(recipe.model_out)
    if recipe.refit_all:
        refit_cfg = load_config(None, {**cfg.to_dict(), "out_dir": str(run_dir / "refit")})
        if recipe.mode == "head":
            from .headonly import train_head_only

            refit = Path(train_head_only(refit_cfg, c=recipe.head_c, views=recipe.head_views, use_all=True)["checkpoint"])
        elif recipe.mode == "partial":
            refit = Path(_train_partial(refit_cfg, recipe, use_all=True, show_progress=show_progress)["checkpoint"])
        else:
            raise ConfigError("refit_all is implemented for modes 'head' and 'partial' (cached features).")
        shipped = export_onnx(refit, model_out, calibration=calibration, held_out=held_out, holdout_model=holdout.name)
        shutil.copyfile(refit, model_out.with_suffix(".pt"))  # torch weights of the same model (benchmarks, warm starts)
        report["shipped"] = {"model": str(model_out), "sha256": shipped["sha256"], "refit_on_all_photos": True,
                             "parity_max_abs_diff": shipped["parity_max_abs_diff"],
                             "holdout_model": str(holdout), "holdout_sha256": exported["sha256"]}
    else:
        shutil.copyfile(best, model_out.with_suffix(".pt"))
        report["shipped"] = {"model": str(model_out), "sha256": exported["sha256"], "refit_on_all_photos": False}
    shutil.copy(split_json, Path(recipe.report_dir) / "split.json")
    (Path(recipe.report_dir) / "report.json").write_text(json.dumps(report, indent=2))
    from .card import write_model_card

    shipped_model = load_predictor(model_out)
    write_model_card(recipe.card, report, shipped_model.metadata,
                     load_predictor(holdout).metadata if recipe.refit_all else None, shipped_model.version)
    write_checksums(model_out.parent)
    return report


def _train_partial(cfg, recipe: RecipeConfig, use_all: bool, show_progress: bool) -> dict:
    from .partial import train_partial

    return train_partial(cfg, tune_from=recipe.tune_from, views=recipe.partial_views, epochs=recipe.partial_epochs,
                         lr=recipe.partial_lr, lp_c=recipe.head_c, wise_alpha=recipe.wise_alpha,
                         use_all=use_all, show_progress=show_progress)
