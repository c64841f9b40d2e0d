"""Keypads (呼叫器, 评价器) on the boards' line: the frames, and the bus polling the emulator on a pty."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from onevisit.devices.boards.bus import BoardBus, BoardBusError
from onevisit.devices.boards.codec import BoardTextError, Command, CommandKind, Key, KeyReport, codec_for
from onevisit.sim.boards.emulator import BoardEmulator, ControlServer, press_over_control

pytestmark = pytest.mark.timeout(60)

BOARDS = {3: "window 3", 4: "window 4", 100: "main"}
KEYPADS = {21: "caller window 3", 31: "rater window 3", 24: "caller window 4"}
EMULATED = {21: "caller", 31: "rater", 24: "caller"}


class Presses:
    """Collects on_key calls from the bus thread; tests wait on its condition, never sleep."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, Key, int]] = []
        self.cond = threading.Condition()

    def __call__(self, address: int, key: Key, seq: int) -> None:
        with self.cond:
            self.seen.append((address, key, seq))
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.seen) >= n, timeout)


def keypad_bus(link: Path, presses: Presses, **kwargs: object) -> BoardBus:
    options: dict = {"timeout": 0.1, "retries": 2, "probe_seconds": 0.3, "keepalive_seconds": 30.0}
    options.update(kwargs)
    return BoardBus(
        str(link), codec_for("default"), BOARDS, keypads=KEYPADS, poll_seconds=0.02, on_key=presses, **options
    )


def test_keypad_frames_round_trip_and_match_the_documented_bytes() -> None:
    codec = codec_for("default")
    # docs/board-protocol.md, "Keypads"
    assert codec.encode_poll(21, 0).hex(" ") == "02 15 20 00 01 00 34 03"
    assert codec.encode_key(21, 5, Key.CALL).hex(" ") == "02 15 30 00 02 05 01 23 03"
    assert codec.encode_lamp(31, True).hex(" ") == "02 1f 22 00 01 01 3d 03"
    assert codec.encode_display(21, "A012 候5").hex(" ") == "02 15 21 00 08 41 30 31 32 20 ba f2 35 13 03"
    assert codec.decode(codec.encode_poll(21, 7)) == [Command(21, CommandKind.POLL, seq=7)]
    assert codec.decode(codec.encode_key(31, 255, Key.R4)) == [KeyReport(31, 255, Key.R4)]
    assert codec.decode(codec.encode_display(21, "A012 候5")) == [
        Command(21, CommandKind.DISPLAY, text="A012 候5")
    ]
    assert codec.decode(codec.encode_lamp(31, False)) == [Command(31, CommandKind.LAMP, on=False)]


def test_keypad_text_and_codec_refusals() -> None:
    codec = codec_for("default")
    with pytest.raises(BoardTextError) as too_long:
        codec.encode_display(21, "很长的文字" * 5)
    assert too_long.value.code == "keypad_text_too_long"
    with pytest.raises(BoardTextError) as no_keypads:
        codec_for("line").encode_poll(21, 0)
    assert no_keypads.value.code == "keypad_codec_unsupported"
    with pytest.raises(BoardTextError):
        BoardBus("/nonexistent", codec_for("line"), {}, keypads={21: "caller window 3"})
    with pytest.raises(BoardBusError) as taken:
        BoardBus("/nonexistent", codec_for("default"), {3: "window 3"}, keypads={3: "caller window 3"})
    assert taken.value.code == "keypad_address_taken"


def test_a_press_reaches_the_hall_once_and_displays_and_lamps_reach_the_keypads(link: Path) -> None:
    presses = Presses()
    with BoardEmulator(link, keypads=EMULATED, seed=1, baud=9600) as emu:  # at a real line's pace
        bus = keypad_bus(link, presses).start()
        try:
            emu.press(21, "call")
            emu.press(31, "r2")
            assert presses.wait(2)
            assert sorted((a, k) for a, k, _ in presses.seen) == [(21, Key.CALL), (31, Key.R2)]
            bus.show(21, "A012 候5")
            bus.lamp(31, True)
            bus.show(3, "A012 请到3号窗口")
            assert emu.wait_keypads(lambda k: k[21].text == "A012 候5" and k[31].lamp)
            assert emu.wait_for(lambda t: t.get(3) == "A012 请到3号窗口")
            # acknowledged: the keypads have nothing left to report, and nothing came twice
            assert emu.wait_keypads(lambda k: not k[21].queued and not k[31].queued)
            assert len(presses.seen) == 2
            assert bus.wait_for(lambda b: all(k["online"] for k in b.health()["keypads"]))
            health = bus.health()
            assert [b["address"] for b in health["boards"]] == [3, 4, 100]
            with pytest.raises(BoardTextError):
                bus.show(21, "很长的文字" * 5)  # refused before the wire
        finally:
            bus.stop()


def test_a_dead_keypad_goes_offline_and_the_others_keep_working(link: Path) -> None:
    presses = Presses()
    with BoardEmulator(link, keypads=EMULATED, dead={24}, seed=2) as emu:
        bus = keypad_bus(link, presses).start()
        try:
            assert bus.wait_for(
                lambda b: {k["address"]: k["status"] for k in b.health()["keypads"]}[24] == "offline", 10
            )
            bus.show(3, "A001 请到3号窗口")
            emu.press(21, "recall")
            assert presses.wait(1)
            assert emu.wait_for(lambda t: t.get(3) == "A001 请到3号窗口")
            assert presses.seen[0][:2] == (21, Key.RECALL)
        finally:
            bus.stop()


def test_garbled_and_lost_frames_never_apply_a_press_twice(link: Path) -> None:
    # 20 % of frames garbled (half NAKed, half answered with corrupted bytes) and 10 % dropped:
    # replies carrying key reports are lost, so keypads send the same numbered report again.
    presses = Presses()
    with BoardEmulator(link, keypads=EMULATED, garble_rate=0.2, drop_rate=0.1, seed=3) as emu:
        bus = keypad_bus(link, presses, retries=5).start()
        try:
            keys = ["call", "recall", "skip", "pause", "transfer"] * 8
            for key in keys:
                emu.press(21, key)
            assert presses.wait(len(keys), timeout=30)
            assert emu.wait_keypads(lambda k: not k[21].queued, timeout=10)
            got = [(k.value, seq) for a, k, seq in presses.seen if a == 21]
            assert [k for k, _ in got] == keys  # each once, in order
            assert [seq for _, seq in got] == list(range(1, len(keys) + 1))
            assert emu.keypads()[21].reports > len(keys)  # repeats did happen on the wire
        finally:
            bus.stop()


def test_a_report_sent_again_after_it_was_applied_is_ignored(link: Path) -> None:
    presses = Presses()
    with BoardEmulator(link, keypads=EMULATED, seed=4) as emu:
        bus = keypad_bus(link, presses).start()
        try:
            emu.press(21, "call")
            assert presses.wait(1)
            assert emu.wait_keypads(lambda k: k[21].acked is not None)
            assert emu.repeat_acknowledged(21)  # the keypad sends report 1 again
            emu.press(21, "skip")
            assert presses.wait(2)
            assert emu.wait_keypads(lambda k: not k[21].queued)
            assert [(k, seq) for _, k, seq in presses.seen] == [(Key.CALL, 1), (Key.SKIP, 2)]
            assert {k["address"]: k["repeats"] for k in bus.health()["keypads"]}[21] == 1
        finally:
            bus.stop()


def test_control_port_takes_presses_and_refuses_bad_lines(link: Path) -> None:
    with BoardEmulator(link, keypads=EMULATED) as emu:
        control = ControlServer(emu, "127.0.0.1", 0).start()
        try:
            host, port = control.address
            assert press_over_control(host, port, 21, "call") == "ok"
            assert press_over_control(host, port, 31, "call").startswith("error: keypad 31 is a rater")
            assert press_over_control(host, port, 99, "call").startswith("error: no keypad at address 99")
            assert press_over_control(host, port, 21, "dance").startswith("error: unknown key")
            assert [k for _, k in emu.keypads()[21].queued] == ["call"]
        finally:
            control.stop()
