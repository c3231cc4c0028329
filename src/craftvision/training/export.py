"""ONNX export with self-describing metadata and a parity check against torch on real inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..data import file_sha256
from ..errors import ModelFileError
from ..images import load_image
from ..metadata import MODEL_FORMAT, Calibration, HeldOutMetrics, ModelMetadata
from ..preprocess import PreprocessSpec, preprocess_image
from ..splitfile import read_split
from .checkpoint import load_checkpoint, model_from_checkpoint
from .models import ExportWrapper
from .provenance import training_record

METADATA_KEY = "craftvision"
OUTPUT_NAMES = ["probabilities", "logits", "embedding", "class_maps"]
#: Largest accepted difference between torch and onnxruntime probabilities.
PARITY_TOLERANCE = 1e-4


def _export_graph(wrapper: torch.nn.Module, example: torch.Tensor, path: Path) -> None:
    """Write the graph with a dynamic batch axis (TorchScript-based exporter, opset 17)."""
    torch.onnx.export(
        wrapper,
        (example,),
        str(path),
        input_names=["image"],
        output_names=OUTPUT_NAMES,
        dynamic_axes={"image": {0: "batch"}, **{n: {0: "batch"} for n in OUTPUT_NAMES}},
        opset_version=17,
        dynamo=False,
    )


DATA_SOURCE = "../shared/data/crafts and ../shared/data/noncraft (not redistributed)"


def build_metadata(ckpt: dict, checkpoint: str | Path, calibration: Calibration | None = None,
                   held_out: HeldOutMetrics | None = None, holdout_model: str | None = None) -> ModelMetadata:
    """The metadata stored in the ONNX ``metadata_props`` under the key ``craftvision``.

    Without `calibration` the file says explicitly that it was not calibrated (T = 1, default
    thresholds, ``fitted_on: "not fitted"``); without `held_out` it says it was never measured.
    """
    from ..taxonomy import load_taxonomy

    return ModelMetadata(
        format=MODEL_FORMAT, class_names=list(ckpt["class_names"]), preprocess=PreprocessSpec.from_dict(ckpt["preprocess"]),
        backbone=ckpt["backbone"], craftvision_version=__version__, taxonomy_version=load_taxonomy().version,
        outputs=list(OUTPUT_NAMES), calibration=calibration or Calibration.not_fitted(),
        training=training_record(ckpt, checkpoint), held_out=held_out, holdout_model=holdout_model, data_source=DATA_SOURCE)


def write_metadata(path: Path, meta: ModelMetadata) -> None:
    """Replace the craftvision metadata of an ONNX file (atomically)."""
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(meta.to_dict(), sort_keys=True)
    model.producer_name = "craftvision"
    model.producer_version = __version__
    tmp = path.with_suffix(".tmp.onnx")
    onnx.save(model, str(tmp))
    os.replace(tmp, path)


def parity_check(wrapper: torch.nn.Module, onnx_path: Path, inputs: np.ndarray) -> float:
    """Max absolute difference of probabilities between torch and onnxruntime on `inputs`."""
    import onnxruntime as ort

    with torch.no_grad():
        ref = wrapper(torch.from_numpy(inputs))[0].numpy()
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(["probabilities"], {"image": inputs})[0]
    return float(np.abs(ref - got).max())


def parity_inputs(spec: PreprocessSpec, image_paths: list[Path] | None, n: int = 8) -> np.ndarray:
    """Real photos (when given) preprocessed by the serving path; random noise only as a fallback."""
    arrays = []
    for p in (image_paths or [])[:n]:
        arrays.append(preprocess_image(load_image(p, min_side=spec.resize_size), spec))
    if not arrays:
        rng = np.random.default_rng(0)
        arrays = [rng.standard_normal((3, *spec.input_size)).astype(np.float32) for _ in range(2)]
    return np.stack(arrays)


def export_onnx(checkpoint: str | Path, out: str | Path, calibration: Calibration | None = None,
                parity_images: list[Path] | None = None, held_out: HeldOutMetrics | None = None,
                holdout_model: str | None = None) -> dict:
    """Export a checkpoint to ONNX, stamp its metadata, check parity and write its SHA-256.

    Args:
        calibration: temperature and thresholds (baked into the graph and the metadata); None
            exports an explicitly uncalibrated model (T = 1, default thresholds marked "not fitted").
        held_out: the held-out figures of the validation run (None: never measured).
        holdout_model: for a refit on all photos, the file name of its validation-run model.

    Returns:
        ``{"path", "parity_max_abs_diff", "sha256", "parity_inputs"}``.

    Raises:
        ModelFileError: the parity check fails (difference above `PARITY_TOLERANCE`).
    """
    ckpt = load_checkpoint(checkpoint)
    model = model_from_checkpoint(ckpt)
    spec = PreprocessSpec.from_dict(ckpt["preprocess"])
    meta = build_metadata(ckpt, checkpoint, calibration, held_out, holdout_model)
    wrapper = ExportWrapper(model, meta.calibration.temperature).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if parity_images is None:
        split = Path(checkpoint).parent / "split.json"
        if split.exists():
            parity_images = [s.path for s in read_split(split)[1]][:8]
    inputs = parity_inputs(spec, parity_images)
    tmp = out.with_suffix(".partial.onnx")
    _export_graph(wrapper, torch.from_numpy(inputs[:1]), tmp)
    write_metadata(tmp, meta)
    diff = parity_check(wrapper, tmp, inputs)
    if diff > PARITY_TOLERANCE:
        tmp.unlink(missing_ok=True)
        raise ModelFileError(
            f"ONNX parity check failed: max |p_torch - p_onnx| = {diff:.2e} > {PARITY_TOLERANCE:.0e}."
        )
    os.replace(tmp, out)
    digest = file_sha256(out)
    Path(str(out) + ".sha256").write_text(f"{digest}  {out.name}\n")
    return {"path": str(out), "parity_max_abs_diff": diff, "sha256": digest, "parity_inputs": len(inputs)}


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
