"""What leaves the review store: decisions as CSV, reviewed photos as a labelled dataset, backups."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
from pathlib import Path

from ..errors import StoreError
from .photos import PhotoStore
from .schema import Database

CSV_FIELDS = ["decision_id", "reference", "submitted_at", "model_category", "model_decision", "confidence",
              "suggested_code", "action", "final_category", "final_code", "reason", "reviewer", "decided_at",
              "model_version", "description"]
MANIFEST_FIELDS = ["file", "class", "hs_code", "source", "reviewer", "decided_at", "action", "sha256"]


def neutralize_cell(value) -> str:
    """Stop spreadsheet formula injection: prefix cells starting with = + - @ (or tab/CR) with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def safe_component(text: str) -> str:
    """A file-name component that cannot leave its folder (no separators, no dot-dot).

    Raises:
        StoreError: when nothing usable is left of `text`.
    """
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", text)[:64].strip("._")
    if not cleaned:
        raise StoreError(f"{text!r} cannot be used as a folder name: it needs at least one letter or digit.")
    return cleaned


class Exports:
    """Read-only views of the store for people and for retraining, and its backup."""

    def __init__(self, db: Database, photos: PhotoStore, data_dir: Path):
        self.db = db
        self.photos = photos
        self.data_dir = data_dir

    def decisions_rows(self) -> list[dict]:
        """Every decision joined with its submission, oldest first."""
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT d.id AS decision_id, s.reference, s.created_at AS submitted_at, s.category AS model_category, "
                "s.decision AS model_decision, s.confidence, s.suggested_code, d.action, d.final_category, d.final_code, "
                "d.reason, d.reviewer, d.created_at AS decided_at, d.model_version, s.description "
                "FROM decisions d JOIN submissions s ON s.id = d.submission_id ORDER BY d.id").fetchall()
        return [dict(r) for r in rows]

    def decisions_csv(self) -> str:
        """All decisions as CSV text, cells neutralised against formula injection."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_FIELDS)
        for row in self.decisions_rows():
            writer.writerow([neutralize_cell(row[f]) for f in CSV_FIELDS])
        return buf.getvalue()

    def dataset(self, dest: str | Path) -> dict:
        """The reviewed photos as a labelled folder dataset: ``dest/<final category>/<sha>.jpg`` + manifest.csv.

        Uses each submission's latest decision; rejected-as-unusable and needs-more-information
        submissions are left out. Photos are copied (not linked) so the export is self-contained.
        """
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT s.id, s.reference, d.final_category, d.final_code, d.reviewer, d.created_at, d.action, "
                "sp.sha256, sp.original_name, p.relpath FROM submissions s "
                "JOIN decisions d ON d.id = (SELECT MAX(id) FROM decisions WHERE submission_id = s.id) "
                "JOIN submission_photos sp ON sp.submission_id = s.id JOIN photos p ON p.sha256 = sp.sha256 "
                "WHERE d.final_category IS NOT NULL ORDER BY s.id, sp.position").fetchall()
        manifest = []
        for r in rows:
            folder = dest / safe_component(r["final_category"])
            folder.mkdir(exist_ok=True)
            target = folder / f"{r['sha256']}.jpg"
            if not target.exists():
                shutil.copyfile(self.data_dir / r["relpath"], target)
            manifest.append({"file": f"{folder.name}/{target.name}", "class": r["final_category"], "hs_code": r["final_code"] or "",
                             "source": f"review:{r['reference'][:8]}", "reviewer": r["reviewer"], "decided_at": r["created_at"],
                             "action": r["action"], "sha256": r["sha256"]})
        with open(dest / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
            writer.writeheader()
            for m in manifest:
                writer.writerow({k: neutralize_cell(v) for k, v in m.items()})
        return {"photos": len(manifest), "classes": sorted({m["class"] for m in manifest}), "path": str(dest)}

    def backup(self, dest: str | Path) -> Path:
        """Online backup of the database (SQLite backup API) plus the photo files, into `dest`."""
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        src = self.db.connect()
        out = sqlite3.connect(dest / self.db.path.name)
        try:
            src.backup(out)
        finally:
            out.close()
            src.close()
        self.photos.copy_all(dest / self.photos.root.name)
        return dest
