"""`onevisit board-emulator --keypad … --control HOST:PORT` as a process, pressed with `onevisit boards press`."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from onevisit.commands.main import main
from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.codec import Key, codec_for

pytestmark = pytest.mark.timeout(60)


def start_emulator(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "onevisit.sim.boards.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("board emulator:"):
            break
    return proc, lines


def test_keys_pressed_on_the_control_port_reach_a_bus(tmp_path: Path, capsys) -> None:
    link = tmp_path / "board-link"
    proc, lines = start_emulator(
        "--link", str(link), "--keypad", "3:caller@21", "--keypad", "3:rater@31", "--control", "127.0.0.1:0"
    )
    seen: list[tuple[int, Key]] = []
    cond = threading.Condition()

    def on_key(address: int, key: Key, seq: int) -> None:
        with cond:
            seen.append((address, key))
            cond.notify_all()

    bus = BoardBus(
        str(link), codec_for("default"), {}, keypads={21: "caller window 3", 31: "rater window 3"},
        timeout=0.1, poll_seconds=0.02, on_key=on_key,
    ).start()  # fmt: skip
    try:
        assert "keypad 021: caller" in lines and "keypad 031: rater" in lines, lines
        control = next(line.split()[1] for line in lines if line.startswith("control: "))
        assert main(["boards", "press", control, "21", "call"]) == 0
        assert main(["boards", "press", control, "31", "r3"]) == 0
        assert capsys.readouterr().out.split() == ["ok", "ok"]
        assert main(["boards", "press", control, "31", "call"]) == 1  # a rater has no 呼叫
        assert "error: keypad 31 is a rater" in capsys.readouterr().out
        with cond:
            assert cond.wait_for(lambda: len(seen) == 2, 10)
        assert sorted(seen) == [(21, Key.CALL), (31, Key.R3)]
        bus.show(21, "A012 候5")
        bus.lamp(31, True)
        assert proc.stdout is not None
        shown = [proc.stdout.readline().strip() for _ in range(2)]
        assert sorted(shown) == ["keypad 021 (caller): A012 候5", "keypad 031 (rater): lamp on"]
    finally:
        bus.stop()
        proc.terminate()
        proc.wait(10)


def test_a_keypad_without_address_comes_from_config_or_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = (Path(__file__).parents[2] / "config.toml").read_text(encoding="utf-8")
    config.write_text(
        text + '\n[[boards.keypads]]\naddress = 22\nkind = "caller"\nwindow = 3\n', encoding="utf-8"
    )
    proc, lines = start_emulator(
        "--link", str(tmp_path / "link"), "--config", str(config), "--keypad", "3:caller"
    )
    try:
        assert "keypad 022: caller" in lines, lines
    finally:
        proc.terminate()
        proc.wait(10)
    refused = subprocess.run(
        [sys.executable, "-m", "onevisit.sim.boards.emulator", "--link", str(tmp_path / "l2"),
         "--config", str(config), "--keypad", "4:rater"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--keypad 4:rater: no such keypad in [boards] keypads; add @ADDRESS" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_keypads_on_a_codec_without_keypad_commands_are_refused(tmp_path: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "onevisit.sim.boards.emulator", "--link", str(tmp_path / "link"),
         "--codec", "line", "--keypad", "3:caller@21"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "the 'line' codec has no keypad commands; use --codec default" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "link").exists()
