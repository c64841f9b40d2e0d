"""Reading one day's rows from the hall database, read-only, for figures and reports.

Statistics never write the queue's tables: the report can run beside a live hall server (each read
is one snapshot: SQLite in WAL, PostgreSQL REPEATABLE READ, neither blocks the hall's writers).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect

from onevisit.db import Database, Tx, describe, is_postgres, schema

Row = dict[str, Any]


@dataclass
class DayRows:
    day: str
    events: list[Row] = field(default_factory=list)  # the queue's events of the day, in id order
    tickets: list[Row] = field(default_factory=list)
    steps: list[Row] = field(default_factory=list)  # with the ticket's number joined in
    ratings: list[Row] = field(default_factory=list)  # 好差评 from the hall's rating tablets
    selfservice: list[Row] = field(default_factory=list)  # kiosk visits that needed no window


class NoSuchDatabase(FileNotFoundError):
    pass


HallSource = Database | str | Path


def open_hall(target: HallSource, *, hall_code: str = "HALL") -> Database:
    """The hall database to read: an open Database as it is, or a path / postgresql:// URL opened
    for reading (nothing is created: a missing file raises NoSuchDatabase); the caller disposes
    what this opened."""
    if isinstance(target, Database):
        return target
    if not is_postgres(target) and not Path(target).is_file():
        raise NoSuchDatabase(f"no hall database at {target}")
    return Database(target, hall_code=hall_code)


@contextmanager
def _reading(source: HallSource, hall_code: str) -> Iterator[Tx]:
    """One snapshot of the source; the engine disposed afterwards if this opened it."""
    db = open_hall(source, hall_code=hall_code)
    try:
        with db.reading() as tx:
            yield tx
    finally:
        if db is not source:
            db.dispose()


def _tables(tx: Tx) -> set[str]:
    # A file the queue made alone (a simulation, an old hall) may lack the hall server's tables.
    return set(inspect(tx.conn).get_table_names())


def read_day(tx: Tx, day: str) -> DayRows:
    """Everything the figures of one day need, read in the snapshot `tx`."""
    rows = DayRows(day)
    tables = _tables(tx)
    if "events" not in tables:
        return rows
    rows.events = tx.all("SELECT * FROM events WHERE day = ? ORDER BY id", day)
    rows.tickets = tx.all("SELECT * FROM tickets WHERE day = ? ORDER BY id", day)
    rows.steps = tx.all(
        """SELECT s.*, t.number AS number, t.priority AS priority FROM steps s
           JOIN tickets t ON t.id = s.ticket_id WHERE t.day = ? ORDER BY s.ticket_id, s.seq""",
        day,
    )
    if schema.hall_ratings.name in tables:
        rows.ratings = tx.all("SELECT * FROM hall_ratings WHERE day = ? ORDER BY id", day)
    if schema.selfservice_events.name in tables:
        rows.selfservice = tx.all("SELECT * FROM selfservice_events WHERE day = ? ORDER BY id", day)
    return rows


def load_day(db: HallSource, day: str, *, hall_code: str = "HALL") -> DayRows:
    """One day's rows from an open Database, a file or a URL (`hall_code` picks the hall's schema
    on PostgreSQL). NoSuchDatabase for a missing file."""
    with _reading(db, hall_code) as tx:
        return read_day(tx, day)


def days_in(db: HallSource, *, hall_code: str = "HALL") -> list[str]:
    """Days that have events, newest first: what `onevisit report` can be asked for."""
    with _reading(db, hall_code) as tx:
        if "events" not in _tables(tx):
            return []
        return [r["day"] for r in tx.all("SELECT DISTINCT day FROM events ORDER BY day DESC")]


def tickets_on(db: HallSource, day: str, *, hall_code: str = "HALL") -> int:
    """How many tickets were issued on `day` (0 for a missing file or a hall with none)."""
    try:
        with _reading(db, hall_code) as tx:
            if "tickets" not in _tables(tx):
                return 0
            return int(tx.scalar("SELECT count(*) FROM tickets WHERE day = ?", day))
    except NoSuchDatabase:
        return 0


def change_mark(db: HallSource, day: str, *, hall_code: str = "HALL") -> int:
    """A number that grows whenever the day's figures may change (a new queue event or a new
    rating): the supervisor's chart cache is keyed by it."""
    with _reading(db, hall_code) as tx:
        tables = _tables(tx)
        last = tx.scalar("SELECT max(id) FROM events WHERE day = ?", day) if "events" in tables else None
        ratings = 0
        if schema.hall_ratings.name in tables:
            ratings = int(tx.scalar("SELECT count(*) FROM hall_ratings WHERE day = ?", day))
        return (last or 0) * 100000 + ratings


def name_of(db: HallSource) -> str:
    """The database for a message: a file's name, or a URL without its password."""
    if isinstance(db, Database):
        return describe(db.target)
    return Path(db).name if not is_postgres(db) else describe(db)
