"""Rebuilding the queue's tables from its events alone.

Each event carries the rows its transaction wrote, so folding the events over an empty hall must give
exactly the tables: the check that nothing changes the queue without saying so in an event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from onevisit.core.config import Config
from onevisit.queue.models import Event
from onevisit.queue.store import STEP_COLUMNS, TICKET_COLUMNS, WINDOW_COLUMNS, QueueStore

Tables = dict[str, dict[Any, dict[str, Any]]]


def empty_hall(config: Config) -> Tables:
    """The tables of a new hall: no tickets, every configured window open and free."""
    windows = {
        w.number: {
            "number": w.number,
            "state": "open",
            "current_step_id": None,
            "priority_streak": 0,
            "staff": None,
        }
        for w in config.windows
    }
    return {"tickets": {}, "steps": {}, "windows": windows, "counters": {}}


def _full_row(columns: dict[str, type], values: dict[str, Any]) -> dict[str, Any]:
    return {c: values.get(c) for c in columns}


def rebuild(config: Config, events: Iterable[Event]) -> Tables:
    tables = empty_hall(config)
    columns = {"tickets": TICKET_COLUMNS, "steps": STEP_COLUMNS, "windows": WINDOW_COLUMNS}
    for event in events:
        for change in event.data.get("changes", []):
            table = change["t"]
            if table == "counters":
                tables["counters"][tuple(change["key"])] = change["set"]["last"]
            elif "insert" in change:
                row = change["insert"]
                key = row["number"] if table == "windows" else row["id"]
                tables[table][key] = _full_row(columns[table], row)
            else:
                tables[table][change["key"]].update(change["set"])
    return tables


def snapshot(store: QueueStore) -> Tables:
    """The tables as they are in the database, in the same shape as `rebuild` gives."""
    with store.reading() as tx:
        return {
            "tickets": {r["id"]: r for r in tx.all("SELECT * FROM tickets")},
            "steps": {r["id"]: r for r in tx.all("SELECT * FROM steps")},
            "windows": {r["number"]: r for r in tx.all("SELECT * FROM windows")},
            "counters": {(r["day"], r["prefix"]): r["last"] for r in tx.all("SELECT * FROM counters")},
        }


def differences(expected: Tables, actual: Tables) -> list[str]:
    """Human-readable differences between two table sets; empty when they agree."""
    out = []
    for table in ("tickets", "steps", "windows", "counters"):
        a, b = expected[table], actual[table]
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                out.append(f"{table}[{key}]: replayed {a.get(key)} != stored {b.get(key)}")
    return out
