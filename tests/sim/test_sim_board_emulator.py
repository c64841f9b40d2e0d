"""The board emulator reads each board's text in that board's charset, as the hall sends it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.codec import codec_for
from onevisit.sim.boards import emulator as emulator_module
from onevisit.sim.boards.emulator import BoardEmulator


def test_boards_with_their_own_charsets_show_what_the_hall_sent(tmp_path: Path) -> None:
    link = tmp_path / "board-link"
    charsets = {3: "gbk", 100: "gb18030"}
    boards = {1: "window 1", 3: "window 3", 100: "main"}
    with BoardEmulator(link, charsets=charsets) as emulator:
        bus = BoardBus(str(link), codec_for("default", charsets), boards, timeout=0.1, keepalive_seconds=30.0)
        bus.start()
        try:
            bus.show(1, "示范区·社保大厅")  # gb2312: the 间隔号 as GB2312 A1A4
            bus.show(3, "张喆 请到3号窗口")  # 喆: GBK only
            bus.show(100, "孙䶮→3号")  # 䶮: GB18030 only
            assert emulator.wait_for(
                lambda t: (
                    t.get(1) == "示范区·社保大厅"
                    and t.get(3) == "张喆 请到3号窗口"
                    and t.get(100) == "孙䶮→3号"
                )
            )
        finally:
            bus.stop()
    assert emulator.stats.naks == 0


def test_the_emulator_command_takes_a_charset_per_board() -> None:
    parser = argparse.ArgumentParser()
    emulator_module.add_arguments(parser)
    args = parser.parse_args(["--link", "x", "--charset", "3=gbk", "--charset=100=gb18030"])
    assert dict(args.charset) == {3: "gbk", 100: "gb18030"}
    for bad in ("3=big5", "0=gbk", "three=gbk"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--link", "x", "--charset", bad])
