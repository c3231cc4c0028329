"""The review store's database: connections, one-transaction writes, and the versioned schema.

Each migration is plain SQL, applied once, in order, inside one IMMEDIATE transaction together with
the new version number in ``meta``; an older store file is upgraded in place when it is opened, and
a store written by a newer program is refused rather than misread. Migrations are append-only
history: never edit one that has shipped, add the next.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ..errors import StoreError

_V1 = """
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
"""

# v2 (login hardening): when each password was last set; one counter row for failed logins under
# names that do not exist (written like an account's counter, so both failures cost the same); and
# indexes for the per-user session purge on password change and the expiry purge on login.
_V2 = """
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
UPDATE users SET password_changed_at = created_at;
CREATE TABLE unknown_logins (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    failed INTEGER NOT NULL DEFAULT 0,
    last_at REAL
);
INSERT INTO unknown_logins (id) VALUES (1);
CREATE INDEX sessions_by_user ON sessions(username);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
"""

MIGRATIONS = {1: _V1, 2: _V2}
SCHEMA_VERSION = max(MIGRATIONS)
#: UPDATE ... RETURNING (the login counter's single statement) arrived in SQLite 3.35.
MIN_SQLITE = (3, 35, 0)


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds, the store's timestamp format."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def split_statements(script: str) -> list[str]:
    """Split a migration into single statements (trigger bodies stay whole).

    ``executescript`` would run the script in one call but commits the open transaction first,
    so a migration would no longer be atomic with its version number; SQLite's own
    ``complete_statement`` tells where each statement ends instead.

    Raises:
        StoreError: when the script ends in an incomplete statement.
    """
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise StoreError(f"A schema migration ends in an incomplete SQL statement: {current.strip()[:80]!r}.")
    return statements


class Database:
    """One SQLite file in WAL mode: short-lived connections, IMMEDIATE write transactions."""

    def __init__(self, path: str | Path):
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise StoreError(f"The review store needs SQLite >= {'.'.join(map(str, MIN_SQLITE))} (for UPDATE ... RETURNING); "
                             f"this Python uses {sqlite3.sqlite_version}: install a newer Python or libsqlite3.")
        self.path = Path(path)

    def connect(self) -> sqlite3.Connection:
        """A new connection in autocommit mode (transactions are explicit), rows addressable by name."""
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a power cut too
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    @contextmanager
    def read(self):
        """A connection for reads, closed afterwards."""
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self):
        """One IMMEDIATE transaction: committed on success, rolled back on any error.

        IMMEDIATE takes the write lock at BEGIN, so a read-then-write inside it cannot interleave
        with another writer's (no lost updates).
        """
        conn = self.connect()
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

    def migrate(self) -> int:
        """Bring the file to SCHEMA_VERSION in one transaction; returns the version found before.

        Raises:
            StoreError: when the file was written by a newer program.
        """
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            found = int(row["value"]) if row else 0
            if found > SCHEMA_VERSION:
                raise StoreError(f"The review store {self.path} has schema version {found}, newer than this program's "
                                 f"({SCHEMA_VERSION}): upgrade craftvision to open it.")
            for version in range(found + 1, SCHEMA_VERSION + 1):
                for statement in split_statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))
        return found

    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self.read() as conn:
            return int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    def integrity_check(self) -> str:
        """SQLite's own integrity check: "ok" for a sound file."""
        with self.read() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0]
