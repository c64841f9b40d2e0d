"""Schema versions: Alembic revisions in `onevisit/db/migrations`, run in code (no alembic.ini).

Two branches: `hall` (the hall database) and `register` (the certificates register). A database
records its revision in `alembic_version` (on PostgreSQL, in the hall's schema).

- A new, empty database is made at the newest revision at once (tables from `schema.py`, then
  stamped), inside the hall's write lock so two processes opening it together make it once.
- A database at an older revision, or made before migrations existed, is refused with
  `SchemaOutOfDate` until a technician runs `onevisit db upgrade` (after a backup): code must never
  run on a schema it was not written for.
- A database at a revision this code does not know (made by a newer OneVisit) is refused too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from onevisit.core.errors import OneVisitError
from onevisit.db import schema
from onevisit.db.database import Database, Tx, describe

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


class SchemaOutOfDate(OneVisitError):
    """The database's schema is not the one this code was written for."""

    status = 503

    def __init__(self, target: str, current: str | None, head: str, *, newer: bool = False) -> None:
        where = describe(target)
        if newer:
            zh = f"数据库 {where} 由更新版本的 OneVisit 创建（版本 {current}），请使用对应版本的程序"
            en = (
                f"The database {where} is at schema {current}, made by a newer OneVisit than this one "
                f"(which knows up to {head}): run the matching version"
            )
        else:
            zh = f"数据库 {where} 的结构较旧（{current or '迁移前'}），请先备份，再运行 onevisit db upgrade"
            en = (
                f"The database {where} is at schema {current or 'from before migrations'}, this OneVisit "
                f"needs {head}: back it up, then run `onevisit db upgrade --db {where}`"
            )
        super().__init__("schema_out_of_date", zh, en, current=current, head=head)


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head(kind: str) -> str:
    """The newest revision of a branch (`hall` or `register`)."""
    revision = _scripts().get_revision(f"{kind}@head")
    assert revision is not None
    return revision.revision


def known_revisions(kind: str) -> set[str]:
    """Every revision of a branch (`hall`, `register`): a database at one of them is older or current."""
    return {r.revision for r in _scripts().iterate_revisions(f"{kind}@head", "base")}


def _classify(heads: Sequence[str], kind: str) -> tuple[list[str], list[str]]:
    """The database's revisions of this branch, and those no script here knows: written by a newer
    OneVisit. (Another branch's known revisions, as in a database shared by two kinds, are neither.)"""
    everything = {r.revision for r in _scripts().walk_revisions()}
    mine = known_revisions(kind)
    return [h for h in heads if h in mine], [h for h in heads if h not in everything]


def _prepare(tx: Tx) -> None:
    """The hall's PostgreSQL schema, made before anything looks in it."""
    if tx.postgres:
        tx.execute(f'CREATE SCHEMA IF NOT EXISTS "{tx.database.schema}"')


def _has_tables(conn: Connection, db: Database) -> bool:
    existing = set(inspect(conn).get_table_names())
    return any(t.name in existing for t in db.tables)


def exists(db: Database) -> bool:
    """Whether there is a database to look at, found without making anything: SQLite, the file;
    PostgreSQL, any table in the database's schema (`hall_<code>`, `region`). False for a hall code
    or path nobody started a hall on: status and upgrade must not report it "before migrations"."""
    if not db.postgres:
        return Path(db.target).is_file()
    with db.reading() as tx:
        return bool(inspect(tx.conn).get_table_names(schema=db.schema))


def status(db: Database) -> tuple[str | None, str]:
    """(the database's revision or None, the code's newest): what `onevisit db status` prints.
    Reads only (an absent PostgreSQL schema is not made): see `exists` for a missing database."""
    with db.reading() as tx:
        mine, newer = _classify(MigrationContext.configure(tx.conn).get_current_heads(), db.kind)
        current = mine or newer
        return (current[0] if current else None), head(db.kind)


def ensure_schema(db: Database) -> None:
    """Make a new database, or check an existing one is at this code's revision.

    Raises SchemaOutOfDate (older, from before migrations, or newer).
    """
    want = head(db.kind)
    with db.transaction() as tx:
        _prepare(tx)
        heads = MigrationContext.configure(tx.conn).get_current_heads()
        if want in heads:
            return
        mine, newer = _classify(heads, db.kind)
        if mine:
            raise SchemaOutOfDate(db.target, mine[0], want)
        if newer:
            raise SchemaOutOfDate(db.target, newer[0], want, newer=True)
        if _has_tables(tx.conn, db):
            raise SchemaOutOfDate(db.target, None, want)
        _create(tx, db)
        log.info("made a new %s database at %s (schema %s)", db.kind, describe(db.target), want)


def _create(tx: Tx, db: Database) -> None:
    # The newest schema straight from schema.py (Alembic's "create from scratch" recipe); the
    # migrations' own result is compared with it by tests/db/test_migrations.py.
    if tx.postgres:
        tx.execute(schema.NOCASE_COLLATION_SQL)
    for table in db.tables:
        table.create(tx.conn, checkfirst=True)
    command.stamp(_config(tx.conn), f"{db.kind}@head")


def upgrade(db: Database) -> tuple[str | None, str]:
    """Run every migration the database lacks; (revision before, revision after)."""
    with db.transaction() as tx:
        _prepare(tx)
        mine, newer = _classify(MigrationContext.configure(tx.conn).get_current_heads(), db.kind)
        if newer:
            raise SchemaOutOfDate(db.target, newer[0], head(db.kind), newer=True)
        command.upgrade(_config(tx.conn), f"{db.kind}@head")
        return (mine[0] if mine else None), head(db.kind)
