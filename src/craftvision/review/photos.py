"""Photo files of the review store: written once by SHA-256, never by a name a user chose."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from pathlib import Path

from ..errors import StoreError

_SHA256 = re.compile(r"[0-9a-f]{64}")


class PhotoStore:
    """Content-addressed photo files under one folder: ``<root>/<sha[:2]>/<sha>.img``."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha: str) -> Path:
        """Where the photo with this hash lives (whether or not it exists).

        Raises:
            StoreError: when `sha` is not a lowercase hex SHA-256 (so no path can be smuggled in).
        """
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            raise StoreError(f"A photo is named by its SHA-256 (64 lowercase hex digits); got {str(sha)[:80]!r}.")
        return self.root / sha[:2] / f"{sha}.img"

    def write(self, data: bytes) -> tuple[str, Path]:
        """Write the bytes once by content hash (temp file, fsync, atomic rename); returns (sha, path)."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}{secrets.token_hex(4)}")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        return sha, path

    def existing(self, sha: str) -> Path:
        """The path of a stored photo.

        Raises:
            StoreError: when no photo with this hash is stored.
        """
        path = self.path_for(sha)
        if not path.exists():
            raise StoreError(f"No photo {sha[:12]}... is stored under {self.root}.")
        return path

    def copy_all(self, dest: Path) -> int:
        """Copy every photo into `dest` (same layout), skipping files already there; returns the count copied."""
        copied = 0
        for f in self.root.rglob("*.img"):
            target = dest / f.relative_to(self.root)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target)
                copied += 1
        return copied
