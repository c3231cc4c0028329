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
from ..preprocess import PreprocessSpec, preprocess_image
from .config import config_summary
from .models import ExportWrapper
from .checkpoint import load_checkpoint, model_from_checkpoint

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


def build_metadata(ckpt: dict, temperature: float, decision: dict | None, extra: dict | None,
                   product_decision: dict | None = None) -> dict:
    """The JSON stored in the ONNX ``metadata_props`` under the key ``craftvision``."""
    from ..taxonomy import load_taxonomy

    meta = {
        "format": "craftvision-model/1",
        "class_names": list(ckpt["class_names"]),
        "preprocess": ckpt["preprocess"],
        "backbone": ckpt["backbone"],
        "craftvision_version": __version__,
        "taxonomy_version": load_taxonomy().version,
        "temperature": float(temperature),
        "decision": decision or default_decision(),
        "product_decision": product_decision or default_decision(),
        "training": {
            "metrics": ckpt.get("metrics", {}),
            "config": config_summary(ckpt.get("config", {})),
            "run": ckpt.get("run", {}),
        },
        "outputs": OUTPUT_NAMES,
    }
    meta.update(extra or {})
    return meta


def default_decision() -> dict:
    """Conservative thresholds for a model whose thresholds were not fitted (e.g. test models)."""
    return {"accept_min_probability": 0.9, "not_a_craft_min_probability": 0.5, "method": "max-probability (defaults)"}


def write_metadata(path: Path, meta: dict) -> None:
    import onnx

    model = onnx.load(str(path))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(meta, sort_keys=True)
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


def export_onnx(checkpoint: str | Path, out: str | Path, temperature: float = 1.0, decision: dict | None = None,
                parity_images: list[Path] | None = None, extra_metadata: dict | None = None,
                product_decision: dict | None = None) -> dict:
    """Export a checkpoint to ONNX, stamp its metadata, check parity and write its SHA-256.

    Returns:
        ``{"path", "parity_max_abs_diff", "sha256", "parity_inputs"}``.

    Raises:
        ModelFileError: the parity check fails (difference above `PARITY_TOLERANCE`).
    """
    ckpt = load_checkpoint(checkpoint)
    model = model_from_checkpoint(ckpt)
    spec = PreprocessSpec.from_dict(ckpt["preprocess"])
    wrapper = ExportWrapper(model, temperature).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if parity_images is None:
        split = Path(checkpoint).parent / "split.json"
        if split.exists():
            parity_images = [Path(p) for p in json.loads(split.read_text()).get("val_files", [])][:8]
    inputs = parity_inputs(spec, parity_images)
    tmp = out.with_suffix(".partial.onnx")
    _export_graph(wrapper, torch.from_numpy(inputs[:1]), tmp)
    write_metadata(tmp, build_metadata(ckpt, temperature, decision, extra_metadata, product_decision))
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
