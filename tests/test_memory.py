"""Tests of craftvision.training.memory (freed memory kept in the heap during long forward passes)."""

import platform
import subprocess
import sys

import pytest

_CHILD = """
import resource, sys
import torch
if sys.argv[1] == "retain":
    from craftvision.training.memory import retain_freed_memory
    assert retain_freed_memory() and retain_freed_memory()  # idempotent
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = torch.ones(25_000_000)  # 100 MB of float32, above any mmap threshold (numpy would ask for huge pages)
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_large_blocks_reuse_their_pages():
    """Check that with the heap kept, 20 allocations of 100 MB fault in less than half the pages they do without."""
    def faults(mode: str) -> int:
        out = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    default, retained = faults("default"), faults("retain")
    assert default > 20 * 20_000  # every allocation mapped fresh pages (25,000 pages of 4 kB each)
    assert retained < default / 2
