"""The hall's databases: one schema (schema.py), one way to open either engine (database.py),
migrations (migrate.py), backups and the epoch."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import OperationalError

from onevisit.core.errors import OneVisitError
from onevisit.db.database import Database, Tx, describe, is_postgres
from onevisit.db.migrate import SchemaOutOfDate, ensure_schema

__all__ = [
    "Database",
    "DatabaseUnavailable",
    "SchemaOutOfDate",
    "Tx",
    "describe",
    "is_postgres",
    "open_database",
]


class DatabaseUnavailable(OneVisitError):
    """The database cannot be reached or opened (server down, wrong password, unwritable file)."""

    status = 503

    def __init__(self, target: str | Path, reason: str) -> None:
        where = describe(target)
        super().__init__(
            "database_unavailable",
            f"无法打开数据库 {where}：{reason}",
            f"Cannot open the database {where}: {reason}",
        )


def open_database(
    target: str | Path, *, hall_code: str = "HALL", kind: str = "hall", durable: bool = True
) -> Database:
    """Open a hall database (a path or a postgresql:// URL), made at once when new.

    Raises SchemaOutOfDate when it was made by an older or newer OneVisit (see migrate.py).
    """
    db = Database(target, hall_code=hall_code, kind=kind, durable=durable)
    try:
        ensure_schema(db)
    except OperationalError as exc:
        db.dispose()
        # The driver's first line only: it names the host and the cause, never the password.
        raise DatabaseUnavailable(target, str(exc.orig).strip().splitlines()[0]) from None
    except BaseException:
        db.dispose()
        raise
    return db
