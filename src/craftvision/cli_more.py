"""Sub-commands beyond predict/train/export/hs: registered here to keep cli.py readable."""

from __future__ import annotations


def register(sub) -> None:
    pass
