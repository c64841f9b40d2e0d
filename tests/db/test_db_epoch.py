"""The database's epoch: one per database, kept across restarts, new for a fresh or restored one."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from onevisit.db.backup import online_backup
from onevisit.db.epoch import EPOCH_RENEW_KEY
from onevisit.queue import QueueService


def epoch_of(config, path: Path, clock) -> str:
    service = QueueService.open(config, db_path=path, clock=clock)
    try:
        return service.epoch()
    finally:
        service.close()


def test_a_database_keeps_its_epoch_and_a_fresh_one_gets_another(config, tmp_path, clock) -> None:
    hall_config = config.model_copy(update={"base_dir": tmp_path})
    first = epoch_of(hall_config, tmp_path / "hall.db", clock)
    assert len(first) == 16 and int(first, 16) >= 0
    assert epoch_of(hall_config, tmp_path / "hall.db", clock) == first  # a restart: same stream
    assert epoch_of(hall_config, tmp_path / "fresh.db", clock) != first


def test_every_restore_of_a_backup_is_a_new_epoch_and_the_live_database_keeps_its_own(
    config, tmp_path, clock
) -> None:
    hall_config = config.model_copy(update={"base_dir": tmp_path})
    live = tmp_path / "hall.db"
    service = QueueService.open(hall_config, db_path=live, clock=clock)
    try:
        service.issue(["enroll"], idempotency_key="k1")
        epoch = service.epoch()
        online_backup(live, tmp_path / "backup.db")
        assert service.epoch() == epoch  # taking a backup changes nothing in the hall database
    finally:
        service.close()
    restored = []
    for attempt in range(2):  # the same backup restored twice: two runs of event ids
        target = tmp_path / f"restored-{attempt}.db"
        shutil.copyfile(tmp_path / "backup.db", target)
        restored.append(epoch_of(hall_config, target, clock))
        assert epoch_of(hall_config, target, clock) == restored[-1]  # the mark is used up on first open
        with sqlite3.connect(target) as conn:
            assert conn.execute("SELECT 1 FROM meta WHERE key = ?", (EPOCH_RENEW_KEY,)).fetchone() is None
    assert len({epoch, *restored}) == 3
