"""The queue's store over the hall database (SQLite or PostgreSQL): transactions, and the rows
each change wrote.

The service asks a `QueueTx` for rows and writes rows through it; it never sees a connection. Every
write is recorded in `QueueTx.changes`, which the service stores in the event it appends, so the
tables can be rebuilt from the events alone (see replay.py). The tables are in onevisit/db/schema.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from onevisit.db import Database, Tx, open_database, schema
from onevisit.db.epoch import ensure_epoch

#: The queue's own format version in `meta` (kept for older readers; the schema's version is
#: Alembic's, see onevisit/db/migrate.py).
SCHEMA_VERSION = 1


def _columns(table) -> dict[str, type]:
    return {c.name: c.type.python_type for c in table.columns}


TICKET_COLUMNS = _columns(schema.tickets)
STEP_COLUMNS = _columns(schema.steps)
WINDOW_COLUMNS = _columns(schema.windows)
TABLES = {"tickets": TICKET_COLUMNS, "steps": STEP_COLUMNS, "windows": WINDOW_COLUMNS}
_TABLE = {t.name: t for t in (schema.tickets, schema.steps, schema.windows, schema.events)}


#: policy.queue_order in SQL (steps s, tickets t): priority tier, effective queue time, then the
#: number by prefix and numeric sequence (tickets.seq: A999 before A1000, which text would reverse).
QUEUE_ORDER_SQL = "t.priority DESC, s.sort_key, substr(t.number, 1, 1), t.seq"


class QueueTx(Tx):
    """One open transaction of the hall database, with the queue's reads and recorded writes.
    Reads see the database as this transaction wrote it."""

    def __init__(self, tx: Tx) -> None:
        super().__init__(tx.conn, tx.database)
        self.changes: list[dict[str, Any]] = []

    # -- reads -------------------------------------------------------------------------------
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
        # CROSS JOIN … ON fixes SQLite's join order; PostgreSQL's planner needs no hint (nor allows it).
        join = "JOIN" if self.postgres else "CROSS JOIN"
        return self.one(
            f"""SELECT s.*, t.priority AS priority, t.number AS number
                FROM steps s {join} tickets t ON t.id = s.ticket_id
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

    def add_window(self, number: int) -> None:
        """A configured window the database has not seen yet: open, no streak (not an event)."""
        super().insert(schema.windows, {"number": number, "state": "open", "priority_streak": 0})

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
        self.upsert(schema.counters, {"day": day, "prefix": prefix, "last": last}, keys=("day", "prefix"))
        self.changes.append({"t": "counters", "key": [day, prefix], "set": {"last": last}})
        return last

    def insert(self, table: Any, row: dict[str, Any]) -> int:  # type: ignore[override]
        """Insert into a queue table (by name or Table), recorded for the event; returns the id
        (a window's number for `windows`)."""
        name = table if isinstance(table, str) else table.name
        row_id = super().insert(_TABLE[name], row)
        self.changes.append({"t": name, "insert": {**row, "id": row_id} if name != "windows" else row})
        return int(row_id if name != "windows" else row["number"])  # type: ignore[arg-type]

    def update(self, table: str, key: int, fields: dict[str, Any]) -> None:
        if not fields:
            return
        t = _TABLE[table]
        pk = t.c.number if table == "windows" else t.c.id
        self.execute(t.update().where(pk == key).values(fields))
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
        row = {"at": at, "actor": actor, "kind": kind, "day": day, "number": number, "window": window}
        event_id = super().insert(
            schema.events, {**row, "matter": matter, "data": json.dumps(payload, ensure_ascii=False)}
        )
        self.changes = []
        # Listeners in other processes (PostgreSQL LISTEN) learn of it when this commits.
        self.notify(str(event_id))
        return int(event_id)  # type: ignore[arg-type]


class QueueStore:
    """The queue's view of the hall database. Many stores and processes may share one database:
    writes are serialised per hall by `Database.transaction`."""

    def __init__(self, database: Database, *, owned: bool = False) -> None:
        self.database = database
        self._owned = owned
        with self.transaction() as tx:
            tx.upsert(schema.meta, {"key": "schema_version", "value": str(SCHEMA_VERSION)}, keys=("key",))
            ensure_epoch(tx)

    @classmethod
    def open(cls, target: str | Path, hall_code: str = "HALL", *, durable: bool = True) -> QueueStore:
        return cls(open_database(target, hall_code=hall_code, durable=durable), owned=True)

    @property
    def path(self) -> str:
        """The database as configured: a file path or a PostgreSQL URL."""
        return self.database.target

    @contextmanager
    def transaction(self) -> Iterator[QueueTx]:
        with self.database.transaction() as tx:
            yield QueueTx(tx)

    @contextmanager
    def reading(self) -> Iterator[QueueTx]:
        """A consistent read: several queries see one snapshot."""
        with self.database.reading() as tx:
            yield QueueTx(tx)

    def close(self) -> None:
        if self._owned:
            self.database.dispose()
