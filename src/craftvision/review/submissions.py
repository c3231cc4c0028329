"""Submissions from artisans and the append-only decisions of customs reviewers.

A decision is only ever appended (SQLite triggers refuse UPDATE and DELETE, whatever the code
does); a submission's state is its latest decision. Corrections are checked against the HS 2022
nomenclature and the craft taxonomy before they are written.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from .photos import PhotoStore
from .schema import Database, utc_now

ACTIONS = ("confirm", "correct", "reject")
REJECT_REASONS = ("not_a_craft", "photo_unusable", "needs_more_information")
_STATES = {"confirm": "confirmed", "correct": "corrected", "reject": "rejected"}
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{20,64}")
_UNKNOWN_REFERENCE = "No request has this reference."


@dataclass
class Status:
    """What an artisan may see of their own submission."""

    reference: str
    state: str  # pending / confirmed / corrected / rejected
    created_at: str
    category: str
    suggested_code: str | None
    final_category: str | None
    final_code: str | None
    reason: str
    decided_at: str | None


def _new_reference() -> str:
    """24 random bytes, URL-safe base64, never starting with "-": a CSV export would neutralise such a
    cell against formula injection (a leading quote), and the reference would no longer match."""
    while True:
        reference = secrets.token_urlsafe(24)
        if not reference.startswith("-"):
            return reference


def _status_of(conn, sub) -> Status:
    last = conn.execute("SELECT * FROM decisions WHERE submission_id = ? ORDER BY id DESC LIMIT 1", (sub["id"],)).fetchone()
    if last is None:
        return Status(sub["reference"], "pending", sub["created_at"], sub["category"], sub["suggested_code"], None, None, "", None)
    return Status(sub["reference"], _STATES[last["action"]], sub["created_at"], sub["category"], sub["suggested_code"],
                  last["final_category"], last["final_code"], last["reason"], last["created_at"])


class Submissions:
    """Submissions, their photos and their decision history."""

    def __init__(self, db: Database, photos: PhotoStore, data_dir: Path):
        self.db = db
        self.photos = photos
        self.data_dir = data_dir

    def create(self, photos: list[tuple[str, bytes]], prediction: dict, answers: dict | None = None,
               suggested_code: str | None = None, description: str = "", contact: str = "",
               lang: str = "fr", category: str | None = None) -> str:
        """Store a submission and its photos; returns its unguessable reference (192 random bits)."""
        if not photos:
            raise StoreError("A submission needs at least one photo; got none.")
        top = prediction["categories"][0]
        reference = _new_reference()
        stored = [(name, *self.photos.write(data), len(data)) for name, data in photos]
        now = utc_now()
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO submissions (reference, created_at, category, decision, confidence, model_version, "
                "prediction_json, answers_json, suggested_code, description, contact, lang) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (reference, now, category or top["name"], prediction["decision"], float(top["probability"]), prediction["model_version"],
                 json.dumps(prediction, ensure_ascii=False), json.dumps(answers or {}, ensure_ascii=False), suggested_code,
                 description[:2000], contact[:200], lang),
            )
            sid = cur.lastrowid
            for pos, (name, sha, path, size) in enumerate(stored):
                conn.execute("INSERT OR IGNORE INTO photos (sha256, relpath, bytes, created_at) VALUES (?,?,?,?)",
                             (sha, str(path.relative_to(self.data_dir)), size, now))
                conn.execute("INSERT INTO submission_photos (submission_id, position, sha256, original_name) VALUES (?,?,?,?)",
                             (sid, pos, sha, Path(name).name[:200]))
        return reference

    def status(self, reference: str) -> Status:
        """The state of a submission, found by its reference only (never by id)."""
        if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference.strip()):
            raise StoreError(_UNKNOWN_REFERENCE)
        with self.db.read() as conn:
            sub = conn.execute("SELECT * FROM submissions WHERE reference = ?", (reference.strip(),)).fetchone()
            if sub is None:
                raise StoreError(_UNKNOWN_REFERENCE)
            return _status_of(conn, sub)

    def queue(self, category: str | None = None, decision: str | None = None, order: str = "oldest",
              limit: int = 200, include_decided: bool = False) -> list[dict]:
        """Pending submissions (oldest or least confident first), filterable by category and decision."""
        where, params = [], []
        if not include_decided:
            where.append("NOT EXISTS (SELECT 1 FROM decisions d WHERE d.submission_id = s.id)")
        if category:
            where.append("s.category = ?")
            params.append(category)
        if decision:
            where.append("s.decision = ?")
            params.append(decision)
        sql = "SELECT s.id, s.reference, s.created_at, s.category, s.decision, s.confidence, s.suggested_code FROM submissions s"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY " + ("s.confidence ASC, s.id ASC" if order == "least_confident" else "s.id ASC") + " LIMIT ?"
        params.append(int(limit))
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(sql, params).fetchall()]

    def get(self, submission_id: int) -> dict:
        """Everything a reviewer sees of one submission, with its decision history."""
        with self.db.read() as conn:
            sub = conn.execute("SELECT * FROM submissions WHERE id = ?", (int(submission_id),)).fetchone()
            if sub is None:
                raise StoreError(f"No submission {submission_id}.")
            photos = conn.execute("SELECT sp.position, sp.sha256, sp.original_name, p.relpath FROM submission_photos sp "
                                  "JOIN photos p ON p.sha256 = sp.sha256 WHERE sp.submission_id = ? ORDER BY sp.position",
                                  (sub["id"],)).fetchall()
            history = conn.execute("SELECT * FROM decisions WHERE submission_id = ? ORDER BY id", (sub["id"],)).fetchall()
            out = dict(sub)
            out["prediction"] = json.loads(out.pop("prediction_json"))
            out["answers"] = json.loads(out.pop("answers_json"))
            out["photos"] = [{**dict(p), "path": str(self.data_dir / p["relpath"])} for p in photos]
            out["history"] = [dict(h) for h in history]
            out["status"] = _status_of(conn, sub).state
            return out

    def add_decision(self, submission_id: int, action: str, reviewer: str, model_version: str,
                     final_category: str | None = None, final_code: str | None = None, reason: str = "") -> int:
        """Append a reviewer's decision; returns its id. Corrections are validated first."""
        if action not in ACTIONS:
            raise StoreError(f"The action must be one of {ACTIONS}; got {action!r}.")
        with self.db.read() as conn:
            sub = conn.execute("SELECT * FROM submissions WHERE id = ?", (int(submission_id),)).fetchone()
            known = conn.execute("SELECT 1 FROM users WHERE username = ?", (reviewer,)).fetchone() is not None
        if not known:
            raise StoreError(f"Unknown reviewer {reviewer!r}: add the account with `craftvision review add-user`.")
        if sub is None:
            raise StoreError(f"No submission {submission_id}.")
        final_category, final_code = _final_values(sub, action, final_category, final_code, reason)
        with self.db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO decisions (submission_id, action, final_category, final_code, reason, reviewer, created_at, model_version) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (int(submission_id), action, final_category, final_code, reason[:1000], reviewer, utc_now(), model_version))
            return cur.lastrowid

    def counts(self) -> dict:
        """Row counts of the main tables."""
        with self.db.read() as conn:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("submissions", "submission_photos", "photos", "decisions", "users")}


def _final_values(sub, action: str, final_category: str | None, final_code: str | None,
                  reason: str) -> tuple[str | None, str | None]:
    """The category and HS code a decision records, checked against the taxonomy and HS 2022."""
    from ..taxonomy import load_taxonomy, lookup

    if action == "confirm":
        return sub["category"], sub["suggested_code"]
    if action == "reject":
        if reason not in REJECT_REASONS:
            raise StoreError(f"A rejection reason must be one of {REJECT_REASONS}; got {reason!r}.")
        return ("not_a_craft" if reason == "not_a_craft" else None), None
    final_category = final_category or sub["category"]
    load_taxonomy().category(final_category)  # raises with the close match
    if final_code:
        found = lookup(final_code)
        if found.code is None or found.code.level != 6:
            raise StoreError(f"The corrected code must be a 6-digit HS 2022 subheading; {final_code!r} is not.")
        final_code = found.code.display
    if not reason.strip():
        raise StoreError("A correction needs a reason: say what the model got wrong.")
    return final_category, final_code
