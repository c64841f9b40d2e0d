"""`onevisit appointments` as a technician types it: add, list, cancel, and a CSV import that is
all or nothing, with the bad lines named."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from zoneinfo import ZoneInfo

import pytest

from onevisit.commands.main import main
from tests.conftest import REPO

LIU = "510107195808083156"
ZHANG = "330106197503142310"


@pytest.fixture
def cli(tmp_path, capsys):
    config = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", config)
    # the commands use the real clock: book for tomorrow in the hall's zone, always in the future
    day = (dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=1)).isoformat()

    def run(*args: str) -> tuple[int, object, str]:
        code = main(["appointments", *args, "--config", str(config)])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    run.day = day
    run.dir = tmp_path
    return run


def test_add_list_cancel(cli):
    code, booked, _ = cli("add", "--id", LIU, "--matters", "benefit", "--slot", f"{cli.day}T09:30")
    assert code == 0 and booked["person_masked"] == "510107********3156" and booked["created_by"] == "cli"
    code, _, err = cli("add", "--id", LIU, "--matters", "enroll", "--slot", f"{cli.day}T10:30")
    assert code == 2 and "already_booked" in err and LIU not in err
    code, listed, _ = cli("list", "--day", cli.day)
    assert code == 0 and [a["id"] for a in listed] == [booked["id"]]
    assert LIU not in json.dumps(listed)
    code, cancelled, _ = cli("cancel", str(booked["id"]))
    assert code == 0 and cancelled["state"] == "cancelled"
    assert cli("list", "--day", "2026-13-01")[0] == 2


def test_import_names_bad_lines_and_imports_nothing_then_all(cli):
    bad = cli.dir / "bad.csv"
    bad.write_text(
        "id_number,matters,slot\n"
        f"{LIU},benefit,{cli.day}T09:30\n"
        f"{ZHANG},enroll;card,{cli.day}T18:00\n"  # line 3: after closing time
        f"{ZHANG[:-1]}9,enroll,{cli.day}T10:00\n",  # line 4: wrong check digit
        encoding="utf-8",
    )
    code, out, err = cli("import", str(bad))
    assert code == 2 and out is None
    assert "line 3:" in err and "line 4:" in err and "line 2:" not in err
    assert "nothing was imported" in err and ZHANG not in err
    assert cli("list", "--day", cli.day)[1] == []
    good = cli.dir / "good.csv"
    good.write_text(
        f'\ufeffid_number,matters,slot\n{LIU},benefit,{cli.day}T09:30\n{ZHANG},"enroll,card",{cli.day} 15:00\n',
        encoding="utf-8",
    )
    code, out, _ = cli("import", str(good))
    assert code == 0 and out["imported"] == 2
    assert [a["matters"] for a in out["appointments"]] == [["benefit"], ["enroll", "card"]]
