"""A PostgreSQL hall nobody has started (a new code, a mistyped --hall) is "no such hall", as a
missing SQLite file is: not "before migrations, upgrade needed", and looking at it makes nothing."""

from __future__ import annotations

import json
import secrets

from sqlalchemy import inspect

from onevisit.commands.main import EXIT_ERROR, main
from onevisit.db import Database, migrate, open_database
from tests.hall.maintenance.test_maint_doctor import kiosk_toml


def _schemas(url: str) -> set[str]:
    db = Database(url, hall_code="HALL")
    try:
        with db.reading() as tx:
            return set(inspect(tx.conn).get_schema_names())
    finally:
        db.dispose()


def test_db_status_and_upgrade_refuse_a_hall_that_does_not_exist(postgres, capsys):
    code = "NEW" + secrets.token_hex(3).upper()
    probe = Database(postgres.url, hall_code=code)
    try:
        assert migrate.exists(probe) is False
    finally:
        probe.dispose()
    for action in ("status", "upgrade"):
        capsys.readouterr()
        assert main(["db", action, "--db", postgres.url, "--hall", code]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert "database_missing" in err and f"没有大厅 {code}" in err and f"No hall {code}" in err
        assert "before migrations" not in err and "Traceback" not in err
        assert postgres.url.split("@")[0].split(":")[-1] not in err  # the password never printed
    assert f"hall_{code.lower()}" not in _schemas(postgres.url)  # nothing made by looking

    # once the hall server made it, the same commands see it as up to date
    open_database(postgres.url, hall_code=code).dispose()
    capsys.readouterr()
    assert main(["db", "status", "--db", postgres.url, "--hall", code]) == 0
    assert "up to date" in capsys.readouterr().out


def test_the_doctor_skips_a_postgresql_hall_not_started_yet(postgres, tmp_path, capsys):
    config = kiosk_toml(tmp_path)
    code = "NEW" + secrets.token_hex(3).upper()
    text = config.read_text(encoding="utf-8").replace('code = "SZ01"', f'code = "{code}"')
    config.write_text(text, encoding="utf-8")
    capsys.readouterr()
    main(["doctor", "--config", str(config), "--db", postgres.url, "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["database"]["status"] == "skip", checks["database"]
    assert f"no hall {code}" in checks["database"]["summary"]
    assert f"hall_{code.lower()}" not in _schemas(postgres.url)
