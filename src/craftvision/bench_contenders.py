"""The contenders of `craftvision bench` and how each is measured (see bench.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class BenchContext:
    """What every contender is measured on: the shipped model, its fp32 predictor, the photos."""

    model: object
    fp32: object
    threads: int
    photos: list
    large: list
    repeats: int
    val: list
    names: list | None
    checkpoint: object


def _rss_peak_reset() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)
    except OSError:
        pass


def _rss_peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile_ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def _accuracy(predict_many, samples, names) -> float | None:
    if not samples:
        return None
    index = {c: i for i, c in enumerate(names)}
    correct = 0
    for start in range(0, len(samples), 16):
        chunk = samples[start:start + 16]
        probs = predict_many([s.path for s in chunk])
        correct += int((probs.argmax(1) == np.array([index[s.label] for s in chunk])).sum())
    return correct / len(samples)


def _batched_throughput(many, batch_size: int = 16):
    """Photos per second of a sequential loop over batches (the torch contenders' folder mode)."""
    def stream(paths):
        t = time.perf_counter()
        for start in range(0, len(paths), batch_size):
            many(paths[start:start + batch_size])
        return len(paths) / (time.perf_counter() - t)

    return stream


def _measure(tag, one, many, stream, load_s, photos, large, repeats, val, names) -> dict:
    for p in (photos[:2] or large[:1]):
        one(p)  # warm-up
    real_t, real_d, large_t, large_d = [], [], [], []
    for _ in range(repeats):
        for p in photos:
            t, d = one(p)
            real_t.append(t)
            real_d.append(d)
        for p in large:
            t, d = one(p)
            large_t.append(t)
            large_d.append(d)
    batch_paths = (large * 4)[:32]
    thr = stream(batch_paths)
    acc = _accuracy(many, val, names) if val and many else None  # extra contenders: timing only
    return {
        "name": tag, "load_s": load_s,
        "real_p50_ms": percentile_ms(real_t, 50) if real_t else None, "real_p95_ms": percentile_ms(real_t, 95) if real_t else None,
        "real_decode_p50_ms": percentile_ms(real_d, 50) if real_d else None,
        "large_p50_ms": percentile_ms(large_t, 50), "large_p95_ms": percentile_ms(large_t, 95), "large_decode_p50_ms": percentile_ms(large_d, 50),
        "throughput_12mp_per_s": thr, "peak_rss_mb": _rss_peak_mb(), "val_top1": acc,
    }




def _onnx_accuracy(ctx: BenchContext, path):
    from .predictor import load_predictor

    p = load_predictor(path, threads=ctx.threads, spinning=True)
    return lambda paths: p.run(np.stack([p.preprocess(p.load(x)) for x in paths]))[0]


def _stream(ctx: BenchContext, pred, paths):
    """Folder mode as `craftvision predict` runs it: parallel decode, batches of 8, no spinning
    (spinning inference threads would steal the cores the decoders need)."""
    from .predictor import load_predictor

    pred = load_predictor(pred.path, threads=ctx.threads, spinning=False)
    t = time.perf_counter()
    n = sum(1 for r in pred.iter_predict(paths, batch_size=8, workers=ctx.threads) if not isinstance(r, Exception))
    return n / (time.perf_counter() - t)


def onnx_contender(ctx: BenchContext, tag: str, path, load_s: float, acc_path) -> dict:
    """c and d: craftvision through onnxruntime (the fp32 predictor is reused for the shipped file)."""
    from .predictor import load_predictor

    _rss_peak_reset()
    t0 = time.perf_counter()
    pred = load_predictor(path, threads=ctx.threads, spinning=True) if path != ctx.model else ctx.fp32
    load = load_s if path == ctx.model else time.perf_counter() - t0

    def one(p):
        t = time.perf_counter()
        im = pred.load(p)
        d = time.perf_counter() - t
        pred.run(pred.preprocess(im)[None])
        return time.perf_counter() - t, d

    return _measure(tag, one, _onnx_accuracy(ctx, acc_path) if acc_path else None, lambda paths: _stream(ctx, pred, paths), load, ctx.photos,
                    ctx.large, ctx.repeats, ctx.val, ctx.names)


def _torch_model(ctx: BenchContext):
    from .training.models import create_model

    if ctx.checkpoint and Path(ctx.checkpoint).exists():
        from .training.checkpoint import load_checkpoint, model_from_checkpoint

        return model_from_checkpoint(load_checkpoint(ctx.checkpoint))
    return create_model(ctx.fp32.metadata.backbone, len(ctx.fp32.class_names), pretrained=True).eval()


def peer_contender(ctx: BenchContext) -> dict:
    """a: Pillow full-size decode + timm's own eval transform + eager torch, batch of one."""
    import timm
    import torch
    from PIL import Image

    _rss_peak_reset()
    t0 = time.perf_counter()
    m = _torch_model(ctx).eval()
    # timm's own eval transform for the model, at the input size the model was trained for
    cfg = timm.data.resolve_data_config({"input_size": (3, *ctx.fp32.spec.input_size)}, model=m)
    tf = timm.data.create_transform(**cfg)
    load = time.perf_counter() - t0

    def one(p):
        t = time.perf_counter()
        im = Image.open(p).convert("RGB")  # full-size decode, as timm's inference script does
        d = time.perf_counter() - t
        with torch.no_grad():
            m(tf(im)[None]).softmax(1)
        return time.perf_counter() - t, d

    def many(paths):
        with torch.no_grad():
            return m(torch.stack([tf(Image.open(p).convert("RGB")) for p in paths])).softmax(1).numpy()

    return _measure("a. peer: Pillow full decode + timm eager torch", one, many, _batched_throughput(many), load,
                    ctx.photos, ctx.large, ctx.repeats, [], ctx.names)


def torch_contender(ctx: BenchContext) -> dict:
    """b: craftvision's reduced-size decode and shared preprocessing + the torch model."""
    import torch

    from .training.models import ExportWrapper

    fp32 = ctx.fp32
    _rss_peak_reset()
    t0 = time.perf_counter()
    m = ExportWrapper(_torch_model(ctx), fp32.metadata.calibration.temperature).eval()
    load = time.perf_counter() - t0

    def one(p):
        t = time.perf_counter()
        im = fp32.load(p)
        d = time.perf_counter() - t
        with torch.no_grad():
            m(torch.from_numpy(fp32.preprocess(im)[None]))
        return time.perf_counter() - t, d

    def many(paths):
        with torch.no_grad():
            return m(torch.from_numpy(np.stack([fp32.preprocess(fp32.load(p)) for p in paths])))[0].numpy()

    return _measure("b. craftvision + torch", one, many, _batched_throughput(many), load, ctx.photos, ctx.large,
                    ctx.repeats, [], ctx.names)


def interleaved_runs(a, b, inputs_a: list, inputs_b: list, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds of each `run` call of predictors a and b, each call of b right after a's on the same photo."""
    ta, tb = [], []
    for _ in range(repeats):
        for u, v in zip(inputs_a, inputs_b):
            for pred, x, times in ((a, u, ta), (b, v, tb)):
                t = time.perf_counter()
                pred.run(x)
                times.append(time.perf_counter() - t)
    return ta, tb


def head_to_head(ctx: BenchContext, other_path, rounds: int = 5) -> dict:
    """The shipped model against another one, 12 MP photo to decision, interleaved photo by photo.

    Each call of one model is followed by a call of the other on the same photo (`Predictor.predict`:
    reduced-size decode, preprocessing, model, decision and HS suggestion), so drift of a shared
    machine hits both alike; the ratio of the two medians is the figure to judge a model change on.
    Then the model alone, interleaved the same way on preprocessed inputs. No spinning: a session's
    threads spinning after its call would steal the cores from the other's.
    """
    from .predictor import load_predictor

    a = load_predictor(ctx.model, threads=ctx.threads, spinning=False)
    b = load_predictor(other_path, threads=ctx.threads, spinning=False)
    for p in ctx.large[:1]:
        a.predict(p)
        b.predict(p)
    ta, tb = [], []
    for i in range(rounds):
        for p in ctx.large:
            for pred, times in ((a, ta), (b, tb)) if i % 2 == 0 else ((b, tb), (a, ta)):  # alternate who goes first
                t = time.perf_counter()
                pred.predict(p)
                times.append(time.perf_counter() - t)
    xa, xb = ([x.preprocess(x.load(p))[None] for p in ctx.large] for x in (a, b))
    ma, mb = interleaved_runs(a, b, xa, xb, rounds)
    out = {"calls_each": len(ta), "shipped_p50_ms": percentile_ms(ta, 50), "other_p50_ms": percentile_ms(tb, 50),
           "model_only_shipped_p50_ms": percentile_ms(ma, 50), "model_only_other_p50_ms": percentile_ms(mb, 50)}
    out["ratio"] = out["shipped_p50_ms"] / out["other_p50_ms"]
    out["model_only_ratio"] = out["model_only_shipped_p50_ms"] / out["model_only_other_p50_ms"]
    return out
