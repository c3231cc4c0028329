"""Serving: an ONNX model on CPU through onnxruntime. Needs numpy, Pillow and onnxruntime only.

`load_predictor(path)` reads everything from the model file's metadata and refuses a file that
lacks any of it; `Predictor.predict` returns `Prediction` objects that the CLI, the app and the
review store all consume.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
from PIL import Image

from .data import file_sha256
from .errors import CraftvisionError, ImageError, ModelFileError
from .images import load_image
from .metadata import DecisionRule, ModelMetadata
from .preprocess import preprocess_image
from .results import (NOT_A_CRAFT, CategoryScore, Prediction, ProductPrediction, craft_view, decide,
                      fuse_probabilities)
from .taxonomy import Taxonomy, load_taxonomy

__all__ = ["NOT_A_CRAFT", "CategoryScore", "Prediction", "ProductPrediction", "Predictor", "craft_view",
           "decide", "default_model_path", "fuse_probabilities", "load_predictor"]



def default_model_path() -> Path:
    """The shipped model: ``$CRAFTVISION_MODEL``, else ``models/craftvision.onnx`` of this checkout."""
    env = os.environ.get("CRAFTVISION_MODEL")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "models" / "craftvision.onnx"
        if candidate.exists():
            return candidate
    return Path("models") / "craftvision.onnx"


class Predictor:
    """An ONNX craft classifier with its preprocessing, decision thresholds and HS taxonomy."""

    def __init__(self, path: str | Path, *, threads: int | None = None, spinning: bool = False,
                 verify_checksum: bool = True, taxonomy: Taxonomy | None = None):
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelFileError(f"The model file '{self.path}' does not exist: run `craftvision export` or pass --model.")
        digest = file_sha256(self.path)
        if verify_checksum:
            _verify_checksum(self.path, digest)
        opts = ort.SessionOptions()
        # threads = cores: the 2-core target machine; spinning off in a server so idle workers
        # do not burn the CPU between requests (on for batch jobs, where it shaves latency).
        opts.intra_op_num_threads = threads or os.cpu_count() or 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelFileError(f"The model file '{self.path}' could not be loaded by onnxruntime: {exc}") from None
        raw = self.session.get_modelmeta().custom_metadata_map.get("craftvision")
        if raw is None:
            raise ModelFileError(
                f"The model file '{self.path}' has no craftvision metadata: export it with `craftvision export`."
            )
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise ModelFileError(f"The model file '{self.path}' has unreadable craftvision metadata ({exc}): re-export it.") from None
        self.metadata: ModelMetadata = ModelMetadata.from_dict(doc, f"The model file '{self.path}' metadata")
        self.class_names: list[str] = list(self.metadata.class_names)
        self.spec = self.metadata.preprocess
        self.decision_rule: DecisionRule = self.metadata.calibration.decision
        # fitted on fused validation products of several photos (see `predict_product`)
        self.product_decision_rule: DecisionRule = self.metadata.calibration.product_decision
        self.sha256 = digest
        self.version = f"{self.metadata.backbone}@{digest[:12]}"
        self.taxonomy = taxonomy or load_taxonomy()
        unknown = [c for c in self.class_names if c not in self.taxonomy.categories]
        if unknown:
            raise ModelFileError(
                f"The model predicts classes missing from the HS taxonomy: {unknown}; "
                f"the taxonomy knows {sorted(self.taxonomy.categories)}."
            )
        self._outputs = [o.name for o in self.session.get_outputs()]

    # -- the model ------------------------------------------------------------------------
    def run(self, batch: np.ndarray, outputs: Sequence[str] = ("probabilities",)) -> list[np.ndarray]:
        """Run the graph on a preprocessed batch (N, 3, H, W) float32."""
        return self.session.run(list(outputs), {"image": np.ascontiguousarray(batch, dtype=np.float32)})

    def load(self, source, name: str | None = None) -> Image.Image:
        """Decode a photo at the reduced size this model needs."""
        return load_image(source, name=name, min_side=self.spec.resize_size)

    def preprocess(self, image: Image.Image, name: str = "image") -> np.ndarray:
        return preprocess_image(image, self.spec, name)

    def _to_prediction(self, probs: np.ndarray, source: str, top_k: int, answers: dict | None,
                       embedding: np.ndarray | None = None) -> Prediction:
        craft_probs, craft_names, p_nac = craft_view(probs, self.class_names)
        order = np.argsort(-craft_probs)[: max(1, top_k)]
        cats = [CategoryScore(craft_names[i], float(craft_probs[i])) for i in order]
        decision = decide(probs, self.class_names, self.decision_rule)
        hs = self.taxonomy.suggest(cats[0].name, answers or {}) if decision != "not_a_craft" else None
        return Prediction(source, cats, decision, self.version, p_nac, hs, embedding=embedding)

    # -- public API -----------------------------------------------------------------------
    def predict(self, source, *, top_k: int = 3, answers: dict | None = None, name: str | None = None) -> Prediction:
        """Predict one photo (path, bytes, file object or PIL image)."""
        t0 = time.perf_counter()
        display = name or (Path(source).name if isinstance(source, (str, os.PathLike)) else "upload")
        x = self.preprocess(self.load(source, display), display)
        probs, emb = self.run(x[None], ("probabilities", "embedding"))
        pred = self._to_prediction(probs[0], display, top_k, answers, emb[0])
        pred.seconds = time.perf_counter() - t0
        return pred

    def predict_product(self, sources: Sequence, *, top_k: int = 3, answers: dict | None = None,
                        names: Sequence[str] | None = None, with_maps: bool = False) -> ProductPrediction:
        """One ranking and one decision for one product from its photos (one model pass per photo).

        The photos' calibrated probabilities are fused by averaging their log-probabilities
        (`fuse_probabilities`). Fusing sharpens agreeing evidence, so the single-photo thresholds
        do not describe a fused prediction: with two or more photos the decision uses the model
        file's own product thresholds (``calibration.product_decision``, fitted on fused
        validation products by `craftvision calibrate` or the recipe; a file exported without
        calibration says "not fitted" there and holds conservative defaults). One photo is a
        single-photo prediction and uses the single-photo rule (``decision_rule == "single_photo"``).

        Args:
            sources: paths, bytes, file objects or PIL images of the same product.
            top_k: categories kept in the fused ranking and in each photo's own prediction.
            answers: taxonomy answers applied to the fused top category's HS suggestion.
            names: display names of the photos (default: file names, else ``photo1``, ``photo2``...).
            with_maps: also return, per photo, the class activation map of the fused top class
                (``heats``; same model pass).

        Raises:
            ImageError: no photo was given, or one cannot be decoded (the message names it).
        """
        sources = list(sources)
        if not sources:
            raise ImageError("A product needs at least one photo; got none. Pass one or more photos of the same product.")
        rule = self.product_decision_rule if len(sources) > 1 else self.decision_rule
        display = list(names) if names else [
            Path(s).name if isinstance(s, (str, os.PathLike)) else f"photo{i + 1}" for i, s in enumerate(sources)]
        x = np.stack([self.preprocess(self.load(s, n), n) for s, n in zip(sources, display)])
        outs = self.run(x, ("probabilities", "class_maps") if with_maps else ("probabilities",))
        probs = outs[0]  # (K, C): one pass per photo, in one batch
        photos = [self._to_prediction(p, n, top_k, None) for p, n in zip(probs, display)]
        fused = fuse_probabilities(probs)
        craft_probs, craft_names, p_nac = craft_view(fused, self.class_names)
        order = np.argsort(-craft_probs)[: max(1, top_k)]
        cats = [CategoryScore(craft_names[i], float(craft_probs[i])) for i in order]
        decision = decide(fused, self.class_names, rule)
        hs = self.taxonomy.suggest(cats[0].name, answers or {}) if decision != NOT_A_CRAFT else None
        heats = [self._heat(p, m, cats[0].name)[0] for p, m in zip(probs, outs[1])] if with_maps else None
        return ProductPrediction(cats, decision, hs, p_nac, photos, [p.top.name != cats[0].name for p in photos],
                                 self.version, "product" if len(sources) > 1 else "single_photo", heats)

    def predict_batch(self, images: Sequence[Image.Image], names: Sequence[str] | None = None, *,
                      top_k: int = 3, answers: dict | None = None) -> list[Prediction]:
        """Predict decoded images in one model call."""
        names = list(names or [f"image{i}" for i in range(len(images))])
        if not images:
            return []
        x = np.stack([self.preprocess(im, n) for im, n in zip(images, names)])
        probs = self.run(x)[0]
        return [self._to_prediction(p, n, top_k, answers) for p, n in zip(probs, names)]

    def iter_predict(self, paths: Iterable, *, top_k: int = 3, batch_size: int = 16,
                     workers: int | None = None, answers: dict | None = None) -> Iterator[Prediction | CraftvisionError]:
        """Stream predictions over many files in bounded memory, decoding in parallel threads.

        Yields a `Prediction` per readable file and the `ImageError` for each unreadable one, in
        input order. At most ``2 * batch_size`` decoded photos are held at any time, so 10,000
        photos stream in the same memory as 32. Each item is a path (shown by its file name) or
        a ``(path, display name)`` pair.
        """
        workers = workers or os.cpu_count() or 1

        def prepare(item):
            path, name = (Path(item[0]), item[1]) if isinstance(item, tuple) else (Path(item), Path(item).name)
            try:
                return name, self.preprocess(self.load(path, name), name)
            except ImageError as exc:
                return name, exc

        with ThreadPoolExecutor(max_workers=workers) as pool:
            # Two batches in flight: the next batch decodes (threads, GIL released) while the model
            # runs on the current one, so decoding and inference overlap.
            current, upcoming = [], []
            for p in paths:
                upcoming.append(pool.submit(prepare, p))
                if len(upcoming) >= batch_size:
                    if current:
                        yield from self._flush(current, top_k, answers)
                    current, upcoming = upcoming, []
            if current:
                yield from self._flush(current, top_k, answers)
            if upcoming:
                yield from self._flush(upcoming, top_k, answers)

    def _flush(self, futures, top_k, answers):
        done = [f.result() for f in futures]
        good = [(i, name, x) for i, (name, x) in enumerate(done) if not isinstance(x, Exception)]
        results: list = [x if isinstance(x, Exception) else None for _, x in done]
        if good:
            probs = self.run(np.stack([x for _, _, x in good]))[0]
            for (i, name, _), p in zip(good, probs):
                results[i] = self._to_prediction(p, name, top_k, answers)
        yield from results

    def class_activation_map(self, image: Image.Image, class_name: str | None = None) -> tuple[np.ndarray, str]:
        """Where the model looked: the class map of the top (or given) class, in [0, 1] at crop size.

        Returns:
            (heat, class_name): heat is (H, W) float32 matching the model's centre crop.
        """
        probs, maps = self.run(self.preprocess(image)[None], ("probabilities", "class_maps"))
        return self._heat(probs[0], maps[0], class_name)

    def predict_with_map(self, image: Image.Image, *, name: str = "upload", top_k: int = 3,
                         answers: dict | None = None) -> tuple[Prediction, np.ndarray]:
        """One model pass giving both the prediction and the top class's activation map (the app's path)."""
        t0 = time.perf_counter()
        probs, emb, maps = self.run(self.preprocess(image, name)[None], ("probabilities", "embedding", "class_maps"))
        pred = self._to_prediction(probs[0], name, top_k, answers, emb[0])
        pred.seconds = time.perf_counter() - t0
        return pred, self._heat(probs[0], maps[0], None)[0]

    def _heat(self, probs: np.ndarray, maps: np.ndarray, class_name: str | None) -> tuple[np.ndarray, str]:
        idx = int(np.argmax(probs)) if class_name is None else self.class_names.index(class_name)
        cam = maps[idx]
        cam = np.maximum(cam - cam.mean(), 0)  # keep what raises this class above its own average
        cam = cam / cam.max() if cam.max() > 0 else cam
        h, w = self.spec.input_size
        heat = np.asarray(Image.fromarray((cam * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC),
                          dtype=np.float32) / 255.0
        return heat, self.class_names[idx]

    def explain(self, image: Image.Image, class_name: str | None = None) -> Image.Image:
        """The centre crop the model saw, with its class activation map overlaid in red."""
        from .preprocess import resize_and_crop

        heat, _ = self.class_activation_map(image, class_name)
        crop = np.asarray(resize_and_crop(image, self.spec), dtype=np.float32)
        red = np.zeros_like(crop)
        red[..., 0] = 255
        alpha = (0.6 * heat)[..., None]
        return Image.fromarray((crop * (1 - alpha) + red * alpha).clip(0, 255).astype(np.uint8))


def _verify_checksum(path: Path, digest: str) -> None:
    sidecar = Path(str(path) + ".sha256")
    if not sidecar.exists():
        raise ModelFileError(
            f"The model file '{path}' has no recorded checksum ({sidecar.name}); re-export it, or pass "
            "verify_checksum=False for a file you trust."
        )
    recorded = sidecar.read_text().split()[0].strip().lower()
    if recorded != digest:
        raise ModelFileError(
            f"The model file '{path}' does not match its recorded SHA-256 ({recorded[:12]}... recorded, "
            f"{digest[:12]}... found): it was changed or corrupted; restore it."
        )


def load_predictor(path: str | Path | None = None, **kwargs) -> Predictor:
    """Load a model file written by `craftvision export` (the shipped model by default)."""
    return Predictor(path or default_model_path(), **kwargs)
