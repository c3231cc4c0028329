"""Evaluation of an exported model on a split, with calibration, decisions and baselines.

Writes the report kept with the model: ``report.md``, ``report.json``, ``confusion.png`` and
``reliability.png``. The fine-tuned model is compared on the same validation photos with
(a) logistic regression on frozen ImageNet features of the same backbone and (b) the
un-fine-tuned ImageNet classifier with its classes mapped onto ours where a mapping exists.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..data import Sample
from ..errors import ModelFileError
from ..metrics import classification_summary, expected_calibration_error, fit_temperature, reliability_bins, softmax
from ..predictor import NOT_A_CRAFT, load_predictor
from ..splitfile import read_split
from .heldout import bootstrap_metrics, interval_lines
from .products import product_lines, product_report
from .thresholds import decision_report, fit_thresholds  # noqa: F401  (public here too)

#: ImageNet-1k class index -> our category, where ImageNet has a class for it.
IMAGENET_TO_CATEGORY = {
    741: "carpet",
    883: "pottery", 725: "pottery", 738: "pottery", 659: "pottery", 809: "pottery", 899: "pottery",
    968: "pottery", 504: "pottery", 923: "pottery",
    790: "basketry", 588: "basketry",
    679: "jewelry",
    619: "metalware", 846: "metalware", 849: "metalware", 868: "metalware", 469: "metalware",
    492: "woodwork", 910: "woodwork",
    774: "leather", 514: "leather", 630: "leather", 893: "leather", 748: "leather", 414: "leather",
    750: "textile", 824: "textile", 735: "textile",
}


def load_split(split_json: str | Path) -> tuple[list[Sample], list[Sample], list[str]]:
    """Read the train and validation samples of a run's ``split.json``, labels included (`read_split`)."""
    return read_split(split_json)


def onnx_outputs(model_path: str | Path, samples: list[Sample], batch_size: int = 16) -> dict:
    """Logits, calibrated probabilities and per-photo latency of an ONNX model on samples."""
    predictor = load_predictor(model_path, spinning=True)
    logits, probs, seconds = [], [], []
    for start in range(0, len(samples), batch_size):
        chunk = samples[start:start + batch_size]
        t0 = time.perf_counter()
        x = np.stack([predictor.preprocess(predictor.load(s.path)) for s in chunk])
        p, z = predictor.run(x, ("probabilities", "logits"))
        seconds.append((time.perf_counter() - t0) / len(chunk))
        probs.append(p)
        logits.append(z)
    return {"logits": np.concatenate(logits), "probs": np.concatenate(probs), "predictor": predictor,
            "seconds_per_image": float(np.mean(seconds))}


def _plots(out_dir: Path, summary: dict, bins_before: list, bins_after: list) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(summary["confusion_matrix"])
    names = summary["class_names"]
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i in range(len(names)):
        for j in range(len(names)):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Validation confusion matrix")
    fig.tight_layout()
    fig.savefig(out_dir / "confusion.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect")
    for bins, label in ((bins_before, "before (T=1)"), (bins_after, "after temperature scaling")):
        xs = [b["confidence"] for b in bins if b["count"]]
        ys = [b["accuracy"] for b in bins if b["count"]]
        ax.plot(xs, ys, "o-", label=label)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability diagram (validation)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "reliability.png", dpi=110)
    plt.close(fig)


def baseline_logistic(backbone: str, train: list[Sample], val: list[Sample], class_names: list[str],
                      cache_dir: str | Path) -> dict:
    """(a) Logistic regression on frozen ImageNet features of the same backbone (timm preprocessing)."""
    from .features import embed_samples
    from .head import fit_logistic_head
    from .models import create_model, resolve_preprocess_spec

    model = create_model(backbone, 1000).eval()
    spec = resolve_preprocess_spec(model)
    tr, _, _ = embed_samples(model, train, spec, cache_dir, backbone, views=2, progress=False)
    va, _, _ = embed_samples(model, val, spec, cache_dir, backbone, views=2, progress=False)
    index = {c: i for i, c in enumerate(class_names)}
    w, b = fit_logistic_head(tr[:, :1], np.array([index[s.label] for s in train]), len(class_names))
    probs = softmax(va[:, 0] @ w.T + b)
    return classification_summary(probs, np.array([index[s.label] for s in val]), class_names)


def baseline_imagenet(backbone: str, val: list[Sample], class_names: list[str]) -> dict:
    """(b) The un-fine-tuned ImageNet classifier, its classes mapped onto ours where possible."""
    import torch

    from ..images import load_image
    from ..preprocess import preprocess_image
    from .models import create_model, resolve_preprocess_spec

    model = create_model(backbone, 1000).eval()
    spec = resolve_preprocess_spec(model)
    covered = sorted(set(IMAGENET_TO_CATEGORY.values()))
    idx = {c: i for i, c in enumerate(class_names)}
    probs = np.zeros((len(val), len(class_names)), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(val), 32):
            chunk = val[start:start + 32]
            x = torch.from_numpy(np.stack([preprocess_image(load_image(s.path, min_side=spec.resize_size), spec) for s in chunk]))
            p = torch.softmax(model(x), 1).numpy()
            for k, cat in IMAGENET_TO_CATEGORY.items():
                probs[start:start + len(chunk), idx[cat]] += p[:, k]
    y = np.array([idx[s.label] for s in val])
    summary = classification_summary(probs, y, class_names)
    in_cov = np.isin(y, [idx[c] for c in covered])
    summary["coverage"] = {
        "categories_mapped": covered,
        "categories_unmapped": [c for c in class_names if c not in covered],
        "imagenet_classes_used": len(IMAGENET_TO_CATEGORY),
        "val_photos_in_mapped_categories": float(in_cov.mean()),
        "top1_on_mapped_categories": float((probs[in_cov].argmax(1) == y[in_cov]).mean()) if in_cov.any() else 0.0,
    }
    return summary


def craft_only(summary_probs: np.ndarray, y: np.ndarray, class_names: list[str]) -> dict:
    """Metrics over the craft classes only (photos of crafts, not_a_craft column dropped)."""
    if NOT_A_CRAFT not in class_names:
        return classification_summary(summary_probs, y, class_names)
    nac = class_names.index(NOT_A_CRAFT)
    keep = [i for i in range(len(class_names)) if i != nac]
    mask = y != nac
    remap = {old: new for new, old in enumerate(keep)}
    return classification_summary(summary_probs[mask][:, keep], np.array([remap[v] for v in y[mask]]),
                                  [class_names[i] for i in keep])


def evaluate_model(model_path: str | Path, split_json: str | Path, out_dir: str | Path,
                   baselines: bool = True, cache_dir: str | Path = ".cache/embeddings", n_boot: int = 500,
                   targets: dict | None = None) -> dict:
    """Evaluate an exported model on the validation photos of a split and write the report.

    Args:
        n_boot: bootstrap resamples over photos for the intervals of top-1, macro-F1, accept rate and
            non-craft refused (thresholds refitted in each resample; `heldout.bootstrap_metrics`); 0: none.
        targets: the calibration targets the intervals' thresholds are fitted to (`accept_precision`,
            `noncraft_caught`, `craft_to_not_a_craft_max`); default those of `CalibrationConfig`.
    """
    from .config import CalibrationConfig

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train, val, names = load_split(split_json)
    res = onnx_outputs(model_path, val)
    predictor = res["predictor"]
    if predictor.class_names != names:
        raise ModelFileError(f"The model's classes {predictor.class_names} differ from the split's {names}: "
                             "evaluate a model on the split of the run that trained it.")
    index = {c: i for i, c in enumerate(names)}
    y = np.array([index[s.label] for s in val])
    probs, logits = res["probs"], res["logits"]
    summary = classification_summary(probs, y, names)
    meta = predictor.metadata
    report = {
        "model": str(model_path),
        "model_version": predictor.version,
        "validation_in_training": meta.training.refit_on_all_photos,
        "split": str(split_json),
        "split_notes": json.loads(Path(split_json).read_text())["notes"],
        "val_photos": len(val),
        "metrics": {k: summary[k] for k in ("top1", "top3", "macro_f1", "ece")},
        "craft_only": {k: v for k, v in craft_only(probs, y, names).items() if k in ("n", "top1", "top3", "macro_f1")},
        "per_class": summary["per_class"],
        "confusion_matrix": summary["confusion_matrix"],
        "class_names": names,
        "calibration": {
            "temperature": meta.calibration.temperature,
            "ece_before": expected_calibration_error(softmax(logits), y),
            "ece_after": expected_calibration_error(probs, y),
        },
        "decisions": decision_report(probs, y, names, predictor.decision_rule),
        "thresholds": asdict(predictor.decision_rule),
        "product_thresholds": asdict(predictor.product_decision_rule),
        "products": product_report(probs, y, val, names, predictor.decision_rule, predictor.product_decision_rule),
        "seconds_per_image": res["seconds_per_image"],
    }
    if n_boot:
        t = {**asdict(CalibrationConfig()), **(targets or {})}
        figures = bootstrap_metrics(probs, y, names, n_boot=n_boot, accept_precision=t["accept_precision"],
                                    noncraft_caught=t["noncraft_caught"], craft_to_nac_max=t["craft_to_not_a_craft_max"])
        report["intervals"] = {"n_boot": n_boot, "level": 0.95, "targets": t,
                               **{k: figures[k] for k in ("top1", "macro_f1", "accept_rate", "noncraft_refused")}}
    _plots(out_dir, summary, reliability_bins(softmax(logits), y), reliability_bins(probs, y))
    if baselines:
        backbone = meta.backbone.split("+")[0]  # combined backbones: the baselines of the first one
        lr = baseline_logistic(backbone, train, val, names, cache_dir)
        inet = baseline_imagenet(backbone, val, names)
        report["baselines"] = {
            "logistic_regression_frozen": {k: lr[k] for k in ("top1", "top3", "macro_f1")},
            "imagenet_mapped": {k: inet[k] for k in ("top1", "top3", "macro_f1")} | {"coverage": inet["coverage"]},
        }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "report.md").write_text(render_markdown(report))
    return report


def render_markdown(r: dict) -> str:
    m = r["metrics"]
    lines = [
        "# Validation report",
        "",
    ]
    if r.get("validation_in_training"):
        lines += ["**Warning: this model was trained on these validation photos too (refit on all photos); the figures "
                  "below are not held-out figures. Evaluate the validation run's model (`validation/` beside it) for those.**", ""]
    lines += [
        f"Model `{r['model_version']}` on {r['val_photos']} validation photos (sources held out from training; see the model card).",
        "",
        "| model | top-1 | top-3 | macro-F1 |",
        "|---|---|---|---|",
        f"| this recipe (validation-run model) | {m['top1']:.3f} | {m['top3']:.3f} | {m['macro_f1']:.3f} |",
    ]
    for name, b in r.get("baselines", {}).items():
        lines.append(f"| baseline: {name.replace('_', ' ')} | {b['top1']:.3f} | {b['top3']:.3f} | {b['macro_f1']:.3f} |")
    co = r["craft_only"]
    lines += [
        "",
        f"Craft photos only ({co['n']}; {sum(c != NOT_A_CRAFT for c in r['class_names'])} classes): top-1 {co['top1']:.3f}, "
        f"macro-F1 {co['macro_f1']:.3f}.",
        *([""] + interval_lines(r["intervals"]) if r.get("intervals") else []),
    ]
    if "baselines" in r:
        cov = r["baselines"]["imagenet_mapped"]["coverage"]
        lines += ["", f"ImageNet mapping covers {', '.join(cov['categories_mapped'])} "
                      f"({cov['val_photos_in_mapped_categories']:.0%} of validation photos; top-1 there {cov['top1_on_mapped_categories']:.3f}); "
                      f"no ImageNet class maps to {', '.join(cov['categories_unmapped'])}."]
    c = r["calibration"]
    lines += ["", "## Calibration", "",
              f"Temperature {c['temperature']:.3f} fitted on validation: ECE {c['ece_before']:.3f} before, {c['ece_after']:.3f} after. "
              "See reliability.png."]
    d, t = r["decisions"], r["thresholds"]
    lines += ["", "## Decisions", "",
              f"Thresholds: not_a_craft when P(not a craft) >= {t['not_a_craft_min_probability']:.2f}; otherwise accept when "
              f"the top craft category has p >= {t['accept_min_probability']:.2f}; otherwise review.", "",
              "| photos | n | accept | review | not_a_craft |", "|---|---|---|---|---|"]
    for k in ("craft", "not_a_craft"):
        lines.append(f"| {k} | {d[k]['n']} | {d[k]['accept']:.1%} | {d[k]['review']:.1%} | {d[k]['not_a_craft']:.1%} |")
    ap = d["accept_precision"]
    lines += ["", f"Precision of accept: {ap:.1%}" if ap is not None else "No photo accepted.",
              f"Non-craft photos caught (review or not_a_craft): {d['noncraft_caught']:.1%}" if d["noncraft_caught"] is not None else "",
              f"Craft photos sent to not_a_craft: {d['craft_sent_to_not_a_craft']:.1%}", "",
              *product_lines(r.get("products", {}), r.get("product_thresholds")),
              "## Per class", "", "| class | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, pc in r["per_class"].items():
        lines.append(f"| {name} | {pc['precision']:.2f} | {pc['recall']:.2f} | {pc['f1']:.2f} | {int(pc['support'])} |")
    lines += ["", f"Inference time: {r['seconds_per_image'] * 1000:.1f} ms per photo (decode + preprocess + model, batches of 16, this machine).",
              "", "![confusion](confusion.png) ![reliability](reliability.png)", ""]
    return "\n".join(lines)
