"""Status parsing on recorded DLE EOT reply bytes, and the status of real (simulated) links."""

from __future__ import annotations

import pytest
from escpos.escpos import Escpos

from onevisit.devices.printer.status import parse_status

# Replies recorded from the virtual printer, which follows the Epson TM bit layout.
OK = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}
NEAR_END = {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}
PAPER_OUT = {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}
COVER_OPEN = {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}
CUTTER = {1: 0x1A, 2: 0x52, 3: 0x1A, 4: 0x12}
OFFLINE = {1: 0x1A, 2: 0x12, 3: 0x12, 4: 0x12}
UNRECOVERABLE = {1: 0x1A, 2: 0x52, 3: 0x32, 4: 0x12}


def test_all_clear_is_ready():
    status = parse_status(OK)
    assert status.ready and status.online and status.paper == "ok"
    assert status.messages() is None


def test_near_end_prints_but_warns_the_technician():
    status = parse_status(NEAR_END)
    assert status.ready
    assert status.paper == "near_end"
    assert status.warning == "paper_near_end"
    assert "即将用完" in status.to_dict()["message_zh"]


@pytest.mark.parametrize(
    ("replies", "fault", "zh"),
    [
        (PAPER_OUT, "paper_out", "缺纸"),
        (COVER_OPEN, "cover_open", "盖"),
        (CUTTER, "cutter_error", "切纸"),
        (OFFLINE, "printer_offline", "无法连接"),
        (UNRECOVERABLE, "printer_error", "故障"),
    ],
)
def test_each_fault_has_a_citizen_message_and_a_hint(replies, fault, zh):
    status = parse_status(replies)
    assert not status.ready
    assert status.fault == fault
    info = status.to_dict()
    assert zh in info["message_zh"]
    assert "号码已保留" in info["message_zh"]  # the citizen learns the ticket is not lost
    assert "number is kept" in info["message_en"].lower()
    assert info["hint"]


def test_paper_out_wins_over_plain_offline():
    # A printer out of paper also sets the offline bit; the citizen should hear "paper", not "offline".
    assert parse_status(PAPER_OUT).paper == "out"
    assert parse_status(PAPER_OUT).fault == "paper_out"


def test_no_answer_is_offline_never_paper_ok():
    status = parse_status({1: None})
    assert status.fault == "printer_offline"
    assert status.paper == "unknown"
    assert not status.answered
    partial = parse_status({1: 0x12, 2: 0x12, 3: None})
    assert partial.fault == "printer_offline" and partial.paper == "unknown"


def test_python_escpos_reads_silence_as_paper_ok():
    """Why we parse status ourselves: python-escpos 3.1 reports plenty of paper on no reply."""

    class Silent(Escpos):
        def _raw(self, msg: bytes) -> None:
            pass

        def _read(self) -> bytes:
            return b""

    assert Silent().paper_status() == 2  # "paper adequate" from a printer that said nothing
    assert parse_status({1: None}).paper != "ok"


@pytest.mark.parametrize("garbage", [0xFF, 0x00, 0x13, 0x92])
def test_bytes_that_are_not_status_replies_are_not_trusted(garbage):
    status = parse_status({1: garbage, 2: 0x12, 3: 0x12, 4: 0x12})
    assert status.fault == "printer_offline"
    assert "not a status reply" in status.detail
    assert f"0x{garbage:02x}" in status.detail
