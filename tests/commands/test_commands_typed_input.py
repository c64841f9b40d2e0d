"""The command line as a technician types it through a Chinese input method (issue "Inputs from the
hall floor", kinds 1 and 2): full-width ID numbers and ticket numbers work, bad ones are refused in
words, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from onevisit.commands.main import main
from tests.conftest import REPO

ELDER_FULL_WIDTH = "１１０１０５１９４９１２３１００２X"  # 17 full-width digits, ASCII X: valid
NOW = "2026-11-23T09:00"


@pytest.fixture
def cli(tmp_path, capsys):
    config = tmp_path / "config.toml"
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('secrets_dir = "var/secrets"', f'secrets_dir = "{tmp_path}/secrets"'))
    options = ["--config", str(config), "--db", str(tmp_path / "hall.db")]

    def run(*args: str) -> tuple[int, object, str]:
        code = main([*args, *options])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    run.dir = tmp_path
    return run


def test_queue_issue_takes_the_full_width_id_and_keeps_only_its_mask(cli):
    code, out, err = cli("queue", "issue", "--matters", "enroll", "--id", ELDER_FULL_WIDTH, "--now", NOW)
    assert code == 0, err
    assert out["number"] == "A001" and out["person_masked"] == "110105********002X"
    code, again, _ = cli("queue", "issue", "--matters", "enroll", "--id", "11010519491231002x", "--now", NOW)
    assert again["created"] is False and again["number"] == "A001"  # the same person, one ticket


@pytest.mark.parametrize(
    ("typed_id", "code_word"),
    [
        ("１１０１０５１９４９１２３１００２１", "id_check_digit"),
        ("911000156060101019", "id_card_type_unsupported"),
    ],
)
def test_queue_issue_refuses_a_bad_id_in_words(cli, typed_id, code_word):
    code, out, err = cli("queue", "issue", "--matters", "enroll", "--id", typed_id, "--now", NOW)
    assert code == 2 and out is None
    assert code_word in err and "Traceback" not in err


def test_ticket_commands_find_the_ticket_however_it_is_typed(cli):
    cli("queue", "issue", "--matters", "enroll", "--now", NOW)
    for typed in ("a1", "A01", "ａ００１"):
        code, shown, err = cli("queue", "show", typed, "--now", NOW)
        assert code == 0 and shown["number"] == "A001", err
    cli("queue", "call", "--window", "1", "--now", NOW)
    cli("queue", "skip", "--window", "1", "--now", NOW)
    code, back, err = cli("queue", "checkin", "a1", "--now", NOW)
    assert code == 0 and back["state"] == "waiting", err
    code, _, err = cli("queue", "show", "一号", "--now", NOW)
    assert code == 2 and "bad_ticket_number" in err and "Traceback" not in err


def test_appointments_import_takes_a_gb18030_file_with_a_full_width_id(cli):
    # the appointments commands use the real clock: book tomorrow in the hall's zone
    day = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=1)
    excel_day = f"{day.year}/{day.month}/{day.day}"  # Excel's display format, e.g. 2026/12/1
    sheet = cli.dir / "预约.csv"
    sheet.write_bytes(
        f"身份证号,业务,预约时间,\r\n{ELDER_FULL_WIDTH},benefit,{excel_day} 9:30,\r\n".encode("gb18030")
    )
    code, out, err = cli("appointments", "import", str(sheet))
    assert code == 0, err
    assert out["appointments"][0]["person_masked"] == "110105********002X"
    assert out["appointments"][0]["slot"] == f"{day.isoformat()}T09:30+08:00"
    sheet.write_bytes(f"身份证号,业务,预约时间\r{ELDER_FULL_WIDTH},benefit,{excel_day}\r".encode("gb18030"))
    code, out, err = cli("appointments", "import", str(sheet))
    assert code == 2 and "line 2: 预约时间：" in err and "Traceback" not in err


def test_days_are_read_however_they_are_typed(cli):
    """--day and --date take a day as --now and --slot do: full-width digits, slashes, 年月日."""
    code, listed, err = cli("appointments", "list", "--day", "２０２６-１１-２３")
    assert code == 0 and listed == [], err
    code, _, err = cli("report", "--date", "2026年11月23日", "--out", str(cli.dir / "report"))
    assert code == 2 and "no events on 2026-11-23" in err, err
    code, _, err = cli("appointments", "list", "--day", "2026-13-01")
    assert code == 2 and "--day: expected YYYY-MM-DD" in err
