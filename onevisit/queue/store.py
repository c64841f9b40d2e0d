"""The queue's SQLite store: schema, transactions, and the rows each change wrote.

This is the narrow interface a PostgreSQL store for a region would implement again: the service asks
a `Tx` for rows and writes rows through it; it never sees SQL. Every write is recorded in
`Tx.changes`, which the service stores in the event it appends, so the tables can be rebuilt from
the events alone (see replay.py).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from onevisit.db.epoch import ensure_epoch

SCHEMA_VERSION = 1

TICKET_COLUMNS = {
    "id": int,
    "day": str,
    "seq": int,
    "number": str,
    "short_code": str,
    "state": str,
    "priority": int,
    "priority_reason": str,
    "person_hash": str,
    "person_masked": str,
    "created_at": str,
    "arrival_key": float,
    "idempotency_key": str,
    "source": str,
    "tag": str,
    "appointment_at": str,
}
STEP_COLUMNS = {
    "id": int,
    "ticket_id": int,
    "seq": int,
    "matter": str,
    "state": str,
    "window": int,
    "queued_at": str,
    "sort_key": float,
    "call_count": int,
    "called_at": str,
    "started_at": str,
    "finished_at": str,
    "from_window": int,
    "transfer_reason": str,
    "transfer_note": str,
    "outcome": str,
}
WINDOW_COLUMNS = {
    "number": int,
    "state": str,
    "current_step_id": int,
    "priority_streak": int,
    "staff": str,
}
TABLES = {"tickets": TICKET_COLUMNS, "steps": STEP_COLUMNS, "windows": WINDOW_COLUMNS}


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN IMMEDIATE ourselves), WAL, synchronous=FULL."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged ticket survives a power cut, not only a crash of the process.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    db = sqlite_utils.Database(conn)
    db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db["tickets"].create(
        TICKET_COLUMNS,
        pk="id",
        not_null={"day", "seq", "number", "short_code", "state", "priority", "created_at", "arrival_key"},
        if_not_exists=True,
    )
    db["steps"].create(
        STEP_COLUMNS,
        pk="id",
        not_null={"ticket_id", "seq", "matter", "state", "call_count"},
        foreign_keys=[("ticket_id", "tickets", "id")],
        if_not_exists=True,
    )
    db["windows"].create(
        WINDOW_COLUMNS, pk="number", not_null={"state", "priority_streak"}, if_not_exists=True
    )
    db["counters"].create(
        {"day": str, "prefix": str, "last": int}, pk=("day", "prefix"), not_null={"last"}, if_not_exists=True
    )
    db["events"].create(
        {
            "id": int,
            "at": str,
            "actor": str,
            "kind": str,
            "day": str,
            "number": str,
            "window": int,
            "matter": str,
            "data": str,
        },
        pk="id",
        not_null={"at", "actor", "kind", "day", "data"},
        if_not_exists=True,
    )
    db["tickets"].create_index(["day", "number"], unique=True, if_not_exists=True)
    db["tickets"].create_index(["idempotency_key"], unique=True, if_not_exists=True)
    db["tickets"].create_index(["day", "person_hash"], if_not_exists=True)
    db["tickets"].create_index(["day", "state"], if_not_exists=True)
    db["steps"].create_index(["ticket_id", "seq"], unique=True, if_not_exists=True)
    db["steps"].create_index(["state", "matter", "sort_key"], if_not_exists=True)
    db["steps"].create_index(["matter", "state", "finished_at"], if_not_exists=True)
    db["events"].create_index(["day", "kind"], if_not_exists=True)
    db["meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
    ensure_epoch(conn)


#: policy.queue_order in SQL (steps s, tickets t): priority tier, effective queue time, then the
#: number by prefix and numeric sequence (tickets.seq: A999 before A1000, which text would reverse).
QUEUE_ORDER_SQL = "t.priority DESC, s.sort_key, substr(t.number, 1, 1), t.seq"


class Tx:
    """One open BEGIN IMMEDIATE transaction. Reads see the database as this transaction wrote it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.changes: list[dict[str, Any]] = []

    # -- reads -------------------------------------------------------------------------------
    def one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row else None

    def all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", key)
        return str(row["value"]) if row else None

    def ticket(self, ticket_id: int) -> dict[str, Any] | None:
        return self.one("SELECT * FROM tickets WHERE id = ?", ticket_id)

    def ticket_by_number(self, day: str, number: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM tickets WHERE day = ? AND number = ?", day, number)

    def ticket_by_key(self, key: str) -> dict[str, Any] | None:
        return self.one("SELECT * FROM tickets WHERE idempotency_key = ?", key)

    def open_ticket_of_person(self, day: str, person_hash: str) -> dict[str, Any] | None:
        return self.one(
            "SELECT * FROM tickets WHERE day = ? AND person_hash = ? AND state NOT IN ('done', 'cancelled')",
            day,
            person_hash,
        )

    def steps(self, ticket_id: int) -> list[dict[str, Any]]:
        return self.all("SELECT * FROM steps WHERE ticket_id = ? ORDER BY seq", ticket_id)

    def step(self, step_id: int) -> dict[str, Any] | None:
        return self.one("SELECT * FROM steps WHERE id = ?", step_id)

    def waiting(self, day: str, matters: list[str]) -> list[dict[str, Any]]:
        """Waiting steps of today's tickets for these matters, with their ticket's priority and number."""
        marks = ",".join("?" * len(matters))
        return self.all(
            f"""SELECT s.*, t.priority AS priority, t.number AS number
                FROM steps s JOIN tickets t ON t.id = s.ticket_id
                WHERE s.state = 'waiting' AND t.day = ? AND s.matter IN ({marks})""",
            day,
            *matters,
        )

    def queue_head(self, day: str, matters: list[str], *, regular: bool = False) -> dict[str, Any] | None:
        """The first waiting step for these matters in `policy.queue_order` (priority tier, sort
        key, number), or the first of the regular tier, with its ticket's priority and number.

        Sorted in SQL so a call reads one row, not the whole queue (hundreds by a busy afternoon).
        CROSS JOIN keeps the join order: the waiting steps through the steps index first, not
        every ticket of the day and its steps.
        """
        marks = ",".join("?" * len(matters))
        tier = "AND t.priority = 0" if regular else ""
        return self.one(
            f"""SELECT s.*, t.priority AS priority, t.number AS number
                FROM steps s CROSS JOIN tickets t ON t.id = s.ticket_id
                WHERE s.state = 'waiting' AND t.day = ? AND s.matter IN ({marks}) {tier}
                ORDER BY {QUEUE_ORDER_SQL} LIMIT 1""",
            day,
            *matters,
        )

    def waiting_count(self, day: str, matter: str) -> int:
        row = self.one(
            """SELECT count(*) AS n FROM steps s JOIN tickets t ON t.id = s.ticket_id
               WHERE s.state = 'waiting' AND t.day = ? AND s.matter = ?""",
            day,
            matter,
        )
        return int(row["n"]) if row else 0

    def ahead_count(self, step_id: int) -> int:
        """How many waiting steps of the same matter and day come before this one, in the order
        policy.queue_order defines (priority tier, sort key, then prefix and numeric sequence —
        tickets.seq, so A999 comes before A1000); 0 when it is not waiting.

        Counted in SQL: kiosks ask on every issue and lookup, and by the afternoon hundreds wait.
        """
        row = self.one(
            """WITH me AS (
                 SELECT s.id, s.matter, s.sort_key, t.day, t.priority,
                        substr(t.number, 1, 1) AS prefix, t.seq AS number_seq
                 FROM steps s JOIN tickets t ON t.id = s.ticket_id
                 WHERE s.id = ? AND s.state = 'waiting')
               SELECT count(*) AS n FROM me, steps s JOIN tickets t ON t.id = s.ticket_id
               WHERE s.state = 'waiting' AND s.matter = me.matter AND t.day = me.day
                 AND s.id != me.id
                 AND (t.priority > me.priority OR (t.priority = me.priority
                      AND (s.sort_key < me.sort_key
                           OR (s.sort_key = me.sort_key
                               AND (substr(t.number, 1, 1) < me.prefix
                                    OR (substr(t.number, 1, 1) = me.prefix
                                        AND t.seq < me.number_seq))))))""",
            step_id,
        )
        return int(row["n"]) if row else 0

    def waiting_ahead(self, day: str) -> list[dict[str, Any]]:
        """Every waiting step of `day` with its `ahead` (number, step_id, matter, ahead), counted as
        ahead_count counts (policy.queue_order), for all of them in one pass: the 到号提醒 watcher
        needs each subscribed ticket's place after every queue event."""
        return self.all(
            f"""SELECT t.number, s.id AS step_id, s.matter,
                      ROW_NUMBER() OVER (PARTITION BY s.matter ORDER BY {QUEUE_ORDER_SQL}) - 1 AS ahead
               FROM steps s JOIN tickets t ON t.id = s.ticket_id
               WHERE t.day = ? AND s.state = 'waiting'""",
            day,
        )

    def window(self, number: int) -> dict[str, Any] | None:
        return self.one("SELECT * FROM windows WHERE number = ?", number)

    def steps_issued(self, day: str, matter: str) -> int:
        row = self.one(
            """SELECT count(*) AS n FROM steps s JOIN tickets t ON t.id = s.ticket_id
               WHERE t.day = ? AND s.matter = ? AND s.state != 'cancelled'""",
            day,
            matter,
        )
        return int(row["n"]) if row else 0

    def steps_ceiling(self) -> int:
        """The highest step id: no day, no matter, has more steps than that (ids are distinct and
        positive), so a daily cap above it cannot be reached. One look at the end of the rowid tree."""
        row = self.one("SELECT coalesce(max(id), 0) AS n FROM steps")
        return int(row["n"]) if row else 0

    # -- writes (each one recorded for the event) ------------------------------------------
    def next_seq(self, day: str, prefix: str) -> int:
        # Inside BEGIN IMMEDIATE no other writer runs, and a rollback undoes the increment:
        # numbers come out with no duplicate and no gap, whatever the number of processes.
        row = self.one("SELECT last FROM counters WHERE day = ? AND prefix = ?", day, prefix)
        last = (row["last"] if row else 0) + 1
        self.conn.execute(
            "INSERT INTO counters (day, prefix, last) VALUES (?, ?, ?) "
            "ON CONFLICT (day, prefix) DO UPDATE SET last = excluded.last",
            (day, prefix, last),
        )
        self.changes.append({"t": "counters", "key": [day, prefix], "set": {"last": last}})
        return last

    def insert(self, table: str, row: dict[str, Any]) -> int:
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" * len(row))
        cursor = self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values()))
        row_id = row.get("id", cursor.lastrowid)
        self.changes.append({"t": table, "insert": {**row, "id": row_id} if table != "windows" else row})
        return int(row_id)  # type: ignore[arg-type]

    def update(self, table: str, key: int, fields: dict[str, Any]) -> None:
        if not fields:
            return
        pk = "number" if table == "windows" else "id"
        sets = ", ".join(f'"{c}" = ?' for c in fields)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE {pk} = ?", (*fields.values(), key))
        self.changes.append({"t": table, "key": key, "set": dict(fields)})

    def append_event(
        self,
        *,
        at: str,
        actor: str,
        kind: str,
        day: str,
        number: str | None,
        window: int | None,
        matter: str | None,
        data: dict[str, Any],
    ) -> int:
        payload = {**data, "changes": self.changes}
        cursor = self.conn.execute(
            "INSERT INTO events (at, actor, kind, day, number, window, matter, data) VALUES (?,?,?,?,?,?,?,?)",
            (at, actor, kind, day, number, window, matter, json.dumps(payload, ensure_ascii=False)),
        )
        self.changes = []
        return int(cursor.lastrowid)  # type: ignore[arg-type]


class SQLiteStore:
    """The hall database. One connection per store, shared by threads under a lock: SQLite allows one
    writer at a time anyway, and other processes wait on the busy timeout."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.conn = connect(self.path)
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                create_schema(self.conn)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            tx = Tx(self.conn)
            try:
                yield tx
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A consistent read: one deferred transaction, so several queries see one snapshot."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield Tx(self.conn)
            finally:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.conn.close()
