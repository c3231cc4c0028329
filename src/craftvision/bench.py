"""`craftvision bench`: every contender in one process, on the same photos, in one run.

Contenders:
  (a) peer: Pillow full-size decode + timm eager PyTorch on the same weights (what timm's
      inference script does: full decode, its own eval transform, batch of one);
  (b) craftvision with torch: reduced-size decode + the shared preprocessing + the torch model;
  (c) craftvision ONNX fp32 through onnxruntime;
  (d) craftvision ONNX INT8 (static QDQ quantisation calibrated on training photos).

Figures are ratios on one machine; the absolute numbers depend on the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench_contenders import interleaved_runs, percentile_ms
from .images import load_image
from .preprocess import preprocess_image


def quantize_int8(model_path: Path, out_path: Path, calibration: list[Path], spec) -> Path:
    """Static QDQ INT8 quantisation calibrated on real photos (per-channel weights, activations uint8).

    Weights use 7 bits (``reduce_range``): on CPUs without VNNI (AVX2 here) the u8 x s8 dot products
    saturate their 16-bit intermediates with full-range weights; measured on the held-out split,
    7-bit weights kept 0.616 top-1 against 0.557 with 8 bits (fp32: 0.698).
    """
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"image": preprocess_image(load_image(p, min_side=spec.resize_size), spec)[None]} for p in calibration])

        def get_next(self):
            return next(self.items, None)

    pre = out_path.with_suffix(".pre.onnx")
    quant_pre_process(str(model_path), str(pre), skip_symbolic_shape=True)
    quantize_static(str(pre), str(out_path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    op_types_to_quantize=["Conv", "MatMul", "Gemm"], reduce_range=True)
    pre.unlink(missing_ok=True)
    # carry the metadata (preprocessing, classes, thresholds) and record the checksum
    import onnx

    src, dst = onnx.load(str(model_path)), onnx.load(str(out_path))
    del dst.metadata_props[:]
    for p in src.metadata_props:
        e = dst.metadata_props.add()
        e.key, e.value = p.key, p.value
    onnx.save(dst, str(out_path))
    from .data import file_sha256

    Path(str(out_path) + ".sha256").write_text(f"{file_sha256(out_path)}  {out_path.name}\n")
    return out_path


def select_photos(folders: list[str | Path], n: int) -> list[Path]:
    """Up to `n` photos spread evenly over the first existing folder; generated photos when none exists."""
    from .images import iter_image_files

    photos = next((sorted(iter_image_files([d])) for d in folders if Path(d).exists()), [])
    photos = photos[:: max(1, len(photos) // n)][:n] if photos else []
    if not photos:
        from .synthetic import make_dataset

        root = make_dataset(Path(tempfile.mkdtemp()) / "gen", per_class=4, size=480)
        photos = sorted(iter_image_files([root]))
    return photos


def calibration_photos(folder: str | Path | None, n: int = 48, every: int = 25) -> list[Path]:
    """Every `every`-th photo of `folder` (at most `n`) for INT8 calibration; empty when it does not exist."""
    from .images import iter_image_files

    if not folder or not Path(folder).exists():
        return []
    return sorted(iter_image_files([folder]))[::every][:n]


def run_bench(model: str | Path, out_dir: str | Path, photos: list[Path], val_split: str | Path | None,
              checkpoint: str | Path | None, n_large: int = 8, repeats: int = 2, threads: int | None = None,
              calibration: list[Path] | None = None, contenders: dict[str, str | Path] | None = None) -> dict:
    """Run all contenders, plus `contenders` (tag -> other ONNX file, timed as c, no accuracy); write bench.json and bench.md."""
    import shutil

    import torch

    from .bench_contenders import BenchContext, head_to_head, onnx_contender, peer_contender, torch_contender
    from .predictor import load_predictor
    from .synthetic import make_large_jpeg

    threads = threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cv-bench-"))
    large = [make_large_jpeg(work / f"phone_{i}.jpg", seed=i) for i in range(n_large)]
    val, names = [], None
    if val_split and Path(val_split).exists():
        from .splitfile import read_split

        _, val, names = read_split(val_split)
    results = {"machine": {"cpus": os.cpu_count(), "threads": threads, "python": sys.version.split()[0],
                           "torch": torch.__version__},
               "photos": {"real": len(photos), "large_12mp": len(large), "large_size": "4000x3000"}, "contenders": {}}
    t0 = time.perf_counter()
    fp32 = load_predictor(model, threads=threads, spinning=True)
    load_fp32 = time.perf_counter() - t0
    int8_path = work / "craftvision-int8.onnx"
    calib = calibration or photos[:32]
    quantize_int8(Path(model), int8_path, calib, fp32.spec)
    acc_fp32_path, acc_int8_path, val = _accuracy_models(model, fp32, int8_path, work, calib, val)
    results["accuracy_model"] = str(acc_fp32_path)
    ctx = BenchContext(model, fp32, threads, photos, large, repeats, val, names, checkpoint)
    results["contenders"]["peer"] = peer_contender(ctx)
    results["contenders"]["craftvision_torch"] = torch_contender(ctx)
    results["contenders"]["onnx_fp32"] = onnx_contender(ctx, "c. craftvision ONNX fp32", model, load_fp32, acc_fp32_path)
    results["contenders"]["onnx_int8"] = onnx_contender(ctx, "d. craftvision ONNX INT8", int8_path, 0.0, acc_int8_path)
    for i, (tag, path) in enumerate((contenders or {}).items()):  # e.g. the model being replaced, as e, f, ...
        results["contenders"][f"extra_{tag}"] = onnx_contender(ctx, f"{chr(101 + i)}. {tag} (ONNX fp32)", Path(path), 0.0, None)
        results.setdefault("head_to_head", {})[f"extra_{tag}"] = head_to_head(ctx, Path(path), rounds=max(5, 3 * repeats))
    results["model_only"] = _model_only(model, int8_path, large, threads, repeats=max(5, 5 * repeats))
    results["cold_start_predict_s"] = _cold_start(model, large[0])
    results["serving_install_mb"] = serving_install_size_mb()
    results["ratios"] = _ratios(results["contenders"])
    (out_dir / "bench.json").write_text(json.dumps(results, indent=2))
    (out_dir / "bench.md").write_text(render_table(results))
    shutil.copy(int8_path, out_dir / "craftvision-int8.onnx")
    shutil.copy(str(int8_path) + ".sha256", out_dir / "craftvision-int8.onnx.sha256")
    shutil.rmtree(work, ignore_errors=True)
    return results


def _accuracy_models(model, fp32, int8_path: Path, work: Path, calib, val):
    """The fp32 and INT8 files whose accuracy is honest on `val`, and `val` itself (empty when none is).

    Accuracy must be measured on photos the model never saw. The shipped model is refit on the
    validation photos too, so accuracy comes from the validation run's model (same recipe and
    architecture) and its own INT8 quantisation; speed comes from the shipped files.
    """
    if not fp32.metadata.training.refit_on_all_photos:
        return Path(model), int8_path, val
    holdout = Path(model).parent / "validation" / str(fp32.metadata.holdout_model)
    if not holdout.is_file():
        return Path(model), int8_path, []  # no honest accuracy available
    return holdout, quantize_int8(holdout, work / "holdout-int8.onnx", calib, fp32.spec), val


def _ratios(c: dict) -> dict:
    peer = c["peer"]
    out = {}
    for k, v in c.items():
        out[k] = {"large_p50_speedup_vs_peer": peer["large_p50_ms"] / v["large_p50_ms"],
                  "throughput_vs_peer": v["throughput_12mp_per_s"] / peer["throughput_12mp_per_s"]}
    out["int8_model_speedup_vs_fp32"] = (c["onnx_fp32"]["large_p50_ms"] - c["onnx_fp32"]["large_decode_p50_ms"]) / max(
        1e-9, c["onnx_int8"]["large_p50_ms"] - c["onnx_int8"]["large_decode_p50_ms"])
    return out


def _versus_line(shipped: dict, other: dict, h2h: dict | None) -> str:
    """c against an extra contender: the ratios of the table's columns, then of the interleaved head-to-head."""
    name = other["name"].split(" ", 1)[1]
    line = (f"c against {name}, same run (c / that model: above 1 means c is slower per photo; throughput below 1 means c "
            f"does fewer photos per second): from the columns above, 12 MP photo-to-decision p50 "
            f"x{shipped['large_p50_ms'] / other['large_p50_ms']:.2f}, folder throughput "
            f"x{shipped['throughput_12mp_per_s'] / other['throughput_12mp_per_s']:.2f}.")
    if h2h:
        line += (f" Interleaved photo by photo on the same 12 MP photos ({h2h['calls_each']} calls each, the figure to judge "
                 f"a model change on): photo to decision p50 {h2h['shipped_p50_ms']:.1f} ms against {h2h['other_p50_ms']:.1f} ms, "
                 f"x{h2h['ratio']:.2f}; the model alone {h2h['model_only_shipped_p50_ms']:.1f} ms against "
                 f"{h2h['model_only_other_p50_ms']:.1f} ms, x{h2h['model_only_ratio']:.2f}.")
    return line


def _model_only(fp32_path, int8_path, photos, threads: int, repeats: int = 10) -> dict:
    """Model time alone, fp32 and INT8 interleaved on the same preprocessed inputs (batch 1).

    The end-to-end difference (photo-to-decision minus decode) mixes two noisy medians; here each
    INT8 call follows an fp32 call on the same input, so drift of a shared machine hits both.
    """
    from .predictor import load_predictor

    # no spinning: a session's threads spinning after its call would steal the cores from the other's
    a = load_predictor(fp32_path, threads=threads, spinning=False)
    b = load_predictor(int8_path, threads=threads, spinning=False)
    inputs = [a.preprocess(a.load(p))[None] for p in photos]
    a.run(inputs[0])
    b.run(inputs[0])
    ta, tb = interleaved_runs(a, b, inputs, inputs, repeats)
    return {"fp32_p50_ms": percentile_ms(ta, 50), "int8_p50_ms": percentile_ms(tb, 50), "int8_speedup": percentile_ms(ta, 50) / percentile_ms(tb, 50),
            "calls_each": len(ta)}


def _cold_start(model, photo) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "craftvision.cli", "predict", str(photo), "--model", str(model), "--format", "json"],
                   capture_output=True, check=False)
    return time.perf_counter() - t


def serving_install_size_mb() -> float:
    """Size on disk of the serving profile (craftvision + base + app extras, their dependencies, no torch)."""
    import importlib.metadata as md
    import re

    seen, todo, total = set(), ["craftvision"], 0
    extras_of = {"craftvision": {"app"}}
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        for f in dist.files or []:
            try:
                total += (dist.locate_file(f)).stat().st_size
            except OSError:
                pass
        for req in dist.requires or []:
            m = re.match(r"^([A-Za-z0-9_.\-]+)", req)
            marker = req.split(";", 1)[1] if ";" in req else ""
            if "extra ==" in marker:
                wanted = extras_of.get(name, set())
                if not any(f'extra == "{e}"' in marker for e in wanted):
                    continue
            elif marker and "python_version" not in marker and "sys_platform" not in marker and "platform" not in marker:
                continue
            if m:
                todo.append(m.group(1))
    return total / 1e6


def render_table(r: dict) -> str:
    c = r["contenders"]
    ratios = r["ratios"]
    lines = [f"# craftvision bench ({r['machine']['cpus']} CPUs, {r['machine']['threads']} threads)", "",
             "| contender | 12 MP p50 ms | 12 MP p95 ms | 12 MP decode p50 ms | real p50 ms | real p95 ms | 12 MP photos/s (folder, batches of 8-16) | load s | process peak RSS MB (cumulative) | val top-1 (held-out) | 12 MP speed-up vs peer |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k, v in c.items():
        if v["val_top1"] is not None:
            acc = f"{v['val_top1']:.3f}"
        else:  # a and b run c's weights; an extra contender is another model, timed only
            acc = "- (another model, timed only)" if k.startswith("extra_") else "same weights as c"
        real50 = f"{v['real_p50_ms']:.1f}" if v["real_p50_ms"] is not None else "-"
        real95 = f"{v['real_p95_ms']:.1f}" if v["real_p95_ms"] is not None else "-"
        lines.append(f"| {v['name']} | {v['large_p50_ms']:.1f} | {v['large_p95_ms']:.1f} | {v['large_decode_p50_ms']:.1f} | {real50} | "
                     f"{real95} | {v['throughput_12mp_per_s']:.1f} | {v['load_s']:.2f} | {v['peak_rss_mb']:.0f} | {acc} | "
                     f"{ratios[k]['large_p50_speedup_vs_peer']:.1f}x |")
    lines += ["", f"Accuracy column: validation photos of held-out sources, measured with `{Path(r.get('accuracy_model', '')).name}` "
              "(the shipped model is refit on those photos, so its own accuracy there would not be honest); a and b compute "
              "the same function as c (export parity below 1e-4). Peak RSS is the process's high-water mark after each "
              "contender ran (all contenders share one process, so it only grows).",
              f"INT8 model time vs fp32 (decode excluded): {ratios['int8_model_speedup_vs_fp32']:.2f}x faster "
              f"from the columns above; measured alone, interleaved on the same inputs ({r['model_only']['calls_each']} "
              f"calls each): fp32 {r['model_only']['fp32_p50_ms']:.1f} ms, INT8 {r['model_only']['int8_p50_ms']:.1f} ms, "
              f"{r['model_only']['int8_speedup']:.2f}x.",
              *[_versus_line(c["onnx_fp32"], v, r.get("head_to_head", {}).get(k)) for k, v in c.items() if k.startswith("extra_")],
              f"Cold start of `craftvision predict` on one 12 MP photo: {r['cold_start_predict_s']:.2f} s.",
              f"Serving install (craftvision + base + app extras and their dependencies, no torch): {r['serving_install_mb']:.0f} MB.",
              "", "Targets: 12 MP p50 <= 35 ms and >= 4x faster than the peer; >= 60 photos/s; INT8 >= 1.5x faster than fp32 "
              "with <= 1 point of accuracy lost; serving install < 400 MB."]
    return "\n".join(lines) + "\n"
