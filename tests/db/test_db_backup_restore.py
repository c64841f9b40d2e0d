"""`onevisit backup` of a hall on PostgreSQL (pg_dump of its schema while a writer issues tickets)
and `onevisit backup restore`, on a real private server; the SQLite restore beside it."""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
from pathlib import Path

from onevisit.commands.main import EXIT_ERROR, main
from onevisit.db.backup import dumped_schema, pg_tool
from onevisit.db.database import schema_name
from onevisit.queue import QueueService
from onevisit.queue.replay import differences, rebuild, snapshot
from tests.conftest import both_engines


def _hall(config, tmp_path, code: str | None = None):
    hall = config.hall.model_copy(update={"code": code}) if code else config.hall
    return config.model_copy(update={"base_dir": tmp_path, "hall": hall})


def _open(hall_config, target, clock) -> QueueService:
    return QueueService.open(hall_config, db_path=target, clock=clock)


def _run_json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _check_replay(service, hall_config) -> dict:
    tables = snapshot(service.store)
    assert differences(rebuild(hall_config, service.events_since(0, 100_000)), tables) == []
    return tables


def test_a_postgres_hall_is_dumped_while_it_issues_and_restored_with_a_new_epoch(
    postgres, config, tmp_path, clock, capsys, caplog
) -> None:
    hall_config = _hall(config, tmp_path)
    code = hall_config.hall.code
    service = _open(hall_config, postgres.url, clock)
    for n in range(20):
        service.issue(["enroll", "benefit"], idempotency_key=f"before-{n}")
    epoch = service.epoch()

    # a writer keeps issuing while the dump runs: the dump holds one consistent snapshot
    stop, issued = threading.Event(), []

    def writer() -> None:
        n = 0
        while not stop.is_set():
            issued.append(service.issue(["benefit"], idempotency_key=f"during-{n}").ticket.number)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    dump = tmp_path / "hall.dump"
    try:
        caplog.set_level("INFO")
        result = _run_json(capsys, ["backup", str(dump), "--db", postgres.url, "--hall", code])
    finally:
        stop.set()
        thread.join(30)
    assert issued, "the writer issued nothing while the dump ran"
    assert result["target"] == str(dump) and result["bytes"] == dump.stat().st_size > 0
    assert 20 <= result["tickets"] <= 20 + len(issued)
    assert postgres.password not in json.dumps(result) and postgres.password not in caplog.text
    listing = subprocess.run([pg_tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True)
    assert dumped_schema(listing.stdout) == schema_name(code)
    assert not list(tmp_path.glob(".*.partial"))
    service.close()

    # restore on another database of the server (a new server after a disaster): exactly the
    # dump's rows, the events replay to the tables, and a new epoch
    url2 = postgres.create_database("r" + secrets.token_hex(6))
    restored = _run_json(capsys, ["backup", "restore", str(dump), "--db", url2, "--hall", code])
    assert (restored["tickets"], restored["events"], restored["kept_aside"]) == (
        result["tickets"],
        result["events"],
        None,
    )
    again = _open(hall_config, url2, clock)
    try:
        tables = _check_replay(again, hall_config)
        assert len(tables["tickets"]) == result["tickets"]
        first_restore_epoch = again.epoch()
        assert first_restore_epoch not in ("", epoch)
        assert again.issue(["enroll"]).ticket.number  # the restored hall issues on
    finally:
        again.close()

    # a hall with data is never overwritten unasked; with --replace the old one is kept aside
    assert main(["backup", "restore", str(dump), "--db", url2, "--hall", code]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "--replace" in err and "已有数据" in err
    replaced = _run_json(capsys, ["backup", "restore", str(dump), "--db", url2, "--hall", code, "--replace"])
    assert replaced["kept_aside"].startswith(schema_name(code) + "_replaced_")
    again = _open(hall_config, url2, clock)
    try:
        assert len(_check_replay(again, hall_config)["tickets"]) == result["tickets"]
        assert again.epoch() not in (epoch, first_restore_epoch)  # each restore: a new epoch
    finally:
        again.close()


def test_a_dump_restores_as_another_hall_code_only_where_its_own_schema_is_free(
    postgres, config, tmp_path, clock, capsys
) -> None:
    hall_config = _hall(config, tmp_path)
    service = _open(hall_config, postgres.url, clock)
    for n in range(5):
        service.issue(["enroll"], idempotency_key=f"k{n}")
    service.close()
    dump = tmp_path / "a.dump"
    _run_json(capsys, ["backup", str(dump), "--db", postgres.url, "--hall", hall_config.hall.code])

    other = "T" + secrets.token_hex(6)
    # the dump's schema is the live hall's on this database: refused, nothing made
    assert main(["backup", "restore", str(dump), "--db", postgres.url, "--hall", other]) == EXIT_ERROR
    assert "in use" in capsys.readouterr().err
    url2 = postgres.create_database("r" + secrets.token_hex(6))
    _run_json(capsys, ["backup", "restore", str(dump), "--db", url2, "--hall", other])
    moved = _open(_hall(config, tmp_path, other), url2, clock)
    try:
        assert sorted(t["number"] for t in snapshot(moved.store)["tickets"].values()) == [
            f"A{n:03d}" for n in range(1, 6)
        ]
    finally:
        moved.close()


def test_backup_of_a_hall_that_is_not_there_and_restore_of_a_non_dump_are_clear_errors(
    postgres, config, tmp_path, capsys
) -> None:
    assert (
        main(["backup", str(tmp_path / "x.dump"), "--db", postgres.url, "--hall", config.hall.code])
        == EXIT_ERROR
    )
    err = capsys.readouterr().err
    assert "没有大厅" in err and "No hall" in err and postgres.password not in err
    assert not (tmp_path / "x.dump").exists()
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    assert (
        main(["backup", "restore", str(junk), "--db", postgres.url, "--hall", config.hall.code]) == EXIT_ERROR
    )
    assert "pg_restore --list" in capsys.readouterr().err


def test_a_sqlite_backup_restores_over_the_hall_only_with_replace_keeping_the_old_file(
    config, tmp_path, clock, capsys
) -> None:
    hall_config = _hall(config, tmp_path)
    db = tmp_path / "hall.db"
    service = _open(hall_config, db, clock)
    service.issue(["enroll"])
    epoch = service.epoch()
    service.close()
    copy = tmp_path / "copy.db"
    assert _run_json(capsys, ["backup", str(copy), "--db", str(db)])["tickets"] == 1
    service = _open(hall_config, db, clock)
    service.issue(["benefit"])  # after the backup: the replaced file keeps it
    service.close()

    assert main(["backup", "restore", str(copy), "--db", str(db)]) == EXIT_ERROR
    assert "--replace" in capsys.readouterr().err
    restored = _run_json(capsys, ["backup", "restore", str(copy), "--db", str(db), "--replace"])
    aside = Path(restored["kept_aside"])
    assert restored["tickets"] == 1 and aside.is_file()
    service = _open(hall_config, db, clock)
    try:
        assert len(_check_replay(service, hall_config)["tickets"]) == 1
        assert service.epoch() != epoch
    finally:
        service.close()
    kept = _open(hall_config, aside, clock)
    try:
        assert len(snapshot(kept.store)["tickets"]) == 2
    finally:
        kept.close()


@both_engines
def test_backup_into_a_folder_writes_the_default_name_inside_it(config, db_target, tmp_path, clock, capsys):
    """`onevisit backup /media/usb`: a technician names the stick, not a file. It used to try to
    rename the copy over the folder: a traceback, and a stray `.NAME.partial` beside the folder."""
    hall_config = _hall(config, tmp_path)
    service = _open(hall_config, db_target, clock)
    service.issue(["enroll"])
    service.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    out = _run_json(capsys, ["backup", str(usb), "--db", db_target, "--hall", config.hall.code])
    target = Path(out["target"])
    assert target.parent == usb and target.is_file() and out["tickets"] == 1
    assert target.suffix == (".dump" if db_target.startswith("postgresql") else ".db")
    assert not list(tmp_path.glob(".*.partial")) and not list(usb.glob(".*.partial"))


def test_a_backup_of_the_other_engine_is_named_as_such(config, postgres, tmp_path, clock, capsys):
    """A .db onto a PostgreSQL hall, a .dump onto a SQLite one: the error names both engines (it
    was "pg_restore --list failed" labelled backup_failed, and "file is not a database"); nothing
    is touched."""
    hall_config = _hall(config, tmp_path)
    db = tmp_path / "hall.db"
    service = _open(hall_config, db, clock)
    service.issue(["enroll"])
    service.close()
    copy = tmp_path / "copy.db"
    dump = tmp_path / "copy.dump"
    _run_json(capsys, ["backup", str(copy), "--db", str(db)])
    service = _open(hall_config, postgres.url, clock)
    service.issue(["enroll"])
    service.close()
    _run_json(capsys, ["backup", str(dump), "--db", postgres.url, "--hall", config.hall.code])
    pg = ["--db", postgres.url, "--hall", config.hall.code, "--replace"]
    assert main(["backup", "restore", str(copy), *pg]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "restore_wrong_engine" in err and "SQLite" in err and "PostgreSQL" in err
    assert main(["backup", "restore", str(dump), "--db", str(db), "--replace"]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "restore_wrong_engine" in err and "postgresql://" in err
    assert not list(tmp_path.glob("hall.db.replaced-*"))  # the SQLite hall was not moved aside
