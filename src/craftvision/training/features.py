"""Frozen-backbone embeddings, cached by content hash, and heads trained on them.

Used for the head-only retraining (seconds on a CPU once the embeddings are cached), for the
logistic-regression baseline of the report, and for the not-a-craft statistics.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from ..data import Sample, file_sha256
from ..images import load_image
from ..preprocess import PreprocessSpec, preprocess_image
from .memory import retain_freed_memory


def _flip(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x[:, :, ::-1])


_TRAIN_TF = {}


def _augmented(image, spec: PreprocessSpec, seed: int) -> np.ndarray:
    """One seeded training-style view of an image (the training transform of the same spec)."""
    from .transforms import build_train_transform

    key = spec
    if key not in _TRAIN_TF:
        _TRAIN_TF[key] = build_train_transform(spec)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        return _TRAIN_TF[key](image).numpy()
    finally:
        torch.random.set_rng_state(state)


def view_batch(samples: list[Sample], idx: list[int], hashes: list[str], spec: PreprocessSpec, views: int) -> np.ndarray:
    """The views of photos `idx`, photo by photo: (len(idx) * views, 3, H, W) float32.

    View 0 is the evaluation crop, view 1 its mirror, views 2+ seeded augmented crops (the seed is
    the photo's content hash, so a view is the same whenever it is computed).
    """
    batch = []
    for i in idx:
        im = load_image(samples[i].path, min_side=spec.resize_size)
        a = preprocess_image(im, spec)
        batch.append(a)
        if views > 1:
            batch.append(_flip(a))
        for k in range(2, views):
            batch.append(_augmented(im, spec, int(hashes[i][:8], 16) + k))
    return np.stack(batch)


class EmbeddingCache:
    """Arrays per photo (pooled embeddings, or cached activations) keyed by model and content hash.

    One ``.npz`` per key under `root`; only photos whose hash is new are computed on the next run.
    """

    def __init__(self, root: str | Path, model_key: str):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / f"{model_key}.npz"
        self.data: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as z:
                self.data = {k: z[k] for k in z.files}

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.data)
        tmp.replace(self.path)


def model_key(model: torch.nn.Module, spec: PreprocessSpec, name: str, views: int) -> str:
    """A key that changes when the backbone weights, the preprocessing or the views change."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        if "classifier" in k:
            continue
        h.update(k.encode())
        h.update(v.detach().float().numpy().tobytes()[:4096])
    h.update(json.dumps(spec.to_dict(), sort_keys=True).encode())
    return f"{name}-v{views}-{h.hexdigest()[:12]}"


@torch.no_grad()
def embed_samples(model, samples: list[Sample], spec: PreprocessSpec, cache_dir: str | Path | None = None,
                  name: str = "backbone", views: int = 1, batch_size: int = 32, progress: bool = True):
    """Pooled embeddings (N, views, D) of `samples`.

    View 0 is the evaluation crop, view 1 its mirror, views 2+ are augmented crops (random
    resized crop, flip, colour jitter), seeded by the photo's content hash so they are
    reproducible and cacheable.

    Returns:
        (embeddings, hashes, n_computed): embeddings in sample order, the content hash of each
        photo, and how many were computed now (the rest came from the cache).
    """
    if hasattr(model, "member_names"):  # combined backbones: each member's embeddings, cached under its own name
        parts = [embed_samples(m, samples, spec, cache_dir, n, views, batch_size, progress)
                 for m, n in zip(model.members, model.member_names)]
        return np.concatenate([p[0] for p in parts], axis=-1), parts[0][1], max(p[2] for p in parts)
    model.eval()
    retain_freed_memory()  # large activations otherwise cost more kernel time (page faults) than compute
    cache = EmbeddingCache(cache_dir, model_key(model, spec, name, views)) if cache_dir else None
    hashes = [file_sha256(s.path) for s in samples]
    todo = [i for i, h in enumerate(hashes) if cache is None or h not in cache.data]
    computed: dict[str, np.ndarray] = {}
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"embedding ({name})", unit="img", leave=False)
    for start in range(0, len(todo), batch_size):
        idx = todo[start:start + batch_size]
        x = torch.from_numpy(view_batch(samples, idx, hashes, spec, views))  # (B * views, 3, H, W)
        emb = model.forward_head(model.forward_features(x), pre_logits=True).numpy()
        emb = emb.reshape(len(idx), views, -1)
        for j, i in enumerate(idx):
            computed[hashes[i]] = emb[j].astype(np.float32)
        if bar:
            bar.update(len(idx))
    if bar:
        bar.close()
    if cache is not None:
        cache.data.update(computed)
        cache.save()
        source = cache.data
    else:
        source = computed
    return np.stack([source[h] for h in hashes]), hashes, len(todo)
