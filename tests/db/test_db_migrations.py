"""Schema versions: a database made before the database layer upgrades keeping every row; the
migrations give exactly schema.py's tables; a newer database is refused, never run on.

The legacy files were made by OneVisit at commit 8d60432 (tests/db/data/README.md says how).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from onevisit.commands.main import EXIT_ERROR, main
from onevisit.db import Database, SchemaOutOfDate, migrate, open_database, schema
from onevisit.queue import QueueService
from onevisit.queue.replay import differences, rebuild, snapshot
from tests.conftest import both_engines

DATA = Path(__file__).parent / "data"
LEGACY_HALL = DATA / "legacy-8d60432-hall.db"
LEGACY_REGISTER = DATA / "legacy-8d60432-certificates.db"


def _tables(path: Path) -> dict[str, list[dict]]:
    """Every row of every table of a SQLite file, read with sqlite3 alone, in a stable order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name != 'alembic_version'"
            )
        ]
        return {n: sorted((dict(r) for r in conn.execute(f'SELECT * FROM "{n}"')), key=repr) for n in names}
    finally:
        conn.close()


@pytest.fixture
def legacy(tmp_path) -> tuple[Path, Path]:
    """Copies of the legacy hall database and register (the committed files stay untouched)."""
    hall, register = tmp_path / "hall.db", tmp_path / "certificates.db"
    shutil.copyfile(LEGACY_HALL, hall)
    shutil.copyfile(LEGACY_REGISTER, register)
    return hall, register


def test_the_legacy_files_hold_rows_in_every_table_they_are_meant_to_test() -> None:
    hall = _tables(LEGACY_HALL)
    # every hall table of schema.py exists in the legacy file with rows in it: a table left empty
    # would let an upgrade that loses it pass
    assert {t.name for t in schema.HALL_TABLES} <= set(hall)
    assert all(hall[t.name] for t in schema.HALL_TABLES), [
        t.name for t in schema.HALL_TABLES if not hall[t.name]
    ]
    assert len(hall["tickets"]) == 100 and len(hall["events"]) == 536
    assert _tables(LEGACY_REGISTER)["certificates"]


def test_a_legacy_database_is_refused_until_upgraded_and_then_keeps_every_row(
    legacy, config, tmp_path, clock, capsys
) -> None:
    hall, register = legacy
    with pytest.raises(SchemaOutOfDate) as refused:
        open_database(hall)
    message = str(refused.value)
    assert "迁移前" in message and "onevisit db upgrade" in message and "h0001" in message
    assert refused.value.code == "schema_out_of_date"
    with pytest.raises(SchemaOutOfDate):
        open_database(register, kind="register")

    assert main(["db", "status", "--db", str(hall), "--register", str(register)]) == 1
    assert "upgrade needed" in capsys.readouterr().out

    assert main(["db", "upgrade", "--db", str(hall), "--register", str(register)]) == 0
    out = capsys.readouterr().out
    assert f"hall  {hall}: before migrations → h0001 (upgraded)" in out
    assert f"register  {register}: before migrations → r0001 (upgraded)" in out

    # every row of every table, equal, table by table (compared as the legacy code left them)
    assert _tables(hall) == _tables(LEGACY_HALL)
    assert _tables(register) == _tables(LEGACY_REGISTER)

    # the same tables, columns, indexes and constraints as schema.py's; what differs is only how
    # the old code spelled them on SQLite (REAL for Double, the same affinity; a non-integer primary
    # key not also declared NOT NULL), which changes nothing SQLite stores or checks
    upgraded_db = Database(hall)
    try:
        structural = [
            d
            for d in (d[0] if isinstance(d, list) else d for d in _differences_from_schema(upgraded_db))
            if not (
                d[0] == "modify_type" and {type(d[5]).__name__, type(d[6]).__name__} == {"REAL", "Double"}
            )
            and d[0] != "modify_nullable"
        ]
    finally:
        upgraded_db.dispose()
    assert structural == []

    # the new code opens it now, and the queue's events still replay to exactly its tables
    open_database(hall, hall_code=config.hall.code).dispose()
    open_database(register, kind="register").dispose()
    hall_config = config.model_copy(update={"base_dir": tmp_path})
    service = QueueService.open(hall_config, db_path=hall, clock=clock)
    try:
        tables = snapshot(service.store)
        assert len(tables["tickets"]) == 100
        assert differences(rebuild(hall_config, service.events_since(0, 100_000)), tables) == []
    finally:
        service.close()

    # a second upgrade is a no-op
    upgraded = _tables(hall)
    assert main(["db", "upgrade", "--db", str(hall)]) == 0
    assert "h0001 → h0001 (already up to date)" in capsys.readouterr().out
    assert _tables(hall) == upgraded
    assert main(["db", "status", "--db", str(hall)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_a_database_from_a_newer_onevisit_is_refused_by_open_and_by_upgrade(legacy, capsys) -> None:
    hall, _ = legacy
    assert main(["db", "upgrade", "--db", str(hall)]) == 0
    conn = sqlite3.connect(hall)
    conn.execute("UPDATE alembic_version SET version_num = 'h9999'")
    conn.commit()
    conn.close()
    before = _tables(hall)
    capsys.readouterr()

    with pytest.raises(SchemaOutOfDate) as refused:
        open_database(hall)
    assert "更新版本" in str(refused.value) and "newer OneVisit" in str(refused.value)

    assert main(["db", "upgrade", "--db", str(hall)]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "更新版本的 OneVisit" in err and "made by a newer OneVisit" in err and "Traceback" not in err
    assert main(["db", "status", "--db", str(hall)]) == EXIT_ERROR
    assert "made by a newer OneVisit" in capsys.readouterr().out
    assert _tables(hall) == before  # refused without touching a row


def test_db_status_tells_each_kind_apart_and_a_region_revision_is_not_newer(tmp_path, capsys) -> None:
    """Three branches (hall, register, region): `db status --region` reads the region's branch, and
    a register's own revision is never taken for one "made by a newer OneVisit"."""
    region = tmp_path / "region.db"
    open_database(region, kind="region").dispose()
    assert main(["db", "status", "--region", str(region)]) == 0
    assert f"code {migrate.head('region')}: up to date" in capsys.readouterr().out
    register = tmp_path / "register.db"
    open_database(register, kind="register").dispose()
    assert main(["db", "status", "--register", str(register)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_db_commands_refuse_a_missing_file_rather_than_make_an_empty_database(tmp_path, capsys) -> None:
    missing = tmp_path / "typo.db"
    assert main(["db", "upgrade", "--db", str(missing)]) == EXIT_ERROR
    assert "找不到数据库" in capsys.readouterr().err
    assert not missing.exists()


def _differences_from_schema(db: Database) -> list:
    """What autogenerate would change to make the database match schema.py (its kind's tables)."""
    names = {t.name for t in db.tables}
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, other: (
                    type_ != "table" or name in names
                ),
            },
        )
        return compare_metadata(context, schema.metadata)


@both_engines
@pytest.mark.parametrize("kind", ["hall", "register", "region"])
def test_the_migrations_from_empty_make_exactly_the_tables_of_schema_py(
    kind, db_engine, config, tmp_path, request
) -> None:
    if db_engine == "sqlite":
        target = str(tmp_path / f"{kind}.db")
    else:  # a database of its own: the region's schema is one per database, not per hall
        target = request.getfixturevalue("postgres").create_database(f"m{kind}_" + config.hall.code.lower())
    db = Database(target, hall_code=config.hall.code, kind=kind)
    try:
        assert migrate.upgrade(db) == (None, migrate.head(kind))
        assert _differences_from_schema(db) == []
        assert migrate.status(db) == (migrate.head(kind), migrate.head(kind))
    finally:
        db.dispose()


@both_engines
def test_a_fresh_database_is_made_at_head(db_target, config, capsys) -> None:
    db = open_database(db_target, hall_code=config.hall.code)
    try:
        assert migrate.status(db) == (migrate.head("hall"), migrate.head("hall"))
        assert _differences_from_schema(db) == []
    finally:
        db.dispose()
    assert main(["db", "status", "--db", db_target, "--hall", config.hall.code]) == 0
    out = capsys.readouterr().out
    assert "h0001, code h0001: up to date" in out
    assert "***" in out or not db_target.startswith("postgresql")  # the password never printed


def test_db_commands_on_an_unreachable_server_are_a_clear_error_without_the_password(capsys) -> None:
    # port 1: nothing listens there, the connection is refused at once
    assert main(["db", "status", "--db", "postgresql://hall:s3cret-pw@127.0.0.1:1/halls"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "database_unavailable" in err and "无法打开数据库" in err
    assert "s3cret-pw" not in err and "Traceback" not in err
