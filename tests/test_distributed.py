"""Multi-process training through PyTorch's own distributed engine (torchrun, DDP over gloo on CPU)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_two_process_ddp_ends_with_identical_weights(synthetic_data, tmp_path):
    """Check that 2 CPU ranks train on disjoint shards, end with identical weights, and only rank 0 writes."""
    torchrun = Path(sys.executable).parent / "torchrun"
    cmd = [str(torchrun) if torchrun.exists() else shutil.which("torchrun"), "--nproc_per_node=2", "--master_port=29517",
           "-m", "craftvision.cli", "train", "--data", str(synthetic_data), "--backbone", "test_efficientnet",
           "--no-pretrained", "--epochs", "2", "--image-size", "48", "--batch-size", "8", "--out", str(tmp_path / "run"),
           "--no-progress"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    run = tmp_path / "run"
    record = json.loads((run / "run.json").read_text())
    d0, d1 = record["weights_sha256_per_rank"]  # each rank's own weights, gathered at the end of training
    assert len(d0) == 64 and d0 == d1
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r_["epoch"] for r_ in rows] == [1, 2]  # one log line per epoch: rank 1 wrote nothing
    assert record["world_size"] == 2
    assert (run / "best.pt").exists() and (run / "last.pt").exists()
