"""A minimal progress line on stderr (serving installs have no tqdm)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, stream=sys.stderr):
        self.label, self.total, self.stream = label, total, stream
        self.count, self.start, self._last = 0, time.perf_counter(), 0.0

    def update(self, n: int = 1) -> None:
        self.count += n
        now = time.perf_counter()
        if now - self._last > 0.2:
            self._last = now
            rate = self.count / max(1e-9, now - self.start)
            of = f"/{self.total}" if self.total else ""
            self.stream.write(f"\r{self.label}: {self.count}{of} ({rate:.1f}/s)")
            self.stream.flush()

    def close(self) -> None:
        self._last = 0
        self.update(0)
        self.stream.write("\n")
