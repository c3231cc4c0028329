"""A bounded load test of the app on loopback: parallel gradio_client clients, a fixed number of requests."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

CLIENTS, REQUESTS_PER_CLIENT = 4, 12


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_parallel_clients_no_errors_flat_memory(tiny_model, synthetic_data, tmp_path):
    """Check 4 clients x 12 predictions: 0 errors, p50/p95 reported, server memory flat after warm-up."""
    from gradio_client import Client, handle_file

    from conftest import start_app

    url, _, demo = start_app(tiny_model, tmp_path / "d")
    photos = sorted(synthetic_data.rglob("*.jpg"))
    latencies, errors = [], []
    lock = threading.Lock()

    def worker(k: int, n: int):
        client = Client(url, verbose=False)
        for i in range(n):
            t = time.perf_counter()
            try:
                r = client.predict([handle_file(str(photos[(k * n + i) % len(photos)]))], "fr", api_name="/predict")
                assert r["photos"][0]["categories"]
            except Exception as exc:  # counted, not raised: the test reports the error count
                with lock:
                    errors.append(repr(exc))
            with lock:
                latencies.append(time.perf_counter() - t)

    try:
        warm = [threading.Thread(target=worker, args=(k, 3)) for k in range(CLIENTS)]
        [t.start() for t in warm]
        [t.join(120) for t in warm]
        rss_before = _rss_mb()
        latencies.clear()
        threads = [threading.Thread(target=worker, args=(k, REQUESTS_PER_CLIENT)) for k in range(CLIENTS)]
        t0 = time.perf_counter()
        [t.start() for t in threads]
        [t.join(300) for t in threads]
        wall = time.perf_counter() - t0
        rss_after = _rss_mb()
    finally:
        demo.close()
    n = CLIENTS * REQUESTS_PER_CLIENT
    p50, p95 = np.percentile(latencies, 50) * 1000, np.percentile(latencies, 95) * 1000
    print(f"load: {CLIENTS} clients x {REQUESTS_PER_CLIENT} requests = {n}, errors {len(errors)}, "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, {n / wall:.1f} req/s, RSS {rss_before:.0f} -> {rss_after:.0f} MB")
    assert not errors, errors[:3]
    assert len(latencies) == n
    assert rss_after - rss_before < 60, f"memory grew by {rss_after - rss_before:.0f} MB"
