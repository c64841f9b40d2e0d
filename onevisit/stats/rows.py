"""Reading one day's rows from the hall database, read-only, for figures and reports.

Statistics never write the queue's tables: the report can run beside a live hall server (WAL lets a
reader see a consistent snapshot while the hall writes).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onevisit.stats.selfservice import SELFSERVICE_TABLE

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


def open_readonly(path: str | Path) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise NoSuchDatabase(f"no hall database at {path}")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
        is not None
    )


def read_day(conn: sqlite3.Connection, day: str) -> DayRows:
    """Everything the figures of one day need, read in one snapshot."""
    conn.execute("BEGIN")
    try:
        rows = DayRows(day)
        if not _has_table(conn, "events"):
            return rows
        rows.events = [
            dict(r) for r in conn.execute("SELECT * FROM events WHERE day = ? ORDER BY id", (day,))
        ]
        rows.tickets = [
            dict(r) for r in conn.execute("SELECT * FROM tickets WHERE day = ? ORDER BY id", (day,))
        ]
        rows.steps = [
            dict(r)
            for r in conn.execute(
                """SELECT s.*, t.number AS number, t.priority AS priority FROM steps s
                   JOIN tickets t ON t.id = s.ticket_id WHERE t.day = ? ORDER BY s.ticket_id, s.seq""",
                (day,),
            )
        ]
        if _has_table(conn, "hall_ratings"):
            rows.ratings = [
                dict(r) for r in conn.execute("SELECT * FROM hall_ratings WHERE day = ? ORDER BY id", (day,))
            ]
        if _has_table(conn, SELFSERVICE_TABLE):
            rows.selfservice = [
                dict(r)
                for r in conn.execute(f"SELECT * FROM {SELFSERVICE_TABLE} WHERE day = ? ORDER BY id", (day,))
            ]
        return rows
    finally:
        conn.execute("COMMIT")


def load_day(db_path: str | Path, day: str) -> DayRows:
    conn = open_readonly(db_path)
    try:
        return read_day(conn, day)
    finally:
        conn.close()


def days_in(db_path: str | Path) -> list[str]:
    """Days that have events, newest first: what `onevisit report` can be asked for."""
    conn = open_readonly(db_path)
    try:
        if not _has_table(conn, "events"):
            return []
        return [r[0] for r in conn.execute("SELECT DISTINCT day FROM events ORDER BY day DESC")]
    finally:
        conn.close()
