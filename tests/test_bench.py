"""`craftvision bench` end to end on the tiny model (figures are not asserted: only that each is measured)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


def test_bench_runs_every_contender_and_writes_its_table(tiny_run, tiny_model, synthetic_data, tmp_path):
    from craftvision.bench import run_bench

    photos = sorted((synthetic_data / "carpet").iterdir())[:3]
    r = run_bench(tiny_model, tmp_path / "bench", photos, None, tiny_run / "best.pt", n_large=1, repeats=1,
                  threads=2, calibration=photos, contenders={"previous": tiny_model})
    assert set(r["contenders"]) == {"peer", "craftvision_torch", "onnx_fp32", "onnx_int8", "extra_previous"}
    for c in r["contenders"].values():
        assert c["large_p50_ms"] > c["large_decode_p50_ms"] > 0 and c["throughput_12mp_per_s"] > 0
    assert r["photos"]["large_size"] == "4000x3000"
    mo = r["model_only"]
    assert mo["fp32_p50_ms"] > 0 and mo["int8_p50_ms"] > 0 and mo["calls_each"] >= 5
    assert r["ratios"]["peer"]["large_p50_speedup_vs_peer"] == pytest.approx(1.0)
    assert r["serving_install_mb"] > 10 and r["cold_start_predict_s"] > 0
    md = (tmp_path / "bench" / "bench.md").read_text()
    assert "| a. peer" in md and "| d. craftvision ONNX INT8" in md and "interleaved" in md
    assert "| e. previous (ONNX fp32) |" in md and "another model, timed only" in md.split("| e. previous")[1].split("\n")[0]
    assert "c against previous (ONNX fp32), same run" in md and "Interleaved photo by photo" in md
    h2h = r["head_to_head"]["extra_previous"]
    assert h2h["calls_each"] >= 5 and h2h["shipped_p50_ms"] > 0 and h2h["other_p50_ms"] > 0
    assert h2h["ratio"] == pytest.approx(h2h["shipped_p50_ms"] / h2h["other_p50_ms"])
    assert json.loads((tmp_path / "bench" / "bench.json").read_text())["model_only"] == mo
