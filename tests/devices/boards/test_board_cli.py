"""`onevisit boards test|status` against the emulator, as a technician runs them."""

from __future__ import annotations

import json
from pathlib import Path

from onevisit.commands.main import main
from onevisit.sim.boards.emulator import BoardEmulator


def test_boards_test_and_status(link: Path, capsys) -> None:
    with BoardEmulator(link, dead={6}) as emulator:
        assert main(["boards", "test", "--port", str(link), "--address", "3", "--text", "测试 3"]) == 0
        assert emulator.texts()[3] == "测试 3"
        report = json.loads(capsys.readouterr().out)
        assert report["boards"][0]["shown"] is True

        assert main(["boards", "status", "--port", str(link)]) == 1  # board 6 does not answer
        status = {b["address"]: b["status"] for b in json.loads(capsys.readouterr().out)["boards"]}
        assert status[6] == "offline"
        assert all(s == "online" for a, s in status.items() if a != 6)


def test_boards_test_refuses_unshowable_text(link: Path, capsys) -> None:
    with BoardEmulator(link) as emulator:
        assert main(["boards", "test", "--port", str(link), "--address", "3", "--text", "😀"]) == 2
        assert "board_text_not_in_charset" in capsys.readouterr().err
        assert emulator.stats.bytes_in == 0
