"""Calibration without retraining: temperature, single-photo and fused-product thresholds.

`fit_calibration` is what the recipe and `craftvision calibrate` share: temperature scaling on
validation logits, the single-photo thresholds on validation photos, and the product thresholds
on the fused predictions of validation products of several photos (`splitfile.group_products`).
`calibrate_model` rewrites an exported file in place: the temperature inside the graph, the
metadata, its ``.sha256`` and the folder's ``SHA256SUMS``. A model refit on all photos is
calibrated on its validation-run model's outputs, never on photos it trained on.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..images import load_image
from ..metadata import Calibration, DecisionRule, HeldOutMetrics, ModelMetadata
from ..metrics import classification_summary, expected_calibration_error, fit_temperature, softmax
from ..preprocess import PreprocessSpec, preprocess_image
from ..results import fuse_batches
from ..splitfile import group_products, read_split
from .thresholds import fit_thresholds

DEFAULT_TARGETS = {"accept_precision": 0.98, "noncraft_caught": 0.90, "craft_to_not_a_craft_max": 0.02}


def _rule(fitted: dict, fitted_on: str) -> DecisionRule:
    return DecisionRule(fitted["accept_min_probability"], fitted["not_a_craft_min_probability"], fitted["method"],
                        fitted_on, dict(fitted["targets"]))


def fit_calibration(logits: np.ndarray, val, class_names: list[str], where: str,
                    targets: dict | None = None) -> tuple[Calibration, HeldOutMetrics, dict]:
    """Fit temperature and both decision rules on validation outputs; measure the held-out figures.

    Args:
        logits: (N, C) raw logits of the validation-run model on the validation photos `val`.
        val: the validation `Sample`s (labels and source groups from the split file).
        where: "<split file> (<model file name>)", recorded as what everything was fitted on.
        targets: accept_precision, noncraft_caught, craft_to_not_a_craft_max.

    Returns:
        (calibration, held-out metrics, products): products counts the validation products of
        two or more photos and their photos; with none, the product rule is recorded "not fitted".
    """
    t = {**DEFAULT_TARGETS, **(targets or {})}
    index = {c: i for i, c in enumerate(class_names)}
    y = np.array([index[s.label] for s in val])
    temperature = fit_temperature(logits, y)
    probs = softmax(logits, temperature)
    args = (t["accept_precision"], t["noncraft_caught"], t["craft_to_not_a_craft_max"])
    rule = _rule(fit_thresholds(probs, y, class_names, *args), f"{len(y)} validation photos of {where}")
    products = [p for p in group_products(val) if len(p) > 1]
    n_photos = sum(len(p) for p in products)
    if products:
        fused = fuse_batches(probs, products)
        y_products = y[[p[0] for p in products]]
        product_rule = _rule(fit_thresholds(fused, y_products, class_names, *args),
                             f"{len(products)} validation products of 2+ photos ({n_photos} photos; same class, source "
                             f"and file stem up to a -N/_N index) of {where}")
    else:
        product_rule = DecisionRule.defaults()
    summary = classification_summary(probs, y, class_names)
    split, _, model = where.partition(" (")
    held = HeldOutMetrics(model.rstrip(")"), split, len(y), summary["top1"], summary["top3"], summary["macro_f1"],
                          expected_calibration_error(probs, y))
    calibration = Calibration(temperature, f"{len(y)} validation photos of {where}", rule, product_rule)
    return calibration, held, {"products": len(products), "product_photos": n_photos,
                               "ece_before": expected_calibration_error(softmax(logits), y)}


def raw_metadata(path: str | Path) -> dict:
    """The craftvision JSON of an ONNX file, unparsed (for upgrades and error messages)."""
    import onnx

    if not Path(path).is_file():
        raise ModelFileError(f"The model file '{path}' does not exist: pass an ONNX file written by `craftvision export`.")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelFileError(f"The model file '{path}' could not be read as ONNX ({type(exc).__name__}): "
                             "pass a file written by `craftvision export`.") from None
    for entry in model.metadata_props:
        if entry.key == "craftvision":
            return json.loads(entry.value)
    raise ModelFileError(f"The model file '{path}' has no craftvision metadata: export it with `craftvision export`.")


def model_logits(path: str | Path, spec: PreprocessSpec, samples, batch_size: int = 16) -> np.ndarray:
    """Raw logits (N, C) of an ONNX model through the serving decode and preprocessing."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = []
    for start in range(0, len(samples), batch_size):
        chunk = samples[start:start + batch_size]
        x = np.stack([preprocess_image(load_image(s.path, min_side=spec.resize_size), spec) for s in chunk])
        out.append(sess.run(["logits"], {"image": x})[0])
    return np.concatenate(out)


def set_graph_temperature(model, temperature: float) -> None:
    """Set the temperature baked in the graph: the ``inv_temperature`` scalar before the softmax."""
    from onnx import numpy_helper

    inits = [i for i in model.graph.initializer if i.name == "inv_temperature"]
    if len(inits) != 1:
        raise ModelFileError("The model graph has no single 'inv_temperature' initializer (not exported by craftvision "
                             "export): re-export it from its checkpoint with --calibration-from.")
    inits[0].CopyFrom(numpy_helper.from_array(np.array(1.0 / temperature, dtype=np.float32), "inv_temperature"))


def _validation_run_model(path: Path, meta: ModelMetadata, fit_on: str | Path | None) -> Path:
    """The model whose outputs calibrate `path`: itself, or for a refit its validation-run model."""
    if not meta.training.refit_on_all_photos:
        return path
    if fit_on:
        return Path(fit_on)
    for candidate in (path.parent / str(meta.holdout_model), path.parent / "validation" / str(meta.holdout_model)):
        if meta.holdout_model and candidate.is_file():
            return candidate
    raise ModelFileError(f"The model file '{path}' was refit on all photos, validation photos included: calibrating it on "
                         "them would measure photos it trained on. Pass its validation-run model with --fit-on MODEL.")


def calibrate_model(model: str | Path, split_json: str | Path, fit_on: str | Path | None = None,
                    upgrade: bool = False, targets: dict | None = None) -> dict:
    """Refit temperature and thresholds of an exported model in place, without retraining.

    Args:
        model: the ONNX file to rewrite.
        split_json: the split file whose validation photos (and labels) calibrate it.
        fit_on: the validation-run model of a model refit on all photos (default: found from
            its metadata's `holdout_model` beside it or in ``validation/``).
        upgrade: the file has version-1 metadata; rebuild it from what that version recorded
            truthfully (see `upgrade_metadata`).
        targets: decision targets (default: those the file was fitted for, else `DEFAULT_TARGETS`).

    Returns:
        A summary: temperature, thresholds, products, held-out figures, new checksum.
    """
    import onnx

    from ..data import file_sha256
    from .export import write_checksums, write_metadata
    from .upgrade import upgrade_metadata

    path = Path(model)
    doc = raw_metadata(path)
    meta = upgrade_metadata(doc, split_json, path) if upgrade else ModelMetadata.from_dict(
        doc, f"The model file '{path}' metadata")
    train, val, names = read_split(split_json)
    if names != meta.class_names:
        raise ModelFileError(f"The model's classes {meta.class_names} differ from the split's {names}.")
    source = _validation_run_model(path, meta, fit_on)
    previous = meta.calibration.decision
    logits = model_logits(source, meta.preprocess, val)
    cal, held, products = fit_calibration(logits, val, names, f"{split_json} ({source.name})",
                                          targets or (previous.targets if previous.fitted else None))
    from dataclasses import replace

    meta = replace(meta, calibration=cal, held_out=held)
    graph = onnx.load(str(path))
    set_graph_temperature(graph, cal.temperature)
    tmp = path.with_suffix(".calibrating.onnx")
    onnx.save(graph, str(tmp))
    write_metadata(tmp, meta)
    _check_probabilities(tmp, meta.preprocess, val[:4], cal.temperature)
    tmp.replace(path)
    digest = file_sha256(path)
    Path(str(path) + ".sha256").write_text(f"{digest}  {path.name}\n")
    sums = next((d for d in (path.parent, path.parent.parent) if (d / "SHA256SUMS").exists()), None)
    if sums is not None:
        write_checksums(sums)
    return {"model": str(path), "fitted_on": str(source), "temperature": cal.temperature,
            "decision": cal.decision, "product_decision": cal.product_decision, **products,
            "held_out": held, "sha256": digest, "checksums": str(sums / "SHA256SUMS") if sums else None}


def _check_probabilities(path: Path, spec: PreprocessSpec, samples, temperature: float) -> None:
    """The rewritten file's probabilities must be softmax(logits / T) with the new T."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.stack([preprocess_image(load_image(s.path, min_side=spec.resize_size), spec) for s in samples])
    probs, logits = sess.run(["probabilities", "logits"], {"image": x})
    diff = float(np.abs(probs - softmax(logits, temperature)).max())
    if diff > 1e-5:
        path.unlink(missing_ok=True)
        raise ModelFileError(f"Calibration check failed: the graph's probabilities differ from softmax(logits / T) by {diff:.1e}.")
