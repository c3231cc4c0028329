"""Tests of the review store: schema, append-only decisions, concurrency, killed writers, backup, auth."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from craftvision.errors import AuthError, StoreError
from craftvision.review import ReviewStore, neutralize_cell

PRED = {"categories": [{"name": "carpet", "probability": 0.7}], "decision": "review", "model_version": "test@1"}


def _store(tmp_path) -> ReviewStore:
    s = ReviewStore(tmp_path / "data")
    s.add_user("rev", "a long password 1")
    return s


def test_schema_and_integrity(tmp_path):
    """Check the schema version, WAL mode, foreign keys and integrity of a new store."""
    s = _store(tmp_path)
    assert s.schema_version() == 1 and s.integrity_check() == "ok"
    conn = sqlite3.connect(s.db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_decisions_are_append_only(tmp_path):
    """Check that UPDATE and DELETE of decisions (and DELETE of submissions) are refused by the database."""
    s = _store(tmp_path)
    ref = s.create_submission([("a.jpg", b"x" * 10)], PRED, {}, "5701.10")
    sid = s.queue()[0]["id"]
    s.add_decision(sid, "confirm", "rev", "test@1")
    conn = sqlite3.connect(s.db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only: they cannot be updated"):
        conn.execute("UPDATE decisions SET final_code = '5701.90'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: they cannot be deleted"):
        conn.execute("DELETE FROM decisions")
    with pytest.raises(sqlite3.IntegrityError, match="submissions cannot be deleted"):
        conn.execute("DELETE FROM submissions")
    conn.close()
    s.add_decision(sid, "correct", "rev", "test@1", "carpet", "570190", "synthetic pile")
    hist = s.submission(sid)["history"]
    assert [h["action"] for h in hist] == ["confirm", "correct"] and hist[1]["final_code"] == "5701.90"
    assert s.status(ref).state == "corrected"


def test_corrections_are_validated(tmp_path):
    """Check that a correction needs a real 6-digit HS 2022 code, a known category and a reason."""
    s = _store(tmp_path)
    s.create_submission([("a.jpg", b"x")], PRED)
    sid = s.queue()[0]["id"]
    with pytest.raises(Exception, match="does not exist in HS 2022"):
        s.add_decision(sid, "correct", "rev", "m", "carpet", "5701.11", "x")
    with pytest.raises(StoreError, match="6-digit"):
        s.add_decision(sid, "correct", "rev", "m", "carpet", "57.01", "x")
    with pytest.raises(Exception, match="Unknown category 'carpets'"):
        s.add_decision(sid, "correct", "rev", "m", "carpets", "5701.10", "x")
    with pytest.raises(StoreError, match="needs a reason"):
        s.add_decision(sid, "correct", "rev", "m", "carpet", "5701.10", " ")
    with pytest.raises(StoreError, match="rejection reason must be one of"):
        s.add_decision(sid, "reject", "rev", "m", reason="ugly")
    with pytest.raises(StoreError, match="Unknown reviewer"):
        s.add_decision(sid, "confirm", "mallory", "m")


def test_references_are_unguessable(tmp_path):
    """Check that references carry at least 128 random bits and cannot be enumerated."""
    s = _store(tmp_path)
    refs = {s.create_submission([("a.jpg", bytes([i]))], PRED) for i in range(20)}
    assert len(refs) == 20 and all(len(r) >= 22 for r in refs)  # 24 bytes base64url = 32 chars
    for guess in ("1", "2", "0" * 32, "../../etc/passwd", "' OR 1=1 --"):
        with pytest.raises(StoreError, match="No request has this reference"):
            s.status(guess)


def test_login_throttling_and_session_expiry(tmp_path):
    """Check scrypt hashing, lock-out after 5 failures, and session expiry."""
    s = _store(tmp_path)
    conn = sqlite3.connect(s.db_path)
    assert conn.execute("SELECT password_hash FROM users").fetchone()[0].startswith("scrypt$16384$8$1$")
    now = time.time()
    for _ in range(5):
        with pytest.raises(AuthError, match="Wrong username or password"):
            s.login("rev", "wrong", now=now)
    with pytest.raises(AuthError, match="Too many failed logins"):
        s.login("rev", "a long password 1", now=now + 1)
    token = s.login("rev", "a long password 1", now=now + 61)
    assert s.session_user(token, now=now + 62) == "rev"
    with pytest.raises(AuthError, match="expired"):
        s.session_user(token, now=now + 61 + 9 * 3600)
    with pytest.raises(AuthError, match="expired"):
        s.session_user("forged")
    with pytest.raises(StoreError, match="at least 10 characters"):
        s.add_user("bob", "short")


def test_csv_export_neutralises_formulas(tmp_path):
    """Check that cells starting with = + - @ are neutralised in the CSV export."""
    s = _store(tmp_path)
    s.create_submission([("a.jpg", b"y")], PRED, description="=HYPERLINK(\"http://x\")")
    sid = s.queue()[0]["id"]
    s.add_decision(sid, "correct", "rev", "m", "carpet", "5701.10", "+cmd|' /C calc'!A0")
    out = s.export_decisions_csv()
    assert "'=HYPERLINK" in out and "'+cmd" in out
    assert neutralize_cell("@SUM(1)") == "'@SUM(1)" and neutralize_cell("-2") == "'-2" and neutralize_cell("ok") == "ok"


def test_export_paths_stay_inside(tmp_path):
    """Check that export folders come from sanitised categories and photo names from hashes only."""
    s = _store(tmp_path)
    s.create_submission([("../../evil.jpg", b"z")], PRED)
    sid = s.queue()[0]["id"]
    s.add_decision(sid, "confirm", "rev", "m")
    res = s.export_dataset(tmp_path / "export")
    files = [p for p in (tmp_path / "export").rglob("*") if p.is_file()]
    assert res["photos"] == 1 and all((tmp_path / "export") in p.parents for p in files)
    assert not (tmp_path / "evil.jpg").exists()


def test_backup_and_restore(tmp_path):
    """Check that an online backup restores every submission and decision."""
    s = _store(tmp_path)
    ref = s.create_submission([("a.jpg", b"photo")], PRED)
    s.add_decision(s.queue()[0]["id"], "confirm", "rev", "m")
    subprocess.run([sys.executable, "-m", "craftvision.cli", "review", "backup", str(tmp_path / "bk"),
                    "--data-dir", str(s.data_dir)], check=True, capture_output=True)
    restored = ReviewStore(tmp_path / "bk")
    assert restored.integrity_check() == "ok" and restored.counts() == s.counts()
    assert restored.status(ref).state == "confirmed"
    assert restored.photo_path(restored.submission(1)["photos"][0]["sha256"]).read_bytes() == b"photo"


def _writer(data_dir: str, worker: int, n: int, out: mp.Queue) -> None:
    s = ReviewStore(data_dir)
    refs = []
    for i in range(n):
        ref = s.create_submission([(f"w{worker}_{i}.jpg", f"{worker}-{i}".encode())], PRED, {"construction": "knotted"})
        sid = s.status(ref)  # read back
        refs.append(ref)
        sub_id = [q for q in s.queue(limit=100000) if q["reference"] == ref][0]["id"]
        s.add_decision(sub_id, "confirm", "rev", "m")
    out.put((worker, refs, sid is not None))


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(tmp_path):
    """Check 8 writer processes x 150 submissions + decisions: nothing lost, counts match, integrity ok."""
    s = _store(tmp_path)
    workers, n = 8, 150
    q: mp.Queue = mp.get_context("fork").Queue()
    procs = [mp.get_context("fork").Process(target=_writer, args=(str(s.data_dir), w, n, q)) for w in range(workers)]
    t0 = time.time()
    for p in procs:
        p.start()
    results = [q.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    counts = s.counts()
    print(f"{workers} writers x {n} submissions + decisions in {time.time() - t0:.1f} s: {counts}")
    assert counts["submissions"] == workers * n and counts["decisions"] == workers * n
    assert all(s.status(r).state == "confirmed" for _, refs, _ in results for r in refs)
    assert s.integrity_check() == "ok"


KILL_SCRIPT = """
import sys
from craftvision.review import ReviewStore
s = ReviewStore(sys.argv[1])
pred = {"categories": [{"name": "carpet", "probability": 0.7}], "decision": "review", "model_version": "m"}
i = 0
while True:
    ref = s.create_submission([(f"k{i}.jpg", f"kill-{i}".encode() * 50)], pred)
    print(ref, flush=True)  # acknowledged only after the commit returned
    i += 1
"""


@pytest.mark.slow
def test_killed_writer_loses_no_acknowledged_write(tmp_path):
    """Check that after SIGKILL mid-loop the store opens cleanly and every acknowledged write is there."""
    s = _store(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(s.data_dir)], stdout=subprocess.PIPE, text=True)
    acked = []
    deadline = time.time() + 60
    while len(acked) < 60 and time.time() < deadline:
        line = proc.stdout.readline().strip()
        if line:
            acked.append(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    acked += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    reopened = ReviewStore(s.data_dir)
    assert reopened.integrity_check() == "ok"
    assert len(acked) >= 60
    for ref in acked:
        assert reopened.status(ref).state == "pending"
