"""The hall's databases: one schema (schema.py), one way to open either engine (database.py),
migrations (migrate.py), backups and the epoch."""

from __future__ import annotations

from pathlib import Path

from onevisit.db.database import Database, Tx, describe, is_postgres
from onevisit.db.migrate import SchemaOutOfDate, ensure_schema

__all__ = ["Database", "SchemaOutOfDate", "Tx", "describe", "is_postgres", "open_database"]


def open_database(
    target: str | Path, *, hall_code: str = "HALL", kind: str = "hall", durable: bool = True
) -> Database:
    """Open a hall database (a path or a postgresql:// URL), made at once when new.

    Raises SchemaOutOfDate when it was made by an older or newer OneVisit (see migrate.py).
    """
    db = Database(target, hall_code=hall_code, kind=kind, durable=durable)
    try:
        ensure_schema(db)
    except BaseException:
        db.dispose()
        raise
    return db
