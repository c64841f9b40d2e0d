"""The hall database as the shipper reads it: the epoch and the three shipped streams.

Read-only, each call in its own snapshot: the shipper never writes the hall's queue tables and
never holds a read open while it talks to the region, so a hall whose link is down (or whose
shipper is killed mid-batch) loses nothing and waits for nothing.
"""

from __future__ import annotations

from typing import Any

from onevisit.db import Database
from onevisit.db.epoch import EPOCH_KEY, EPOCH_RENEW_KEY
from onevisit.region.wire import COLUMNS, STREAMS


class HallSource:
    def __init__(self, db: Database) -> None:
        self.db = db

    def epoch(self) -> str | None:
        """The hall database's epoch, or None while it has none yet, or carries a restored backup's
        mark (the hall server gives it a new epoch when it opens it: ship then, not before)."""
        rows = {
            r["key"]: r["value"]
            for r in self.db.query(
                "SELECT key, value FROM meta WHERE key IN (?, ?)", EPOCH_KEY, EPOCH_RENEW_KEY
            )
        }
        if EPOCH_RENEW_KEY in rows or EPOCH_KEY not in rows:
            return None
        return str(rows[EPOCH_KEY])

    def _table(self, stream: str) -> str:
        return STREAMS[stream][0]

    def max_id(self, stream: str) -> int:
        value = self.db.query(f"SELECT coalesce(max(id), 0) AS n FROM {self._table(stream)}")[0]["n"]
        return int(value)

    def row(self, stream: str, row_id: int) -> dict[str, Any] | None:
        columns = ", ".join(f'"{c}"' for c in COLUMNS[stream])
        rows = self.db.query(f"SELECT {columns} FROM {self._table(stream)} WHERE id = ?", row_id)
        return rows[0] if rows else None

    def rows_above(self, stream: str, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` rows with id > after, in id order, with the shipped columns only."""
        if limit <= 0:
            return []
        columns = ", ".join(f'"{c}"' for c in COLUMNS[stream])
        return self.db.query(
            f"SELECT {columns} FROM {self._table(stream)} WHERE id > ? ORDER BY id LIMIT ?", after, limit
        )
