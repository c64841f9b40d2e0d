"""Structured logs: one JSON object per line, rotated by day, never a full ID number or a name."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from onevisit.core import logs

FULL_ID = "11010519491231002X"


@pytest.fixture
def logfile(config, tmp_path):
    root = logging.getLogger()
    before = list(root.handlers), root.level
    path = logs.install(config, "hall", directory=tmp_path / "logs")
    yield path
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
            handler.close()
    for handler in root.handlers:
        for f in [f for f in handler.filters if isinstance(f, logs.RedactingFilter)]:
            handler.removeFilter(f)
    root.setLevel(before[1])
    logs.forget_names()


def lines(path):
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_lines_are_json_with_the_fields_a_technician_filters_on(logfile):
    logging.getLogger("onevisit.devices.printer.jobs").warning(
        "job %d failed", 3, extra={"device": "printer"}
    )
    [line] = [x for x in lines(logfile) if x["msg"] == "job 3 failed"]
    assert line["level"] == "WARNING"
    assert line["logger"] == "onevisit.devices.printer.jobs"
    assert line["process"] == "hall"
    assert line["device"] == "printer"
    assert dt.datetime.fromisoformat(line["ts"]).utcoffset() == dt.timedelta(hours=8)  # the hall's zone


def test_id_numbers_and_names_never_reach_the_file(logfile):
    log = logging.getLogger("onevisit.kiosk.screens")
    log.info("read card %s name=张三丰", FULL_ID)
    log.info("payload %s", {"id_number": FULL_ID, "姓名": "李秀英"})
    log.info("staff account name=staff3 on kiosk-1")  # not a citizen: stays readable
    logs.remember_name("欧阳娜娜")
    log.warning("certificate for 欧阳娜娜 failed", extra={"citizen_name": "王桂兰", "holder_id": FULL_ID})
    try:
        raise ValueError(f"bad id {FULL_ID}")
    except ValueError:
        log.exception("lookup failed")
    text = logfile.read_text(encoding="utf-8")
    assert FULL_ID not in text and FULL_ID.lower() not in text
    for name in ("张三丰", "李秀英", "欧阳娜娜", "王桂兰"):
        assert name not in text, name
    assert "110105********002X" in text
    assert "张*丰" in text and "欧**娜" in text and "王*兰" in text
    assert "name=staff3" in text
    got = lines(logfile)
    assert any("Traceback" in x.get("exc", "") and "110105********002X" in x["exc"] for x in got)


def test_the_console_handler_is_redacted_too(config, logfile, capsys):
    stream = logging.StreamHandler()
    logging.getLogger().addHandler(stream)
    try:
        logs.install(config, "hall", directory=logfile.parent)  # adds the filter to every handler
        logging.getLogger("onevisit.test").warning("id %s", FULL_ID)
    finally:
        logging.getLogger().removeHandler(stream)
    err = capsys.readouterr().err
    assert FULL_ID not in err and "110105********002X" in err


def test_install_twice_keeps_one_file_handler(config, logfile):
    logs.install(config, "hall", directory=logfile.parent)
    ours = [h for h in logging.getLogger().handlers if isinstance(h, logs._OurFile)]
    assert len(ours) == 1


def test_the_day_s_device_log_reads_rotated_files_and_keeps_device_lines_only(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()

    def line(ts, logger, msg, **extra):
        return json.dumps(
            {"ts": ts, "level": "INFO", "logger": logger, "msg": msg, **extra}, ensure_ascii=False
        )

    # Yesterday's file was rotated; today's lines are in the live file; a hand-edited line leaks an ID.
    (folder / "hall.log.2026-11-22").write_text(
        "\n".join(
            [
                line("2026-11-22T16:59:00.000+08:00", "onevisit.devices.printer.jobs", "yesterday"),
                line("2026-11-23T00:00:01.000+08:00", "onevisit.devices.boards.bus", "board 3 offline"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    (folder / "hall.log").write_text(
        "\n".join(
            [
                line("2026-11-23T09:00:00.000+08:00", "onevisit.hall.stores.accounts", "staff3 logged in"),
                line("2026-11-23T09:01:00.000+08:00", "onevisit.hall.live.device_watch", f"odd {FULL_ID}"),
                line(
                    "2026-11-23T09:02:00.000+08:00",
                    "onevisit.queue",
                    "custom",
                    device="kiosk:kiosk-1/printer",
                ),
                "not json at all",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    got = logs.device_log(folder, "hall", dt.date(2026, 11, 23))
    messages = [json.loads(x)["msg"] for x in got]
    assert messages == ["board 3 offline", "odd 110105********002X", "custom"]
