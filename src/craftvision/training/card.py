"""The model card written next to the shipped model, from its metadata and the evaluation report.

Every count, class name and figure comes from the model file's metadata (what trained it, on
how many photos of each class) or from the held-out evaluation report: nothing is typed in.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelFileError
from ..metadata import ModelMetadata

_MODES = {
    "head_only": "logistic-regression head on frozen embeddings",
    "partial_finetune": "upper backbone stages and head fine-tuned on cached activations (LP-FT, then WiSE-FT "
                        "averaging with the start)",
    "finetune": "the whole network fine-tuned",
    "untrained": "not trained",
}


def _views(n: int) -> str:
    """What each training photo contributed to the head (the views of the embedding cache)."""
    if n == 0:
        return "training photos augmented on the fly"
    named = {1: "the eval crop", 2: "eval crop and mirror"}.get(n, "eval crop, mirror and seeded augmented crops")
    return f"{n} view{'s' if n > 1 else ''} per training photo ({named})"

def _top_confusions(report: dict, n: int = 5) -> list[str]:
    names, cm = report["class_names"], report["confusion_matrix"]
    pairs = [(cm[i][j], names[i], names[j]) for i in range(len(names)) for j in range(len(names)) if i != j and cm[i][j]]
    pairs.sort(reverse=True)
    return [f"{t} taken for {p} ({c} of {int(report['per_class'][t]['support'])} validation photos)" for c, t, p in pairs[:n]]


def weak_classes(report: dict, train_counts: dict, n: int = 3) -> list[str]:
    """The `n` classes with the lowest held-out F1, each with its F1 and training photo count."""
    per = sorted(report["per_class"].items(), key=lambda kv: (kv[1]["f1"], kv[0]))[:n]
    return [f"{c} (F1 {pc['f1']:.2f}, {train_counts.get(c, 0)} training photos)" for c, pc in per]


def _header(meta: ModelMetadata, report: dict) -> list[str]:
    t = meta.training
    head = ", ".join(f"{k} = {v:g}" for k, v in t.head_regularisation.items()) or "none"
    return [
        "# Model card: craftvision craft classifier", "",
        f"Model version `{report['shipped_version']}` (file `craftvision.onnx`, checksum in `craftvision.onnx.sha256`).", "",
        "## Intended use", "",
        "Suggest the craft category of a product photo so that the HS 2022 questions of that category can be asked. "
        "The HS codes shown with a prediction come from the taxonomy data, not from the model, and are **suggestions to be "
        "confirmed by customs**, never a binding ruling. Photos the model is not sure about go to customs review.", "",
        "Not for: products outside the classes below, legal classification without a customs officer, or "
        "deciding materials (fibre, metal, stone type) that a photo cannot show.", "",
        "## Classes", "", ", ".join(f"`{c}`" for c in meta.class_names), "",
        "## Model", "",
        f"Backbone `{meta.backbone}` (weights from `{t.init_from}`), {t.resolution} px input; training mode "
        f"`{t.mode}`: {_MODES[t.mode]}; head regularisation: {head}; {_views(t.views)}; seed {t.seed}, code `{t.git}`. "
        "The preprocessing (resize, crop, normalisation) is stored in the model file. Temperature scaling "
        f"T = {meta.calibration.temperature:.3f} (fitted on {meta.calibration.temperature_fitted_on}).", "",
    ]


def _data(meta: ModelMetadata, run: ModelMetadata, split_notes: list[str]) -> list[str]:
    t, r = meta.training, run.training
    crafts = [c for c in meta.class_names if c != "not_a_craft"]
    n_craft = sum(t.train_counts.get(c, 0) for c in crafts)
    lines = [
        "## Training data", "",
        f"{sum(t.train_counts.values())} photos: {n_craft} photos of {len(crafts)} craft classes and "
        f"{t.train_counts.get('not_a_craft', 0)} photos without a craft product (`not_a_craft`), from {meta.data_source}. "
        f"Data manifest SHA-256 `{t.data_manifest_sha256[:16]}...`. Each photo's source repository is listed in the "
        "`SOURCES.tsv` of those folders. **Most sources publish no licence; the licences are unverified**: the photos are used "
        "to train and validate only and are not redistributed with this project.", "",
        "## Validation split", "",
        "Split by source: where a class has several sources, whole sources are held out (the largest stays in training), "
        "so validation measures photos from shops and photographers the model never saw; near-duplicates of training "
        "photos are moved out of validation.", "",
    ]
    lines += [f"- {note}" for note in split_notes]
    shipped_col = " | shipped model trained on" if t.refit_on_all_photos else ""
    lines += ["", f"| class | validation run: train | validation{shipped_col} |", "|---|---|---|" + ("---|" if shipped_col else "")]
    for c in meta.class_names:
        row = f"| {c} | {r.train_counts.get(c, 0)} | {r.val_counts.get(c, 0)} |"
        lines.append(row + (f" {t.train_counts.get(c, 0)} |" if shipped_col else ""))
    return lines + [""]


def _metrics(meta: ModelMetadata, report: dict) -> list[str]:
    h, co = meta.held_out, report["craft_only"]
    lines = ["## Metrics (validation, held-out sources)", ""]
    if meta.training.refit_on_all_photos:
        lines += [
            "The shipped `craftvision.onnx` is the same recipe **refit on all photos** (training and validation "
            "sources), with the temperature and thresholds fitted on validation. The figures below are those of the "
            f"validation run's model, `{meta.holdout_model}` (kept in `validation/` beside the shipped file), trained without the validation "
            "sources and measured on them; the shipped model has no held-out figure of its own on these photos.", ""]
    lines += [
        f"All {h.photos} photos, {len(meta.class_names)} classes: top-1 {h.top1:.3f}, top-3 {h.top3:.3f}, macro-F1 "
        f"{h.macro_f1:.3f}, ECE {h.ece:.3f} (before calibration {report['calibration']['ece_before']:.3f}).",
        f"Craft photos only ({co['n']}): top-1 {co['top1']:.3f}, macro-F1 {co['macro_f1']:.3f}.", ""]
    if report.get("intervals"):
        from .heldout import interval_lines

        lines += interval_lines(report["intervals"])
    for name, b in report.get("baselines", {}).items():
        lines.append(f"- Baseline {name.replace('_', ' ')}: top-1 {b['top1']:.3f}, macro-F1 {b['macro_f1']:.3f}.")
    return lines + ["", "Full report: `report/report.md` (per-class figures, products of several photos, confusion "
                        "matrix, reliability diagram).", ""]


def _decisions(meta: ModelMetadata, report: dict) -> list[str]:
    t, p, d = meta.calibration.decision, meta.calibration.product_decision, report["decisions"]
    lines = [
        "## Decisions and thresholds", "",
        f"- `not_a_craft` when the calibrated probability of not a craft is >= {t.not_a_craft_min_probability:.2f}.",
        f"- otherwise `accept` when the top craft category has calibrated probability >= {t.accept_min_probability:.2f}.",
        "- `review` otherwise (customs staff decide).",
        f"- A product of several photos is decided on the fused prediction with its own thresholds: not_a_craft >= "
        f"{p.not_a_craft_min_probability:.2f}, accept >= {p.accept_min_probability:.2f} (fitted on {p.fitted_on}).", "",
        f"Targets set on validation: {t.targets}. What they cost on validation: craft photos "
        f"{d['craft']['accept']:.0%} accepted, {d['craft']['review']:.0%} sent to review, {d['craft']['not_a_craft']:.0%} "
        f"wrongly called not a craft; non-craft photos {d['not_a_craft']['not_a_craft']:.0%} recognised, "
        f"{d['not_a_craft']['review']:.0%} sent to review, {d['not_a_craft']['accept']:.0%} wrongly accepted. "
        + (f"Precision of accept: {d['accept_precision']:.1%}." if d["accept_precision"] is not None else ""), "",
    ]
    loo = report.get("products", {}).get("fused", {}).get("leave_one_product_out")
    if loo and loo.get("accept_precision") is not None:
        lines += [f"The product thresholds come from few products: deciding each of the {report['products']['products']} "
                  "validation products with thresholds fitted on the others accepts "
                  f"{loo['accept_rate_craft']:.0%} of craft products at {loo['accept_precision']:.1%} precision "
                  "(see the report's products section).", ""]
    return lines


def _failures(meta: ModelMetadata, run: ModelMetadata, report: dict) -> list[str]:
    lines = ["## Known failure modes", ""]
    lines += [f"- {c}" for c in _top_confusions(report)]
    lines += [
        "- Weakest classes on held-out sources: " + ", ".join(weak_classes(report, run.training.train_counts)) + ".",
        "- Products that mix crafts (a zellige-topped table, a leather-and-kilim pouf, a carpet photographed in a room) "
        "get the category of whatever dominates the frame.",
        "- Scenes with a craft in the background (a living room with a rug, a market stall) may be called a craft.",
        "- Materials that decide the HS subheading (wool or synthetic, silver or plated, marble or limestone) cannot be "
        "seen: they are always asked, never guessed.", ""]
    return lines


def write_model_card(path: str | Path, report: dict, meta: ModelMetadata, run_meta: ModelMetadata | None = None,
                     shipped_version: str | None = None) -> Path:
    """Write the model card (Markdown).

    Args:
        report: the held-out evaluation report (`evaluate_model` of the validation-run model).
        meta: the shipped model's metadata.
        run_meta: the validation-run model's metadata, when the shipped model is a refit.
        shipped_version: the shipped model's version string (default: the report's model).
    """
    run = run_meta or meta
    if meta.held_out is None:
        raise ModelFileError("The model has no held-out figures: calibrate it on a split (`craftvision calibrate`) "
                             "before writing its card.")
    r = {**report, "shipped_version": shipped_version or report["model_version"]}
    lines = (_header(meta, r) + _data(meta, run, report.get("split_notes", [])) + _metrics(meta, report)
             + _decisions(meta, report) + _failures(meta, run, report))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path
