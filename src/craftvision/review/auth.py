"""Reviewer accounts, logins and sessions of the review store.

A login attempt costs one KDF call whatever the name: a real account's hash, or a dummy hash at
the same parameters for an unknown name, so the time taken does not tell which names exist. Every
failure is then written down in one statement inside one IMMEDIATE transaction (the account's
``failed_logins = failed_logins + 1 ... RETURNING``, or the count of unknown-name failures), and
the lock-out is decided from the value that statement returned: parallel guesses are serialised by
SQLite's write lock, so none is lost and the account locks at exactly the limit. Sessions are
random 256-bit tokens stored as SHA-256, bound to an expiry, deleted on logout and, for all of an
account's sessions, when its password changes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from ..errors import AuthError, StoreError
from .passwords import PasswordParams, dummy_hash, hash_password, needs_rehash, verify_password
from .schema import Database, utc_now

#: Failed logins allowed before the account is locked, and the first lock's length (doubling after).
MAX_FAILED_LOGINS = 5
LOCK_SECONDS = 60
SESSION_SECONDS = 8 * 3600
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
_WRONG = "Wrong username or password."


@dataclass(frozen=True)
class _Outcome:
    """What one attempt's transaction found; raised as an AuthError once the transaction is committed."""

    ok: bool
    locked_for: float = 0.0


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _locked_error(seconds: float) -> AuthError:
    return AuthError(f"Too many failed logins: this account is locked, try again in {int(seconds) + 1} s.")


class Reviewers:
    """Accounts and sessions over one store database.

    Args:
        db: the store's database.
        params: argon2id cost for new hashes (older hashes are upgraded at the next good login).
        max_failed_logins: consecutive failures that lock an account.
        session_seconds: how long a session token stays valid.
    """

    def __init__(self, db: Database, params: PasswordParams | None = None, *,
                 max_failed_logins: int = MAX_FAILED_LOGINS, session_seconds: float = SESSION_SECONDS):
        if not isinstance(max_failed_logins, int) or max_failed_logins < 1:
            raise StoreError(f"max_failed_logins must be an integer >= 1; got {max_failed_logins!r}.")
        self.db = db
        self.params = params or PasswordParams()
        self.max_failed_logins = max_failed_logins
        self.session_seconds = session_seconds
        self._dummy = dummy_hash(self.params)  # made now, so that no login pays for it

    def add_user(self, username: str, password: str) -> None:
        """Create a reviewer account.

        Raises:
            StoreError: for a malformed name, a short password or an existing name.
        """
        if not _USERNAME.match(username or ""):
            raise StoreError(f"A username has 3 to 64 letters, digits, dots, dashes or underscores; got {username!r}.")
        _check_new_password(password)
        digest = hash_password(password, self.params)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise StoreError(f"The reviewer {username!r} already exists: choose another name.")
            now = utc_now()
            conn.execute("INSERT INTO users (username, password_hash, created_at, password_changed_at) VALUES (?,?,?,?)",
                         (username, digest, now, now))

    def login(self, username: str, password: str, now: float | None = None) -> str:
        """Check a password and open a session; returns its token.

        Raises:
            AuthError: wrong name or password (one message for both), or the account is locked.
        """
        now = time.time() if now is None else now
        self._authenticate(username, password, now)
        token = secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute("INSERT INTO sessions (token_hash, username, expires_at) VALUES (?,?,?)",
                         (_token_hash(token), username, now + self.session_seconds))
        return token

    def change_password(self, username: str, old_password: str, new_password: str, now: float | None = None) -> None:
        """Replace a reviewer's password (the old one is checked like a login) and end all their sessions.

        Raises:
            StoreError: the new password is too short.
            AuthError: wrong name or old password, or the account is locked.
        """
        now = time.time() if now is None else now
        _check_new_password(new_password)
        self._authenticate(username, old_password, now)
        digest = hash_password(new_password, self.params)
        with self.db.transaction() as conn:
            conn.execute("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE username = ?",
                         (digest, utc_now(), username))
            conn.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def session_user(self, token: str | None, now: float | None = None) -> str:
        """The reviewer of a live session.

        Raises:
            AuthError: no token, or a token that is unknown, expired, logged out or from before a password change.
        """
        now = time.time() if now is None else now
        if not token or not isinstance(token, str):
            raise AuthError("Please log in.")
        with self.db.read() as conn:
            row = conn.execute("SELECT username FROM sessions WHERE token_hash = ? AND expires_at > ?",
                               (_token_hash(token), now)).fetchone()
        if row is None:
            raise AuthError("Your session has expired: please log in again.")
        return row["username"]

    def logout(self, token: str) -> None:
        """End one session (a token that is not live is ignored)."""
        if token and isinstance(token, str):
            with self.db.transaction() as conn:
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))

    # -- the one gate -------------------------------------------------------------------------
    def _authenticate(self, username: str, password: str, now: float) -> None:
        """Exactly one KDF call, then one transaction that records the failure or clears the counters.

        Raises:
            AuthError: wrong name or password, or the account is locked.
        """
        name = username if isinstance(username, str) and _USERNAME.match(username) else None
        with self.db.read() as conn:
            row = conn.execute("SELECT password_hash FROM users WHERE username = ?", (name,)).fetchone() if name else None
        stored = row["password_hash"] if row else self._dummy
        good = verify_password(password if isinstance(password, str) else "", stored)
        if row is None:
            self._record_unknown(now)
            raise AuthError(_WRONG)
        outcome = self._record_success(name, now) if good else self._record_failure(name, now)
        if outcome.locked_for > 0:
            raise _locked_error(outcome.locked_for)
        if not outcome.ok:
            raise AuthError(_WRONG)
        # Only now, after the lock check: rehashing earlier would make a right password slower than
        # a wrong one on a locked account, telling a guesser which guess was right.
        if needs_rehash(stored, self.params):
            self._upgrade_hash(name, stored, hash_password(password, self.params))

    def _record_failure(self, username: str, now: float) -> _Outcome:
        with self.db.transaction() as conn:
            rows = conn.execute("UPDATE users SET failed_logins = failed_logins + 1 WHERE username = ? AND locked_until <= ? "
                                "RETURNING failed_logins, lock_count", (username, now)).fetchall()
            if not rows:  # locked (maybe by a parallel guess since we read the row): this one does not count
                return _Outcome(False, self._locked_for(conn, username, now))
            failed, lock_count = rows[0]
            if failed < self.max_failed_logins:
                return _Outcome(False)
            conn.execute("UPDATE users SET failed_logins = 0, locked_until = ?, lock_count = lock_count + 1 WHERE username = ?",
                         (now + LOCK_SECONDS * 2 ** lock_count, username))
        return _Outcome(False)  # the guess that reaches the limit is told "wrong"; the next ones "locked"

    def _record_success(self, username: str, now: float) -> _Outcome:
        with self.db.transaction() as conn:
            rows = conn.execute("UPDATE users SET failed_logins = 0, lock_count = 0 WHERE username = ? AND locked_until <= ? "
                                "RETURNING username", (username, now)).fetchall()
            if not rows:  # a right password does not open a locked account
                return _Outcome(False, self._locked_for(conn, username, now))
        return _Outcome(True)

    def _upgrade_hash(self, username: str, stored: str, upgraded: str) -> None:
        with self.db.transaction() as conn:  # compare-and-set: a password changed meanwhile is not overwritten
            conn.execute("UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                         (upgraded, username, stored))

    def _record_unknown(self, now: float) -> None:
        # The same shape of write as a real account's failure, so that both cost one committed
        # transaction; the count also shows guessing at names that do not exist.
        with self.db.transaction() as conn:
            conn.execute("UPDATE unknown_logins SET failed = failed + 1, last_at = ? WHERE id = 1 RETURNING failed",
                         (now,)).fetchall()

    @staticmethod
    def _locked_for(conn, username: str, now: float) -> float:
        row = conn.execute("SELECT locked_until FROM users WHERE username = ?", (username,)).fetchone()
        return max(row["locked_until"] - now, 0.001) if row else 0.001


def _check_new_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise StoreError(f"A reviewer password needs at least {MIN_PASSWORD} characters; "
                         f"got {len(password) if isinstance(password, str) else 0}.")
