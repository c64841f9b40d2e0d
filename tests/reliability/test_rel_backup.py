"""`onevisit backup`: an online copy that is complete and checked, and clear refusals."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from onevisit.db.backup import BackupError, online_backup
from onevisit.queue import QueueService, replay
from tests.conftest import REPO

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def service(config, clock, tmp_path):
    config = config.model_copy(update={"base_dir": tmp_path})
    svc = QueueService.open(config, db_path=tmp_path / "hall.db", clock=clock)
    yield svc
    svc.close()


def test_backup_holds_what_is_still_only_in_the_wal(service, tmp_path):
    for i in range(30):
        service.issue(["enroll", "card"], idempotency_key=f"k{i}")
    service.call_next(1, "staff:w1")
    wal = tmp_path / "hall.db-wal"
    assert wal.exists() and wal.stat().st_size > 0  # the newest rows are in the WAL, not hall.db
    result = online_backup(tmp_path / "hall.db", tmp_path / "out" / "copy.db")
    assert result.tickets == 30 and result.events == 31
    assert not (tmp_path / "out" / "copy.db-wal").exists()  # one self-contained file
    copy = QueueService.open(service.config, db_path=tmp_path / "out" / "copy.db", clock=service.clock)
    try:
        events = copy.events_since(0, 10_000)
        assert not replay.differences(replay.rebuild(copy.config, events), replay.snapshot(copy.store))
        assert copy.window_status(1).current_number == service.window_status(1).current_number
    finally:
        copy.close()


def test_refusals_and_a_failed_backup_keeps_the_old_one(service, tmp_path):
    with pytest.raises(BackupError) as err:
        online_backup(tmp_path / "nope.db", tmp_path / "x.db")
    assert err.value.code == "backup_source_missing" and err.value.zh
    with pytest.raises(BackupError) as err:
        online_backup(tmp_path / "hall.db", tmp_path / "hall.db")
    assert err.value.code == "backup_same_file"
    not_a_db = tmp_path / "junk.db"
    not_a_db.write_bytes(b"this is not a database" * 100)
    good = tmp_path / "good.db"
    online_backup(tmp_path / "hall.db", good)
    before = good.read_bytes()
    with pytest.raises(BackupError) as err:
        online_backup(not_a_db, good)
    assert err.value.code == "backup_failed"
    assert good.read_bytes() == before and not list(tmp_path.glob(".good.db.partial"))


def test_cli_prints_what_it_copied(service, tmp_path):
    service.issue(["enroll"], idempotency_key="cli-1")
    target = tmp_path / "b.db"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "backup",
            "--db",
            str(tmp_path / "hall.db"),
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["tickets"] == 1
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "backup",
            "--db",
            str(tmp_path / "missing.db"),
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert bad.returncode == 2 and "backup_source_missing" in bad.stderr
