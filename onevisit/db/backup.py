"""A consistent copy of the hall database taken while the server writes to it, and its restore.

SQLite (`online_backup`): copying hall.db with `cp` while the server runs can catch a checkpoint half-way and leaves the
newest transactions in hall.db-wal behind; SQLite's backup API copies one consistent snapshot
that includes them. The copy is written beside the target and renamed into place only after its
integrity check passes, so a failed backup never replaces a good one.

PostgreSQL (`pg_backup`): `pg_dump` in custom format of the hall's schema alone (`-n hall_<code>`;
other halls sharing the database are not in it), from a snapshot exported by a REPEATABLE READ
transaction that also counts the tickets and events, so the counts printed are the dump's. The
password goes to pg_dump in PGPASSWORD, never on its command line or in a log line. The dump is
written beside the target, listed with `pg_restore --list` and renamed into place only then.

Restoring (`restore`): a restored hall starts a new run of event ids (db/epoch.py), so both paths
mark the restored database to take a new epoch on first open. SQLite: the backup file already
carries the mark; it is copied over the hall database. PostgreSQL: a dump cannot be marked (it is
taken from a read-only snapshot), so `pg_restore_hall` sets the mark in the restored schema. Neither
overwrites a hall that has data unless asked (`replace=True`), and then the old one is kept aside
(`<file>.replaced-<time>`, schema `<schema>_replaced_<time>`), never dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from onevisit.core.errors import OneVisitError
from onevisit.db import DatabaseUnavailable
from onevisit.db import schema as tables
from onevisit.db.database import Database, describe, is_postgres, schema_name
from onevisit.db.epoch import EPOCH_RENEW_KEY, mark_copy_for_new_epoch

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


# -- PostgreSQL ------------------------------------------------------------------------------------

#: Where Debian puts the client tools of each major version; the newest wins (pg_dump must be at
#: least the server's version). $PG_BIN first, then $PATH.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
#: pg_dump and pg_restore give up after this long (seconds): a hall schema dumps in seconds.
PG_TOOL_TIMEOUT = 600


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client tool (pg_dump, pg_restore). Raises BackupError when absent."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += sorted(
        (str(p) for p in Path("/").glob(PG_BIN_GLOB.lstrip("/"))),
        key=lambda p: int(re.sub(r"\D", "", p) or 0),
        reverse=True,
    )
    for folder in candidates:
        if folder and (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        "backup_tool_missing",
        f"找不到 {name}（请安装 postgresql-client）",
        f"{name} not found: install postgresql-client (or set PG_BIN)",
    )


def _libpq_env(url: str) -> dict[str, str]:
    """PG* variables for a libpq tool: the password travels here, never on argv."""
    u = make_url(url)
    env = {**os.environ, "PGDATABASE": u.database or "", "PGHOST": u.host or "", "PGUSER": u.username or ""}
    if u.port:
        env["PGPORT"] = str(u.port)
    if u.password is not None:
        env["PGPASSWORD"] = str(u.password)
    if "sslmode" in u.query:
        env["PGSSLMODE"] = str(u.query["sslmode"])
    return env


def _tool(args: list[str], url: str, what: str) -> str:
    """Run pg_dump / pg_restore; its own error, first lines, on failure (it never holds the password)."""
    try:
        proc = subprocess.run(
            args, env=_libpq_env(url), capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise BackupError(
            "backup_timeout",
            f"{what} 超时（{PG_TOOL_TIMEOUT} 秒）",
            f"{what} timed out after {PG_TOOL_TIMEOUT} s",
        ) from None
    if proc.returncode != 0:
        reason = " ".join(proc.stderr.strip().splitlines()[:3]) or f"exit {proc.returncode}"
        raise BackupError(
            "backup_failed", f"{what} 失败：{reason}", f"{what} failed: {reason}", target=describe(url)
        )
    return proc.stdout


def default_pg_target(folder: Path, hall_code: str, now: dt.datetime) -> Path:
    """backups/hall_<code>-YYYYmmdd-HHMMSS.dump in `folder` (the config's folder)."""
    return folder / "backups" / f"{schema_name(hall_code)}-{now:%Y%m%d-%H%M%S}.dump"


def _unreachable(url: str, exc: DBAPIError) -> DatabaseUnavailable:
    return DatabaseUnavailable(url, str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__)


def _has_table(tx: Any, schema: str, table: str) -> bool:
    return bool(
        tx.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            schema,
            table,
        )
    )


def _schema_exists(tx: Any, schema: str) -> bool:
    return bool(tx.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = ?", schema))


def pg_backup(url: str, hall_code: str, target: str | Path) -> BackupResult:
    """Dump one hall's schema with pg_dump (custom format) to `target`, checked before it is kept.

    Raises BackupError: no such hall on that database, the server unreachable, pg_dump failing or
    its output unreadable by pg_restore. The counts are those of the dump's own snapshot.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    db = Database(url, hall_code=hall_code)
    schema = db.schema or ""
    try:
        with db.reading() as tx:
            if not _schema_exists(tx, schema):
                raise BackupError(
                    "backup_source_missing",
                    f"数据库 {describe(url)} 中没有大厅 {hall_code}（{schema}）",
                    f"No hall {hall_code} (schema {schema}) in {describe(url)}",
                )
            # pg_dump reads the same snapshot this REPEATABLE READ transaction holds open
            snapshot = tx.scalar("SELECT pg_export_snapshot()")
            tickets = tx.scalar("SELECT count(*) FROM tickets") if _has_table(tx, schema, "tickets") else 0
            events = tx.scalar("SELECT count(*) FROM events") if _has_table(tx, schema, "events") else 0
            _tool(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    f"--schema={schema}",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--file={partial}",
                ],
                url,
                "pg_dump",
            )
        listing = _tool([pg_tool("pg_restore"), "--list", str(partial)], url, "pg_restore --list")
        if dumped_schema(listing) != schema:
            raise BackupError(
                "backup_corrupt", "备份校验失败，未保存", f"The dump does not hold the schema {schema}"
            )
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, target)
    except DBAPIError as exc:
        raise _unreachable(url, exc) from None
    finally:
        partial.unlink(missing_ok=True)
        db.dispose()
    log.info(
        "backup of hall %s on %s to %s: %d tickets, %d events",
        hall_code,
        describe(url),
        target,
        tickets,
        events,
    )
    return BackupResult(
        describe(url),
        str(target),
        target.stat().st_size,
        int(tickets),
        int(events),
        time.monotonic() - started,
    )


def dumped_schema(listing: str) -> str | None:
    """The schema a `pg_restore --list` table of contents creates (`…; SCHEMA - hall_x owner`)."""
    found = re.search(r"^\d+; \d+ \d+ SCHEMA - (\S+) ", listing, re.MULTILINE)
    return found.group(1) if found else None


@dataclass(frozen=True)
class RestoreResult:
    source: str
    target: str
    tickets: int
    events: int
    #: where the hall that was replaced was kept (a file or a schema), None when there was none
    kept_aside: str | None

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def restore(
    backup: str | Path, target: str | Path, *, hall_code: str, replace: bool = False
) -> RestoreResult:
    """Put a backup back as the hall's database: a .db copy over a SQLite file, a pg_dump file into
    the hall's schema. The hall server must be stopped. The restored database takes a new epoch
    when it is next opened. Raises BackupError (the backup unreadable; a hall with data there and
    `replace` not given)."""
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(
            "restore_source_missing",
            f"找不到备份文件 {backup}",
            f"No backup file at {backup}",
            path=str(backup),
        )
    _check_engine(backup, postgres=is_postgres(target))
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
    if is_postgres(target):
        return pg_restore_hall(backup, str(target), hall_code, replace=replace, stamp=stamp)
    return _restore_file(backup, Path(target), replace=replace, stamp=stamp)


#: The first bytes of each engine's backup: a SQLite file's header, pg_dump's custom format.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


def _check_engine(backup: Path, *, postgres: bool) -> None:
    """Refuse a backup of the other engine by its first bytes, naming both, before pg_restore or
    sqlite3 give their own puzzling answer ("not a valid archive", "file is not a database"). A
    file of neither kind goes on to those checks. Raises BackupError."""
    with backup.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if postgres and head.startswith(SQLITE_MAGIC):
        raise BackupError(
            "restore_wrong_engine",
            f"{backup} 是 SQLite 备份（.db），而本大厅的数据库在 PostgreSQL 上：请用 pg_dump 备份（.dump）",
            f"{backup} is a SQLite backup (.db) and this hall's database is on PostgreSQL: restore a "
            "pg_dump backup (.dump)",
            path=str(backup),
        )
    if not postgres and head.startswith(PG_DUMP_MAGIC):
        raise BackupError(
            "restore_wrong_engine",
            f"{backup} 是 PostgreSQL 备份（.dump），而本大厅的数据库是 SQLite 文件：请用 --db postgresql://… 恢复到 PostgreSQL",
            f"{backup} is a PostgreSQL dump (.dump) and this hall's database is a SQLite file: restore "
            "it with --db postgresql://…",
            path=str(backup),
        )


def _restore_file(backup: Path, target: Path, *, replace: bool, stamp: str) -> RestoreResult:
    try:
        conn = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            tickets, events = _count(conn, "tickets"), _count(conn, "events")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            "restore_unreadable", f"备份文件无法读取：{exc}", f"The backup cannot be read: {exc}"
        ) from None
    aside = None
    if target.exists():
        if not replace:
            raise _hall_has_data(str(target))
        aside = target.with_name(f"{target.name}.replaced-{stamp}")
        os.replace(target, aside)
        for suffix in ("-wal", "-shm"):  # the old file's journal belongs to it, not to the backup
            old = target.with_name(target.name + suffix)
            if old.exists():
                os.replace(old, aside.with_name(aside.name + suffix))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(backup, partial)
    conn = sqlite3.connect(partial)
    try:
        mark_copy_for_new_epoch(conn)  # a backup made before the mark existed gets it too
    finally:
        conn.close()
    os.replace(partial, target)
    log.info("restored %s over %s (old one kept as %s)", backup, target, aside)
    return RestoreResult(str(backup), str(target), tickets, events, str(aside) if aside else None)


def _hall_has_data(where: str) -> BackupError:
    return BackupError(
        "restore_would_overwrite",
        f"{where} 已有数据：请先停止大厅服务，再加 --replace（原数据会保留在一旁，不会删除）",
        f"{where} already holds a hall: stop the hall server, then add --replace "
        "(the current one is kept aside, not dropped)",
        target=where,
    )


def pg_restore_hall(
    dump: Path, url: str, hall_code: str, *, replace: bool = False, stamp: str = ""
) -> RestoreResult:
    """pg_restore a hall's dump into the hall's schema on `url` (one transaction: all or nothing),
    then mark it for a new epoch. A dump of another hall code is restored under this hall's schema.
    Raises BackupError: not a dump of a hall, the schema in use and `replace` not given, the
    dump's own schema name taken by another hall, pg_restore failing (nothing changed then)."""
    listing = _tool([pg_tool("pg_restore"), "--list", str(dump)], url, "pg_restore --list")
    source = dumped_schema(listing)
    if source is None or not source.startswith("hall_"):
        raise BackupError(
            "restore_unreadable", "这不是大厅数据库的备份", f"{dump} is not the dump of a hall's schema"
        )
    db = Database(url, hall_code=hall_code)
    schema = db.schema or ""
    aside = None
    try:
        with db.transaction() as tx:
            if _schema_exists(tx, schema):
                if not replace:
                    raise _hall_has_data(f"{describe(url)} {schema}")
                aside = f"{schema}_replaced_{stamp}"[:63]
                tx.execute(f'ALTER SCHEMA "{schema}" RENAME TO "{aside}"')
            if source != schema and _schema_exists(tx, source):
                raise BackupError(
                    "restore_schema_taken",
                    f"备份中的大厅 {source} 在该数据库中仍在使用，无法恢复为 {schema}",
                    f"The dump's schema {source} is in use on {describe(url)}: restore it into another "
                    "database, or as its own hall",
                )
        try:
            _tool(
                [
                    pg_tool("pg_restore"),
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-owner",
                    "--no-password",
                    f"--dbname={_libpq_env(url)['PGDATABASE']}",
                    str(dump),
                ],
                url,
                "pg_restore",
            )
        except BackupError:
            if aside:
                with db.transaction() as tx:
                    tx.execute(f'ALTER SCHEMA "{aside}" RENAME TO "{schema}"')
            raise
        with db.transaction() as tx:
            if source != schema:
                tx.execute(f'ALTER SCHEMA "{source}" RENAME TO "{schema}"')
            if _has_table(tx, schema, "meta"):
                tx.upsert(tables.meta, {"key": EPOCH_RENEW_KEY, "value": "1"}, ["key"])
            tickets = tx.scalar("SELECT count(*) FROM tickets") if _has_table(tx, schema, "tickets") else 0
            events = tx.scalar("SELECT count(*) FROM events") if _has_table(tx, schema, "events") else 0
    except DBAPIError as exc:
        raise _unreachable(url, exc) from None
    finally:
        db.dispose()
    log.info("restored %s into %s on %s (old one kept as %s)", dump, schema, describe(url), aside)
    return RestoreResult(str(dump), f"{describe(url)} {schema}", int(tickets), int(events), aside)
