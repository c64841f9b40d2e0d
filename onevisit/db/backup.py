"""A consistent copy of the hall database taken while the server writes to it.

Copying hall.db with `cp` while the server runs can catch a checkpoint half-way and leaves the
newest transactions in hall.db-wal behind; SQLite's backup API copies one consistent snapshot
that includes them. The copy is written beside the target and renamed into place only after its
integrity check passes, so a failed backup never replaces a good one.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from onevisit.core.errors import OneVisitError
from onevisit.db.epoch import mark_copy_for_new_epoch

log = logging.getLogger(__name__)

#: Pages copied per step; between steps the server's writers get the database back.
PAGES_PER_STEP = 256


class BackupError(OneVisitError):
    pass


@dataclass(frozen=True)
class BackupResult:
    source: str
    target: str
    bytes: int
    tickets: int
    events: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def default_target(source: Path, now: dt.datetime) -> Path:
    return source.parent / "backups" / f"{source.stem}-{now:%Y%m%d-%H%M%S}.db"


def online_backup(source: str | Path, target: str | Path) -> BackupResult:
    """Copy `source` to `target` with sqlite3's backup API; checks the copy before keeping it."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise BackupError(
            "backup_source_missing", f"找不到数据库 {source}", f"No database at {source}", path=str(source)
        )
    if target.resolve() == source.resolve():
        raise BackupError(
            "backup_same_file", "备份不能覆盖数据库本身", "The backup cannot overwrite the database"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    started = dt.datetime.now()
    # Read-only URI: a backup never creates or changes the hall database, even a wrong path.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(
                    "backup_corrupt", "备份校验失败，未保存", f"The copy failed its integrity check: {check}"
                )
            # a restore of this copy is a new run of event ids: mark it for a new epoch (db/epoch.py)
            mark_copy_for_new_epoch(dst)
            tickets = _count(dst, "tickets")
            events = _count(dst, "events")
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(
            "backup_failed", f"备份失败：{exc}", f"Backup failed: {exc}", path=str(source)
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    os.replace(partial, target)
    seconds = (dt.datetime.now() - started).total_seconds()
    log.info("backup of %s to %s: %d tickets, %d events", source, target, tickets, events)
    return BackupResult(str(source), str(target), target.stat().st_size, tickets, events, seconds)


def _count(conn: sqlite3.Connection, table: str) -> int:
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # a database from before the queue's first start
