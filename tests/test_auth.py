"""Tests of reviewer logins: password hashing and upgrade, lock-out under parallel guessing, timing, sessions."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import statistics
import threading
import time

import argon2
import pytest

from craftvision.errors import AuthError, StoreError
from craftvision.review import PasswordParams, ReviewStore, hash_password, verify_password

PASSWORD = "a long password 1"
#: Cheap argon2id for tests that are not about the cost of hashing.
FAST = PasswordParams(time_cost=1, memory_kib=1024, parallelism=1)


def _store(path, **kwargs) -> ReviewStore:
    s = ReviewStore(path, **kwargs)
    s.add_user("amina", PASSWORD)
    return s


def _hash_of(s: ReviewStore, username: str) -> str:
    with sqlite3.connect(s.db_path) as conn:
        return conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()[0]


def _legacy_scrypt(password: str) -> str:
    """A hash exactly as craftvision 0.1 stores wrote it (scrypt N=2^14, r=8, p=1)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def test_passwords_are_hashed_with_argon2id_at_owasp_cost(tmp_path):
    """Check that new hashes are argon2id m=19 MiB, t=2, p=1 with a fresh salt, and that bad hashes verify as False."""
    s = _store(tmp_path / "d")
    stored = _hash_of(s, "amina")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted
    assert verify_password(PASSWORD, stored) and not verify_password(PASSWORD + "x", stored)
    assert verify_password(PASSWORD, _legacy_scrypt(PASSWORD)) and not verify_password("other one!", _legacy_scrypt(PASSWORD))
    for damaged in ("", "plain", "scrypt$1$2", "$argon2id$v=19$garbage"):
        assert not verify_password(PASSWORD, damaged)
    with pytest.raises(StoreError, match="time_cost must be an integer >= 1; got 0"):
        PasswordParams(time_cost=0)


def test_lockout_at_the_limit_then_doubling(tmp_path):
    """Check that the 5th wrong password locks the account for 60 s, a right one is refused meanwhile, and the
    next lock lasts 120 s."""
    s = _store(tmp_path / "d", password_params=FAST)
    now = time.time()
    for _ in range(5):
        with pytest.raises(AuthError, match="Wrong username or password"):
            s.login("amina", "wrong guess", now=now)
    with pytest.raises(AuthError, match="Too many failed logins: this account is locked, try again in 60 s"):
        s.login("amina", PASSWORD, now=now + 1)
    for _ in range(5):
        with pytest.raises(AuthError, match="Wrong username or password"):
            s.login("amina", "wrong guess", now=now + 61)
    with pytest.raises(AuthError, match="try again in 120 s"):
        s.login("amina", PASSWORD, now=now + 62)
    assert s.session_user(s.login("amina", PASSWORD, now=now + 182), now=now + 183) == "amina"
    with pytest.raises(StoreError, match="at least 10 characters; got 5"):
        s.add_user("bob", "short")


def test_parallel_wrong_guesses_lock_exactly_at_the_limit(tmp_path):
    """Check that 20 simultaneous wrong guesses (threads, real KDF cost) lock the account after exactly 5 failures:
    5 are told "wrong", 15 "locked", one lock is recorded, and the right password is refused afterwards."""
    s = _store(tmp_path / "d")
    barrier = threading.Barrier(20)
    messages: list[str] = []

    def guess():
        barrier.wait()
        try:
            s.login("amina", "wrong guess")
        except AuthError as exc:
            messages.append(str(exc))

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    wrong = sum(m.startswith("Wrong username or password") for m in messages)
    locked = sum(m.startswith("Too many failed logins") for m in messages)
    assert (len(messages), wrong, locked) == (20, 5, 15)
    with sqlite3.connect(s.db_path) as conn:
        failed, lock_count, locked_until = conn.execute(
            "SELECT failed_logins, lock_count, locked_until FROM users WHERE username = 'amina'").fetchone()
    assert (failed, lock_count) == (0, 1) and locked_until > time.time() + 50
    with pytest.raises(AuthError, match="Too many failed logins"):
        s.login("amina", PASSWORD)


def test_unknown_user_costs_one_kdf_call_like_a_known_one(tmp_path, monkeypatch):
    """Check that an unknown name, a wrong password, a right password and a locked account each cost exactly one
    argon2 verification and no hashing."""
    s = _store(tmp_path / "d", password_params=FAST, max_failed_logins=1)
    calls = {"verify": 0, "hash": 0}
    real_verify, real_hash = argon2.PasswordHasher.verify, argon2.PasswordHasher.hash

    def counting_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    def counting_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    monkeypatch.setattr(argon2.PasswordHasher, "hash", counting_hash)
    now = time.time()
    for name, password, when in [("nobody", PASSWORD, now), ("amina", PASSWORD, now), ("amina", "wrong guess", now),
                                 ("amina", PASSWORD, now + 1), ("x" * 500, PASSWORD, now)]:
        calls.update(verify=0, hash=0)
        try:
            s.login(name, password, now=when)
        except AuthError:
            pass
        assert calls == {"verify": 1, "hash": 0}, (name, password)


def test_locked_account_with_old_hash_does_not_rehash_a_right_password(tmp_path, monkeypatch):
    """Check that a right password on a locked account with a legacy hash is refused without rehashing (which would
    make it slower than a wrong guess), and that the hash is upgraded at the first good login after the lock."""
    s = _store(tmp_path / "d", password_params=FAST, max_failed_logins=1)
    with sqlite3.connect(s.db_path) as conn:
        conn.execute("UPDATE users SET password_hash = ? WHERE username = 'amina'", (_legacy_scrypt(PASSWORD),))
    now = time.time()
    with pytest.raises(AuthError, match="Wrong username or password"):
        s.login("amina", "wrong guess", now=now)
    hashes = []
    real_hash = argon2.PasswordHasher.hash
    monkeypatch.setattr(argon2.PasswordHasher, "hash", lambda self, *a, **k: hashes.append(1) or real_hash(self, *a, **k))
    with pytest.raises(AuthError, match="Too many failed logins"):
        s.login("amina", PASSWORD, now=now + 1)
    assert hashes == [] and _hash_of(s, "amina").startswith("scrypt$")
    s.login("amina", PASSWORD, now=now + 61)
    assert hashes == [1] and _hash_of(s, "amina").startswith("$argon2id$")


def test_unknown_and_known_names_take_the_same_time(tmp_path):
    """Check that, at the production KDF cost, the median time of a failed login differs by less than 10% between
    an unknown name and a known one with a wrong password (50 interleaved tries each)."""
    # A high limit keeps the known account unlocked, so every try takes the path an attacker probing names sees.
    s = _store(tmp_path / "d", max_failed_logins=10**6)
    times: dict[str, list[float]] = {"amina": [], "nobody": []}
    for i in range(53):
        for name in (("amina", "nobody") if i % 2 else ("nobody", "amina")):
            start = time.perf_counter()
            with pytest.raises(AuthError, match="Wrong username or password"):
                s.login(name, f"wrong guess {i}")
            if i >= 3:  # the first rounds warm caches and are not counted
                times[name].append(time.perf_counter() - start)
    known, unknown = statistics.median(times["amina"]), statistics.median(times["nobody"])
    print(f"median failed login: known name {known * 1000:.1f} ms, unknown name {unknown * 1000:.1f} ms, "
          f"difference {abs(unknown - known) / known:.1%} (50 tries each)")
    assert len(times["amina"]) == len(times["nobody"]) == 50
    assert abs(unknown - known) / known < 0.10
    with sqlite3.connect(s.db_path) as conn:
        assert conn.execute("SELECT failed_logins FROM users").fetchone()[0] == 53
        assert conn.execute("SELECT failed FROM unknown_logins").fetchone()[0] == 53


def test_old_hashes_are_upgraded_on_the_next_good_login(tmp_path):
    """Check that a legacy scrypt hash and an argon2id hash at older parameters still log in and are replaced by one
    at today's parameters on the next good login (not on a failed one)."""
    s = _store(tmp_path / "d", password_params=FAST)
    with sqlite3.connect(s.db_path) as conn:
        conn.execute("UPDATE users SET password_hash = ? WHERE username = 'amina'", (_legacy_scrypt(PASSWORD),))
    with pytest.raises(AuthError, match="Wrong username or password"):
        s.login("amina", "wrong guess")
    assert _hash_of(s, "amina").startswith("scrypt$16384$")
    s.login("amina", PASSWORD)
    assert _hash_of(s, "amina").startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    stronger = ReviewStore(s.data_dir, password_params=PasswordParams(time_cost=2, memory_kib=2048, parallelism=1))
    stronger.login("amina", PASSWORD)
    assert _hash_of(s, "amina").startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    before = _hash_of(s, "amina")
    stronger.login("amina", PASSWORD)
    assert _hash_of(s, "amina") == before  # current parameters: left alone


def test_sessions_end_at_expiry_logout_and_password_change(tmp_path):
    """Check that a session is refused after its expiry, after logout, and (all of them) after a password change,
    which needs the old password and a valid new one."""
    s = _store(tmp_path / "d", password_params=FAST)
    now = time.time()
    first, second, third = (s.login("amina", PASSWORD, now=now) for _ in range(3))
    assert s.session_user(first, now=now + 8 * 3600 - 1) == "amina"
    with pytest.raises(AuthError, match="session has expired"):
        s.session_user(first, now=now + 8 * 3600)
    s.logout(second)
    with pytest.raises(AuthError, match="session has expired"):
        s.session_user(second, now=now + 1)
    for token in (None, "", "forged-token"):
        with pytest.raises(AuthError, match="Please log in|session has expired"):
            s.session_user(token)
    with pytest.raises(AuthError, match="Wrong username or password"):
        s.change_password("amina", "not the old one", "a brand new password", now=now)
    with pytest.raises(StoreError, match="at least 10 characters"):
        s.change_password("amina", PASSWORD, "short", now=now)
    assert s.session_user(third, now=now + 1) == "amina"  # failed changes end nothing
    s.change_password("amina", PASSWORD, "a brand new password", now=now)
    with pytest.raises(AuthError, match="session has expired"):
        s.session_user(third, now=now + 1)
    with pytest.raises(AuthError, match="Wrong username or password"):
        s.login("amina", PASSWORD, now=now)
    assert s.session_user(s.login("amina", "a brand new password", now=now), now=now + 1) == "amina"
