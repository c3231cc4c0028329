"""Tests of the review store: schema, append-only decisions, concurrency, killed writers, backup, auth."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from craftvision.errors import StoreError
from craftvision.review import PasswordParams, ReviewStore, neutralize_cell
from craftvision.review.schema import MIGRATIONS, SCHEMA_VERSION, split_statements

PRED = {"categories": [{"name": "carpet", "probability": 0.7}], "decision": "review", "model_version": "test@1"}
#: Cheap argon2id for tests that are not about password hashing (tests/test_auth.py uses the real cost).
FAST = PasswordParams(time_cost=1, memory_kib=1024, parallelism=1)


def _store(tmp_path) -> ReviewStore:
    s = ReviewStore(tmp_path / "data", password_params=FAST)
    s.add_user("rev", "a long password 1")
    return s


def test_schema_and_integrity(tmp_path):
    """Check the schema version, WAL mode, foreign keys and integrity of a new store."""
    s = _store(tmp_path)
    assert s.schema_version() == 2 and s.integrity_check() == "ok"
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


def test_references_survive_csv_export(tmp_path, monkeypatch):
    """Check that a reference never starts with "-" (the CSV export would prefix it with a quote), so that every
    reference reads back verbatim from the decisions CSV."""
    import secrets

    drawn = iter(["-" + "a" * 31, "b" * 32])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: next(drawn))
    s = _store(tmp_path)
    ref = s.create_submission([("a.jpg", b"x")], PRED)
    assert ref == "b" * 32
    s.add_decision(s.queue()[0]["id"], "confirm", "rev", "m")
    assert f"\n1,{ref}," in s.export_decisions_csv()


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


V1_SCHEMA = Path(__file__).parent / "fixtures" / "review_schema_v1.sql"


def _legacy_scrypt(password: str) -> str:
    """A password hash exactly as craftvision 0.1 wrote it (scrypt N=2^14, r=8, p=1)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def _v1_store(data_dir: Path) -> str:
    """Build a store file as schema version 1 left it: a reviewer, a live session, a decided submission."""
    (data_dir / "photos").mkdir(parents=True)
    conn = sqlite3.connect(data_dir / "review.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in split_statements(V1_SCHEMA.read_text(encoding="utf-8")):
        conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO users (username, password_hash, created_at, failed_logins) VALUES (?,?,?,2)",
                 ("amina", _legacy_scrypt("an old password 1"), "2026-01-05T10:00:00.000000Z"))
    conn.execute("INSERT INTO sessions VALUES (?, 'amina', ?)",
                 (hashlib.sha256(b"old-session-token").hexdigest(), time.time() + 3600))
    ref = "r" * 32
    conn.execute("INSERT INTO submissions (reference, created_at, category, decision, confidence, model_version, "
                 "prediction_json, answers_json, suggested_code) VALUES (?, '2026-01-05T10:01:00Z', 'carpet', 'review', 0.7, "
                 "'m@1', ?, '{}', '5701.10')", (ref, json.dumps(PRED)))
    conn.execute("INSERT INTO decisions (submission_id, action, final_category, final_code, reviewer, created_at, model_version) "
                 "VALUES (1, 'confirm', 'carpet', '5701.10', 'amina', '2026-01-05T11:00:00Z', 'm@1')")
    conn.execute("COMMIT")
    conn.close()
    return ref


def test_version1_store_upgrades_in_place(tmp_path):
    """Check that a store file written with schema 1 opens, is upgraded in place and keeps every row and guarantee."""
    fixture = "".join(line for line in V1_SCHEMA.read_text(encoding="utf-8").splitlines(True) if not line.startswith("--"))
    assert split_statements(fixture) == split_statements(MIGRATIONS[1])  # a shipped migration is never edited
    ref = _v1_store(tmp_path / "old")
    s = ReviewStore(tmp_path / "old", password_params=FAST)
    assert s.schema_version() == SCHEMA_VERSION == 2 and s.integrity_check() == "ok"
    assert s.counts() == {"submissions": 1, "submission_photos": 0, "photos": 0, "decisions": 1, "users": 1}
    assert s.status(ref).state == "confirmed" and s.status(ref).final_code == "5701.10"
    assert s.session_user("old-session-token") == "amina"  # live sessions survive the upgrade
    s.login("amina", "an old password 1")  # the old scrypt hash still verifies (and is upgraded, see test_auth)
    conn = sqlite3.connect(s.db_path)
    assert conn.execute("SELECT password_changed_at FROM users").fetchone()[0] == "2026-01-05T10:00:00.000000Z"
    with pytest.raises(sqlite3.IntegrityError, match="append-only: they cannot be updated"):
        conn.execute("UPDATE decisions SET final_code = '5701.90'")
    conn.close()
    assert ReviewStore(tmp_path / "old", password_params=FAST).schema_version() == 2  # reopening changes nothing


def test_newer_store_is_refused(tmp_path):
    """Check that a store written by a newer program is refused with a message naming the versions."""
    s = _store(tmp_path)
    conn = sqlite3.connect(s.db_path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"schema version 99, newer than this program's \(2\): upgrade craftvision"):
        ReviewStore(s.data_dir, password_params=FAST)


def test_split_statements_keeps_trigger_bodies_whole():
    """Check that migrations split at statement ends only (semicolons inside triggers and strings stay) and that an
    unfinished statement is refused."""
    script = ("CREATE TABLE t (a TEXT DEFAULT 'x;y');\nCREATE TRIGGER t_no BEFORE DELETE ON t\n"
              "    BEGIN SELECT RAISE(ABORT, 'no; never'); SELECT 1; END;\nINSERT INTO t VALUES ('1;2');\n")
    parts = split_statements(script)
    assert len(parts) == 3 and parts[1].endswith("END;") and "SELECT 1;" in parts[1]
    with pytest.raises(StoreError, match="ends in an incomplete SQL statement: 'CREATE TABLE u"):
        split_statements(script + "CREATE TABLE u (a")
