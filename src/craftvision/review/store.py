"""The review store: submissions from artisans, append-only decisions from customs staff, reviewers.

SQLite in WAL mode with foreign keys and an explicit, versioned schema. Photos are stored once,
by content hash, under the data folder. Each public method is one transaction, so a killed
process loses nothing that was acknowledged. Decisions can be appended, never updated or deleted
(enforced by triggers, not only by this code).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import AuthError, StoreError

SCHEMA_VERSION = 1
ACTIONS = ("confirm", "correct", "reject")
REJECT_REASONS = ("not_a_craft", "photo_unusable", "needs_more_information")
#: Failed logins allowed before the account is locked, and the first lock's length (doubling after).
MAX_FAILED_LOGINS = 5
LOCK_SECONDS = 60
SESSION_SECONDS = 8 * 3600
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,64}$")

_MIGRATIONS = {
    1: """
    CREATE TABLE photos (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        relpath TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        category TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'review', 'not_a_craft')),
        confidence REAL NOT NULL,
        model_version TEXT NOT NULL,
        prediction_json TEXT NOT NULL,
        answers_json TEXT NOT NULL,
        suggested_code TEXT,
        description TEXT NOT NULL DEFAULT '',
        contact TEXT NOT NULL DEFAULT '',
        lang TEXT NOT NULL DEFAULT 'fr'
    );
    CREATE TABLE submission_photos (
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        position INTEGER NOT NULL,
        sha256 TEXT NOT NULL REFERENCES photos(sha256),
        original_name TEXT NOT NULL,
        PRIMARY KEY (submission_id, position)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        action TEXT NOT NULL CHECK (action IN ('confirm', 'correct', 'reject')),
        final_category TEXT,
        final_code TEXT,
        reason TEXT NOT NULL DEFAULT '',
        reviewer TEXT NOT NULL REFERENCES users(username),
        created_at TEXT NOT NULL,
        model_version TEXT NOT NULL
    );
    CREATE INDEX decisions_by_submission ON decisions(submission_id, id);
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until REAL NOT NULL DEFAULT 0,
        lock_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username),
        expires_at REAL NOT NULL
    );
    CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: they cannot be updated'); END;
    CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
        BEGIN SELECT RAISE(ABORT, 'decisions are append-only: they cannot be deleted'); END;
    CREATE TRIGGER submissions_no_delete BEFORE DELETE ON submissions
        BEGIN SELECT RAISE(ABORT, 'submissions cannot be deleted'); END;
    """,
}


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """scrypt (N=2^14, r=8, p=1): a slow, memory-hard KDF. Stored as scrypt$N$r$p$salt$hash (hex)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def neutralize_cell(value) -> str:
    """Stop spreadsheet formula injection: prefix cells starting with = + - @ (or tab/CR) with a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def safe_component(text: str) -> str:
    """A file-name component that cannot leave its folder (no separators, no dot-dot)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "_", text)[:64].strip("._")
    if not cleaned:
        raise StoreError(f"{text!r} cannot be used as a folder name.")
    return cleaned


@dataclass
class Status:
    reference: str
    state: str  # pending / confirmed / corrected / rejected
    created_at: str
    category: str
    suggested_code: str | None
    final_category: str | None
    final_code: str | None
    reason: str
    decided_at: str | None


class ReviewStore:
    """Submissions, photos, decisions, reviewers and sessions under one data folder."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir).resolve()
        self.photo_dir = self.data_dir / "photos"
        self.photo_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "review.sqlite3"
        self._migrate()

    # -- plumbing -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=60, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a power cut too
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    @contextmanager
    def _tx(self):
        """One IMMEDIATE transaction: committed on success, rolled back on any error."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def _migrate(self) -> None:
        with self._tx() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row["value"]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"The store at {self.db_path} has schema {version}, newer than this program ({SCHEMA_VERSION}).")
            for v in range(version + 1, SCHEMA_VERSION + 1):
                for stmt in _split_sql(_MIGRATIONS[v]):
                    conn.execute(stmt)
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(v),))

    def schema_version(self) -> int:
        conn = self._connect()
        try:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
        finally:
            conn.close()

    def integrity_check(self) -> str:
        conn = self._connect()
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()

    # -- photos -------------------------------------------------------------------------------
    def _photo_path(self, sha: str, suffix: str = ".img") -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise StoreError("Invalid photo hash.")
        return self.photo_dir / sha[:2] / f"{sha}{suffix}"

    def _write_photo(self, data: bytes) -> tuple[str, Path]:
        """Write the bytes once by content hash (temp file, fsync, atomic rename)."""
        sha = hashlib.sha256(data).hexdigest()
        path = self._photo_path(sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}{secrets.token_hex(4)}")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        return sha, path

    def photo_path(self, sha: str) -> Path:
        path = self._photo_path(sha)
        if not path.exists():
            raise StoreError("Photo not found.")
        return path

    # -- submissions --------------------------------------------------------------------------
    def create_submission(self, photos: list[tuple[str, bytes]], prediction: dict, answers: dict | None = None,
                          suggested_code: str | None = None, description: str = "", contact: str = "",
                          lang: str = "fr", category: str | None = None) -> str:
        """Store a submission and its photos; returns its unguessable reference (192 random bits).

        `category` is the one the artisan answered the questions for (default: the model's top);
        the model's own ranking stays in the stored prediction.
        """
        if not photos:
            raise StoreError("A submission needs at least one photo.")
        top = prediction["categories"][0]
        reference = secrets.token_urlsafe(24)
        stored = [(name, *self._write_photo(data), len(data)) for name, data in photos]
        now = utc_now()
        with self._tx() as conn:
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

    def _status_row(self, conn, sub) -> Status:
        last = conn.execute("SELECT * FROM decisions WHERE submission_id = ? ORDER BY id DESC LIMIT 1", (sub["id"],)).fetchone()
        state = "pending"
        if last is not None:
            state = {"confirm": "confirmed", "correct": "corrected", "reject": "rejected"}[last["action"]]
        return Status(sub["reference"], state, sub["created_at"], sub["category"], sub["suggested_code"],
                      last["final_category"] if last else None, last["final_code"] if last else None,
                      last["reason"] if last else "", last["created_at"] if last else None)

    def status(self, reference: str) -> Status:
        """What an artisan may see of their own submission, by its reference only."""
        if not isinstance(reference, str) or not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", reference.strip()):
            raise StoreError("No request has this reference.")
        conn = self._connect()
        try:
            sub = conn.execute("SELECT * FROM submissions WHERE reference = ?", (reference.strip(),)).fetchone()
            if sub is None:
                raise StoreError("No request has this reference.")
            return self._status_row(conn, sub)
        finally:
            conn.close()

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
        conn = self._connect()
        try:
            return [dict(r) for r in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()

    def submission(self, submission_id: int) -> dict:
        """Everything a reviewer sees of one submission, with its decision history."""
        conn = self._connect()
        try:
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
            out["status"] = self._status_row(conn, sub).state
            return out
        finally:
            conn.close()

    def add_decision(self, submission_id: int, action: str, reviewer: str, model_version: str,
                     final_category: str | None = None, final_code: str | None = None, reason: str = "") -> int:
        """Append a reviewer's decision. Corrections validate the code against HS 2022 and the category."""
        from ..taxonomy import load_taxonomy, lookup

        if action not in ACTIONS:
            raise StoreError(f"The action must be one of {ACTIONS}; got {action!r}.")
        conn = self._connect()
        try:
            sub = conn.execute("SELECT * FROM submissions WHERE id = ?", (int(submission_id),)).fetchone()
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (reviewer,)).fetchone() is None:
                raise StoreError(f"Unknown reviewer {reviewer!r}.")
        finally:
            conn.close()
        if sub is None:
            raise StoreError(f"No submission {submission_id}.")
        tax = load_taxonomy()
        if action == "confirm":
            final_category = sub["category"]
            final_code = sub["suggested_code"]
        elif action == "correct":
            final_category = final_category or sub["category"]
            tax.category(final_category)  # raises with the close match
            if final_code:
                found = lookup(final_code)
                if found.code is None or found.code.level != 6:
                    raise StoreError(f"The corrected code must be a 6-digit HS 2022 subheading; {final_code!r} is not.")
                final_code = found.code.display
            if not reason.strip():
                raise StoreError("A correction needs a reason.")
        else:
            if reason not in REJECT_REASONS:
                raise StoreError(f"A rejection reason must be one of {REJECT_REASONS}; got {reason!r}.")
            final_category = "not_a_craft" if reason == "not_a_craft" else None
            final_code = None
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO decisions (submission_id, action, final_category, final_code, reason, reviewer, created_at, model_version) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (int(submission_id), action, final_category, final_code, reason[:1000], reviewer, utc_now(), model_version))
            return cur.lastrowid

    def counts(self) -> dict:
        conn = self._connect()
        try:
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for t in ("submissions", "submission_photos", "photos", "decisions", "users")}
        finally:
            conn.close()

    # -- exports ------------------------------------------------------------------------------
    def decisions_rows(self) -> list[dict]:
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT d.id AS decision_id, s.reference, s.created_at AS submitted_at, s.category AS model_category, "
                "s.decision AS model_decision, s.confidence, s.suggested_code, d.action, d.final_category, d.final_code, "
                "d.reason, d.reviewer, d.created_at AS decided_at, d.model_version, s.description "
                "FROM decisions d JOIN submissions s ON s.id = d.submission_id ORDER BY d.id").fetchall()
            return [dict(r) for r in rows]
        finally:
            conn.close()

    def export_decisions_csv(self) -> str:
        """All decisions as CSV text, cells neutralised against formula injection."""
        rows = self.decisions_rows()
        buf = io.StringIO()
        fields = ["decision_id", "reference", "submitted_at", "model_category", "model_decision", "confidence",
                  "suggested_code", "action", "final_category", "final_code", "reason", "reviewer", "decided_at",
                  "model_version", "description"]
        w = csv.writer(buf)
        w.writerow(fields)
        for r in rows:
            w.writerow([neutralize_cell(r[f]) for f in fields])
        return buf.getvalue()

    def export_dataset(self, dest: str | Path) -> dict:
        """The reviewed photos as a labelled folder dataset: ``dest/<final category>/<sha>.jpg`` + manifest.csv.

        Uses each submission's latest decision; rejected-as-unusable and needs-more-information
        submissions are left out. Photos are copied (not linked) so the export is self-contained.
        """
        import shutil

        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT s.id, s.reference, d.final_category, d.final_code, d.reviewer, d.created_at, d.action, "
                "sp.sha256, sp.original_name, p.relpath FROM submissions s "
                "JOIN decisions d ON d.id = (SELECT MAX(id) FROM decisions WHERE submission_id = s.id) "
                "JOIN submission_photos sp ON sp.submission_id = s.id JOIN photos p ON p.sha256 = sp.sha256 "
                "WHERE d.final_category IS NOT NULL ORDER BY s.id, sp.position").fetchall()
        finally:
            conn.close()
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
            w = csv.DictWriter(fh, fieldnames=["file", "class", "hs_code", "source", "reviewer", "decided_at", "action", "sha256"])
            w.writeheader()
            for m in manifest:
                w.writerow({k: neutralize_cell(v) for k, v in m.items()})
        return {"photos": len(manifest), "classes": sorted({m["class"] for m in manifest}), "path": str(dest)}

    # -- reviewers ----------------------------------------------------------------------------
    def add_user(self, username: str, password: str) -> None:
        if not _USERNAME.match(username or ""):
            raise StoreError("A username has 3 to 64 letters, digits, dots, dashes or underscores.")
        if len(password or "") < 10:
            raise StoreError("A reviewer password needs at least 10 characters.")
        with self._tx() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise StoreError(f"The reviewer {username!r} already exists.")
            conn.execute("INSERT INTO users (username, password_hash, created_at) VALUES (?,?,?)",
                         (username, hash_password(password), utc_now()))

    def login(self, username: str, password: str, now: float | None = None) -> str:
        """Check a password; returns a session token. Locks the account after repeated failures."""
        now = time.time() if now is None else now
        conn = self._connect()
        try:
            user = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        finally:
            conn.close()
        if user is None:
            verify_password(password or "", hash_password("timing-equaliser"))  # same cost as a real check
            raise AuthError("Wrong username or password.")
        if user["locked_until"] > now:
            raise AuthError(f"Too many failed logins: try again in {int(user['locked_until'] - now) + 1} s.")
        if not verify_password(password or "", user["password_hash"]):
            with self._tx() as c:
                failed = user["failed_logins"] + 1
                if failed >= MAX_FAILED_LOGINS:
                    lock = LOCK_SECONDS * 2 ** user["lock_count"]
                    c.execute("UPDATE users SET failed_logins = 0, locked_until = ?, lock_count = lock_count + 1 WHERE username = ?",
                              (now + lock, username))
                else:
                    c.execute("UPDATE users SET failed_logins = ? WHERE username = ?", (failed, username))
            raise AuthError("Wrong username or password.")
        token = secrets.token_urlsafe(32)
        with self._tx() as c:
            c.execute("UPDATE users SET failed_logins = 0, lock_count = 0 WHERE username = ?", (username,))
            c.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            c.execute("INSERT INTO sessions (token_hash, username, expires_at) VALUES (?,?,?)",
                      (hashlib.sha256(token.encode()).hexdigest(), username, now + SESSION_SECONDS))
        return token

    def session_user(self, token: str | None, now: float | None = None) -> str:
        """The reviewer of a live session; AuthError when missing, unknown or expired."""
        now = time.time() if now is None else now
        if not token:
            raise AuthError("Please log in.")
        conn = self._connect()
        try:
            row = conn.execute("SELECT username, expires_at FROM sessions WHERE token_hash = ?",
                               (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
        finally:
            conn.close()
        if row is None or row["expires_at"] < now:
            raise AuthError("Your session has expired: please log in again.")
        return row["username"]

    def logout(self, token: str) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM sessions WHERE token_hash = ?", (hashlib.sha256(token.encode()).hexdigest(),))

    # -- backup -------------------------------------------------------------------------------
    def backup(self, dest: str | Path) -> Path:
        """Online backup of the database (SQLite backup API) plus the photo files, into `dest`."""
        import shutil

        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        src = self._connect()
        out = sqlite3.connect(dest / "review.sqlite3")
        try:
            src.backup(out)
        finally:
            out.close()
            src.close()
        for f in self.photo_dir.rglob("*.img"):
            target = dest / "photos" / f.relative_to(self.photo_dir)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target)
        return dest


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        in_trigger = joined.upper().startswith("CREATE TRIGGER")
        if (in_trigger and joined.upper().endswith("END;")) or (not in_trigger and joined.endswith(";")):
            statements.append(joined)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements
