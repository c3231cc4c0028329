"""The review store: submissions from artisans, append-only decisions from customs staff, reviewers.

One data folder holds ``review.sqlite3`` (WAL, foreign keys, versioned schema, see ``schema``) and
the photos by content hash (``photos``). The work is done in four rooms, each over the same
database: ``submissions`` (submissions and decisions), ``auth`` (accounts, logins, sessions),
``exports`` (CSV, dataset, backup); this class opens the folder, upgrades an older file in place
and offers their methods under one name. Each public method is one transaction, so a killed
process loses nothing that was acknowledged.
"""

from __future__ import annotations

from pathlib import Path

from .auth import LOCK_SECONDS, MAX_FAILED_LOGINS, SESSION_SECONDS, Reviewers
from .exports import Exports, neutralize_cell, safe_component
from .passwords import PasswordParams
from .photos import PhotoStore
from .schema import SCHEMA_VERSION, Database
from .submissions import ACTIONS, REJECT_REASONS, Status, Submissions

__all__ = ["ACTIONS", "LOCK_SECONDS", "MAX_FAILED_LOGINS", "REJECT_REASONS", "SCHEMA_VERSION", "SESSION_SECONDS",
           "ReviewStore", "Status", "neutralize_cell", "safe_component"]


class ReviewStore:
    """Submissions, photos, decisions, reviewers and sessions under one data folder.

    Args:
        data_dir: the folder (created if missing).
        password_params: argon2id cost of new password hashes (default: OWASP guidance).
        max_failed_logins: consecutive failed logins that lock an account.
    """

    def __init__(self, data_dir: str | Path, *, password_params: PasswordParams | None = None,
                 max_failed_logins: int = MAX_FAILED_LOGINS):
        self.data_dir = Path(data_dir).resolve()
        self.photos = PhotoStore(self.data_dir / "photos")
        self.photo_dir = self.photos.root
        self.db = Database(self.data_dir / "review.sqlite3")
        self.db_path = self.db.path
        self.db.migrate()
        self.submissions = Submissions(self.db, self.photos, self.data_dir)
        self.reviewers = Reviewers(self.db, password_params, max_failed_logins=max_failed_logins)
        self.exports = Exports(self.db, self.photos, self.data_dir)

    # -- the file -----------------------------------------------------------------------------
    def schema_version(self) -> int:
        """The schema version of the store file (SCHEMA_VERSION once opened)."""
        return self.db.schema_version()

    def integrity_check(self) -> str:
        """SQLite's integrity check of the store file: "ok" when sound."""
        return self.db.integrity_check()

    def photo_path(self, sha: str) -> Path:
        """The file of a stored photo, by its SHA-256; StoreError when there is none."""
        return self.photos.existing(sha)

    # -- submissions and decisions ------------------------------------------------------------
    def create_submission(self, photos: list[tuple[str, bytes]], prediction: dict, answers: dict | None = None,
                          suggested_code: str | None = None, description: str = "", contact: str = "",
                          lang: str = "fr", category: str | None = None) -> str:
        """Store a submission; returns its reference. `category` is the one the artisan answered
        the questions for (default: the model's top); the model's ranking stays in `prediction`."""
        return self.submissions.create(photos, prediction, answers, suggested_code, description, contact, lang, category)

    def status(self, reference: str) -> Status:
        """What an artisan may see of their submission, found by its reference only."""
        return self.submissions.status(reference)

    def queue(self, category: str | None = None, decision: str | None = None, order: str = "oldest",
              limit: int = 200, include_decided: bool = False) -> list[dict]:
        """Submissions awaiting review (oldest or least confident first), filterable by category and decision."""
        return self.submissions.queue(category, decision, order, limit, include_decided)

    def submission(self, submission_id: int) -> dict:
        """Everything a reviewer sees of one submission, with photos and decision history."""
        return self.submissions.get(submission_id)

    def add_decision(self, submission_id: int, action: str, reviewer: str, model_version: str,
                     final_category: str | None = None, final_code: str | None = None, reason: str = "") -> int:
        """Append a decision (confirm / correct / reject); corrections are checked against HS 2022 and the taxonomy."""
        return self.submissions.add_decision(submission_id, action, reviewer, model_version, final_category, final_code, reason)

    def counts(self) -> dict:
        """Row counts of the main tables."""
        return self.submissions.counts()

    # -- reviewers and sessions ---------------------------------------------------------------
    def add_user(self, username: str, password: str) -> None:
        """Create a reviewer account (10+ character password, hashed with argon2id)."""
        self.reviewers.add_user(username, password)

    def login(self, username: str, password: str, now: float | None = None) -> str:
        """Check a password (one KDF call, counted lock-out) and open a session; returns its token."""
        return self.reviewers.login(username, password, now)

    def change_password(self, username: str, old_password: str, new_password: str, now: float | None = None) -> None:
        """Replace a password after checking the old one like a login; ends all of the account's sessions."""
        self.reviewers.change_password(username, old_password, new_password, now)

    def session_user(self, token: str | None, now: float | None = None) -> str:
        """The reviewer of a live session; AuthError when missing, unknown, expired or ended."""
        return self.reviewers.session_user(token, now)

    def logout(self, token: str) -> None:
        """End one session."""
        self.reviewers.logout(token)

    # -- exports and backup -------------------------------------------------------------------
    def decisions_rows(self) -> list[dict]:
        """Every decision joined with its submission, oldest first."""
        return self.exports.decisions_rows()

    def export_decisions_csv(self) -> str:
        """All decisions as CSV text, cells neutralised against formula injection."""
        return self.exports.decisions_csv()

    def export_dataset(self, dest: str | Path) -> dict:
        """The reviewed photos as a labelled folder dataset with manifest.csv; returns a summary."""
        return self.exports.dataset(dest)

    def backup(self, dest: str | Path) -> Path:
        """Online backup of the database (SQLite backup API) and the photos into `dest`."""
        return self.exports.backup(dest)
