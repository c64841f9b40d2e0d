"""One place that opens a hall database, SQLite or PostgreSQL, and runs transactions on it.

`open_database(target, hall_code=…)` takes `[hall] database` as written in config.toml: a file path
(SQLite, the embedded default) or a `postgresql://user:pw@host:port/db` URL. On PostgreSQL several
halls share one database, each in its own schema (`hall_<code>`): the database itself keeps one
hall's rows away from another's API, every query and index is the same on both engines, and one
hall can be dumped alone.

Writes are serialised per hall, as SQLite's `BEGIN IMMEDIATE` serialises a file's writers: on
PostgreSQL each write transaction first takes a transaction-level advisory lock keyed by the hall,
so one hall's writers run one after another while other halls write in parallel. Under READ
COMMITTED every statement after the lock sees what the previous holder committed, which is what
makes `max(id) + 1` and the ticket counters gapless and unique (see `Tx.insert`).

SQL text is written once with `?` placeholders; `Tx` turns them into the driver's style.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, func, insert, pool, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Executable

from onevisit.db import schema

log = logging.getLogger(__name__)

#: SQLite waits this long for another process's write lock before giving up (milliseconds).
BUSY_TIMEOUT_MS = 30_000
#: First key of the two-int advisory lock: keeps our locks apart from any other application's.
LOCK_NAMESPACE = 0x4F56  # "OV"
_HALL_CODE = re.compile(r"^[A-Za-z0-9_]{1,40}$")


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def describe(target: str | Path) -> str:
    """The target for a log line or a message: a path, or a URL without its password."""
    if is_postgres(target):
        return make_url(str(target)).render_as_string(hide_password=True)
    return str(target)


def schema_name(hall_code: str) -> str:
    """The PostgreSQL schema of a hall: `hall_` and the code in lower case (`H01` → `hall_h01`)."""
    if not _HALL_CODE.match(hall_code):
        raise ValueError(f"hall code {hall_code!r}: 1–40 letters, digits or _")
    return f"hall_{hall_code.lower()}"


def _sqlalchemy_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def hall_lock_key(name: str) -> int:
    """A signed 32-bit key for a hall's advisory lock, the same in every process and PostgreSQL
    version (hashtext() is an internal that may change between majors)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True)


@lru_cache(maxsize=1024)
def _format_style(sql: str) -> str:
    """`?` placeholders in psycopg's `%s` style, with literal `%` doubled; quoted text untouched."""
    out: list[str] = []
    quote: str | None = None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class Tx:
    """One open transaction. Reads see what this transaction wrote.

    `one`/`all`/`execute` take SQL text with `?` placeholders or a Core statement.
    """

    def __init__(self, conn: Connection, database: Database) -> None:
        self.conn = conn
        self.database = database

    @property
    def postgres(self) -> bool:
        return self.database.postgres

    def execute(self, sql: str | Executable, *params: Any) -> Any:
        if isinstance(sql, str):
            if self.database.postgres:
                sql = _format_style(sql)
            return self.conn.exec_driver_sql(sql, tuple(params))
        return self.conn.execute(sql, *params)

    def one(self, sql: str | Executable, *params: Any) -> dict[str, Any] | None:
        row = self.execute(sql, *params).mappings().first()
        return dict(row) if row is not None else None

    def all(self, sql: str | Executable, *params: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self.execute(sql, *params).mappings().all()]

    def scalar(self, sql: str | Executable, *params: Any) -> Any:
        return self.execute(sql, *params).scalar()

    def insert(self, table: Table, row: dict[str, Any]) -> int | None:
        """Insert one row; a table with an integer `id` gets max(id) + 1 when the row has none.

        Under the hall's write lock this is gapless and in commit order on both engines (what
        SQLite's rowid does by itself); a PostgreSQL sequence would be neither. Returns the id.
        """
        if "id" in table.c and row.get("id") is None:
            row = {**row, "id": self.next_id(table)}
        self.conn.execute(insert(table).values(row))
        return row.get("id")

    def next_id(self, table: Table) -> int:
        return int(self.conn.execute(select(func.coalesce(func.max(table.c.id), 0) + 1)).scalar_one())

    def upsert(
        self, table: Table, row: dict[str, Any], keys: Sequence[str], update: Sequence[str] | None = None
    ) -> None:
        """INSERT … ON CONFLICT (keys) DO UPDATE (the other columns, or `update`); DO NOTHING when
        `update` is empty. The same statement on both engines."""
        dialect = pg_dialect if self.database.postgres else sqlite_dialect
        stmt = dialect.insert(table).values(row)
        columns = [c for c in row if c not in keys] if update is None else list(update)
        if columns:
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns}
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        self.conn.execute(stmt)

    def notify(self, payload: str = "") -> None:
        """Wake this hall's listeners when the transaction commits (PostgreSQL NOTIFY; nothing on
        SQLite, whose hall server polls and is woken in-process)."""
        if self.database.postgres:
            self.conn.exec_driver_sql("SELECT pg_notify(%s, %s)", (self.database.channel, payload))


class Database:
    """An open hall database (one engine, a small pool) for one hall.

    transaction(): a write transaction, serialised with every other writer of this hall (in this
    process by a lock, across processes by BEGIN IMMEDIATE or the advisory lock). reading(): one
    consistent snapshot for several queries, never blocking a writer.
    """

    def __init__(
        self, target: str | Path, *, hall_code: str = "HALL", kind: str = "hall", durable: bool = True
    ) -> None:
        self.target = str(target)
        self.hall_code = hall_code
        #: "hall" (queue and hall server), "register" (the certificates register) or "region" (the
        #: city's server): its tables and its branch of the migrations
        self.kind = kind
        kinds = {
            "hall": schema.HALL_TABLES,
            "register": schema.REGISTER_TABLES,
            "region": schema.REGION_TABLES,
        }
        if kind not in kinds:
            raise ValueError(f"database kind {kind!r}: one of {sorted(kinds)}")
        self.tables = kinds[kind]
        self.postgres = is_postgres(target)
        #: False only for simulations and benchmarks of throw-away days: a commit returns before it
        #: reaches the disk (SQLite synchronous=OFF, PostgreSQL synchronous_commit=off).
        self.durable = durable
        # The region is one per database: its own schema `region`, whatever hall_code says.
        self.schema = ("region" if kind == "region" else schema_name(hall_code)) if self.postgres else None
        self.channel = f"onevisit_{self.schema}" if self.schema else ""
        self._write_lock = threading.RLock()
        self.engine = self._make_engine()

    # -- engines -------------------------------------------------------------------------------
    def _make_engine(self) -> Engine:
        if self.postgres:
            return create_engine(
                _sqlalchemy_url(self.target),
                # READ COMMITTED: each statement after the advisory lock sees the previous holder's
                # commit. (REPEATABLE READ would take the snapshot before the lock was granted.)
                isolation_level="READ COMMITTED",
                pool_size=4,
                max_overflow=8,
                pool_pre_ping=True,
                connect_args={
                    "options": f"-c search_path={self.schema}"
                    + ("" if self.durable else " -c synchronous_commit=off"),
                    "application_name": "onevisit",
                },
            )
        path = self.target
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            f"sqlite:///{path}",
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            poolclass=self._sqlite_pool(path),
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own BEGIN handling off: we issue BEGIN IMMEDIATE / BEGIN ourselves.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: an acknowledged ticket survives a power cut, not only a crash of the process.
            cur.execute("PRAGMA synchronous=FULL" if self.durable else "PRAGMA synchronous=OFF")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A writer takes the file's write lock at BEGIN, not at its first write: a deferred
            # transaction that read first and then writes fails at once with SQLITE_BUSY.
            conn.exec_driver_sql(
                "BEGIN" if conn.get_execution_options().get("onevisit_read") else "BEGIN IMMEDIATE"
            )

        return engine

    def _sqlite_pool(self, path: str) -> type[pool.Pool]:
        # One connection for an in-memory database, or every connection would see another one.
        if path == ":memory:":
            return pool.StaticPool
        # The register is opened for one certificate at a time (a kiosk's print, a /verify): it
        # holds no connection between uses, so a register nobody closed keeps no file open.
        if self.kind == "register":
            return pool.NullPool
        return pool.QueuePool

    # -- transactions --------------------------------------------------------------------------
    @contextmanager
    def transaction(self, *, key: str | None = None) -> Iterator[Tx]:
        """A write transaction, committed on leaving, rolled back on any exception.

        key: on PostgreSQL, serialise only with other transactions of the same key rather than with
        every writer of the database (the region's ingest: one key per hall, so fifty halls'
        batches go in side by side). On SQLite, which has one writer per file, it changes nothing.
        """
        if key is not None and self.postgres:
            with self.engine.connect() as conn, conn.begin():
                self._lock(conn, f"{self.schema}/{key}")
                yield Tx(conn, self)
            return
        with self._write_lock, self.engine.connect() as conn, conn.begin():
            if self.postgres:
                self._lock(conn, self.schema or "")
            yield Tx(conn, self)

    @staticmethod
    def _lock(conn: Connection, name: str) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, hall_lock_key(name)))

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """One consistent snapshot for several reads (SQLite deferred BEGIN; PostgreSQL REPEATABLE
        READ, read only)."""
        options: dict[str, Any] = {"onevisit_read": True}
        if self.postgres:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with self.engine.connect() as conn:
            conn = conn.execution_options(**options)
            with conn.begin():
                yield Tx(conn, self)

    def query(self, sql: str | Executable, *params: Any) -> list[dict[str, Any]]:
        """One read in its own snapshot."""
        with self.reading() as tx:
            return tx.all(sql, *params)

    def dispose(self) -> None:
        self.engine.dispose()

    close = dispose

    def __repr__(self) -> str:
        return f"Database({describe(self.target)!r}, hall={self.hall_code!r})"
