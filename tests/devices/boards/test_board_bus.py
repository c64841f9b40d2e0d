"""The bus against the emulator on a real pty: ACKs, retries, dead boards, reconnects."""

from __future__ import annotations

from pathlib import Path

import pytest

from onevisit.devices.boards.bus import BoardBus, BoardBusError
from onevisit.devices.boards.codec import BoardTextError
from onevisit.sim.boards.emulator import BoardEmulator

HALL_BOARDS = [1, 2, 3, 4, 5, 6, 100]


def test_show_reaches_the_board_and_health_reports_it(bus: BoardBus, emulator: BoardEmulator) -> None:
    bus.show(3, "A012 请到3号窗口")
    bus.show(100, "A012→3号", scroll=True)
    assert emulator.wait_for(lambda t: t.get(3) == "A012 请到3号窗口" and t.get(100) == "A012→3号")
    assert emulator.boards()[100].scroll is True
    assert bus.wait_settled()
    health = bus.health()
    assert health["connected"] is True
    by_address = {b["address"]: b for b in health["boards"]}
    assert by_address[3]["status"] == "online" and by_address[3]["shown"] is True
    assert by_address[3]["last_ack"] is not None
    assert by_address[1]["status"] == "unknown"  # nothing sent to it yet


def test_latest_text_wins_when_calls_pile_up(bus: BoardBus, emulator: BoardEmulator) -> None:
    for i in range(1, 40):
        bus.show(1, f"A{i:03d} 请到1号窗口")
    assert emulator.wait_for(lambda t: t.get(1) == "A039 请到1号窗口")
    assert bus.wait_settled()
    # coalescing: far fewer frames than calls, and the board never goes back to an older text
    assert emulator.boards()[1].updates < 39
    assert emulator.texts()[1] == "A039 请到1号窗口"


def test_unencodable_text_never_reaches_the_wire(bus: BoardBus, emulator: BoardEmulator) -> None:
    with pytest.raises(BoardTextError) as info:
        bus.show(3, "请 䶮 到3号窗口")
    assert info.value.code == "board_text_not_in_charset"
    assert bus.desired()[3] is None  # the desired state was not touched
    bus.show(2, "ok")
    assert emulator.wait_for(lambda t: t.get(2) == "ok")
    assert [a for _, a, _ in emulator.received] == [2]


def test_unknown_address_is_refused(bus: BoardBus) -> None:
    with pytest.raises(BoardBusError):
        bus.show(77, "x")


def test_dead_board_retries_go_behind_the_other_boards(link: Path, make_bus) -> None:
    with BoardEmulator(link, dead={2}) as emulator:
        bus = make_bus(link, retries=2).start()
        try:
            bus.wait_for(lambda b: b.connected)
            bus.show(2, "B001 请到2号窗口")
            bus.show(1, "A001 请到1号窗口")
            bus.show(3, "A002 请到3号窗口")
            assert emulator.wait_for(lambda t: t.get(1) and t.get(3))
            assert bus.wait_settled()
            order = [a for _, a, _ in emulator.received]
            # board 2 got its first try, then 1 and 3 went ahead of its retries
            assert order[:5] == [2, 1, 3, 2, 2]
            health = {b["address"]: b for b in bus.health()["boards"]}
            assert health[2]["status"] == "offline" and health[2]["timeouts"] == 3
            assert health[2]["text"] == "B001 请到2号窗口" and not health[2]["shown"]
            # a new call for a live board is not held up by the offline one
            bus.show(1, "A003 请到1号窗口")
            assert emulator.wait_for(lambda t: t.get(1) == "A003 请到1号窗口")
            # the dead board comes back (replaced): the next probe gives it its text
            emulator.dead.clear()
            assert emulator.wait_for(lambda t: t.get(2) == "B001 请到2号窗口")
            assert bus.wait_for(lambda b: b.health()["boards"][1]["status"] == "online")
        finally:
            bus.stop()


def test_one_dead_board_and_20_percent_garbled_every_live_board_ends_right(link: Path, make_bus) -> None:
    with BoardEmulator(link, dead={4}, garble_rate=0.2, drop_rate=0.05, seed=20240601) as emulator:
        bus = make_bus(link, retries=3).start()
        try:
            final: dict[int, str] = {}
            for round_ in range(8):
                for address in HALL_BOARDS:
                    text = f"A{round_:02d}{address} 请到{address}号窗口"
                    bus.show(address, text)
                    final[address] = text
                assert bus.wait_settled(timeout=30)  # each round goes through the faults on its own
            live = {a: t for a, t in final.items() if a != 4}
            assert emulator.wait_for(lambda t: all(t.get(a) == text for a, text in live.items()), timeout=30)
            assert bus.wait_settled(timeout=30)
            assert emulator.stats.garbled > 0 and emulator.stats.naks > 0
            health = {b["address"]: b for b in bus.health()["boards"]}
            assert health[4]["status"] == "offline"
            assert all(health[a]["shown"] for a in live)
            assert 4 not in emulator.texts()
        finally:
            bus.stop()


def test_emulator_restarted_at_the_same_link_gets_every_board_back(link: Path, make_bus) -> None:
    first = BoardEmulator(link).start()
    bus = make_bus(link, reconnect_max=0.2).start()
    try:
        bus.show(1, "A001 请到1号窗口")
        bus.show(100, "A001→1号")
        assert first.wait_for(lambda t: t.get(1) == "A001 请到1号窗口")
        assert bus.wait_settled()
        first.stop()  # unplugged: the link vanishes
        assert bus.wait_for(lambda b: not b.connected or b.reconnects > 0, timeout=5)
        with BoardEmulator(link) as second:
            # no new call: the bus reconnects by itself and resends every board's state
            assert second.wait_for(lambda t: t.get(1) == "A001 请到1号窗口" and t.get(100) == "A001→1号")
            assert bus.wait_for(lambda b: b.connected and b.reconnects >= 1)
    finally:
        bus.stop()
        first.stop()


def test_bus_started_before_the_port_exists_connects_when_it_appears(link: Path, make_bus) -> None:
    bus = make_bus(link, reconnect_max=0.2).start()
    try:
        bus.show(5, "暂停服务")  # accepted while the port is missing
        assert bus.wait_for(lambda b: b.last_port_error is not None)
        assert bus.health()["connected"] is False
        with BoardEmulator(link) as emulator:
            assert emulator.wait_for(lambda t: t.get(5) == "暂停服务")
    finally:
        bus.stop()


def test_line_codec_boards(link: Path, make_bus) -> None:
    with BoardEmulator(link, "line", garble_rate=0.2, seed=3) as emulator:
        bus = make_bus(link, "line", retries=4).start()
        try:
            bus.show(3, "A012 请到3号窗口")
            bus.show(100, "A012→3号  B003→4号", scroll=True)
            assert emulator.wait_for(
                lambda t: t.get(3) == "A012 请到3号窗口" and t.get(100) == "A012→3号  B003→4号"
            )
            assert emulator.boards()[100].scroll
        finally:
            bus.stop()


def test_ping_and_brightness(bus: BoardBus, emulator: BoardEmulator) -> None:
    assert bus.ping(3).result(timeout=5) is True
    emulator.dead.add(6)
    assert bus.ping(6).result(timeout=5) is False
    bus.brightness(3, 4)
    assert emulator.wait_for(
        lambda t: emulator.boards().get(3) is not None and emulator.boards()[3].brightness == 4
    )


def test_state_file_is_written(link: Path, tmp_path: Path, make_bus) -> None:
    import json

    state = tmp_path / "boards.json"
    with BoardEmulator(link, state_file=state) as emulator:
        bus = make_bus(link).start()
        try:
            bus.show(3, "A012 请到3号窗口")
            assert emulator.wait_for(lambda t: t.get(3) == "A012 请到3号窗口")
        finally:
            bus.stop()
    data = json.loads(state.read_text(encoding="utf-8"))
    assert data["boards"]["3"]["text"] == "A012 请到3号窗口"
    assert not link.exists()  # stopping the emulator removed the link


def test_port_whose_far_end_vanished_mid_write_is_reconnected_not_fatal(link: Path, make_bus) -> None:
    """A pty whose master closed raises termios.error (not OSError) from flush(): the bus must treat
    it as a lost port and keep going, never let its worker thread die."""
    import os

    master, slave = os.openpty()
    link.symlink_to(os.ttyname(slave))
    bus = make_bus(link, reconnect_max=0.2).start()
    try:
        assert bus.wait_for(lambda b: b.connected, timeout=5)
        os.close(master)  # the adapter is yanked while the bus holds the port open
        bus.show(3, "A001 请到3号窗口")
        assert bus.wait_for(lambda b: b.last_port_error is not None, timeout=5)
        assert bus._thread is not None and bus._thread.is_alive()
        link.unlink()
        with BoardEmulator(link) as emulator:
            assert emulator.wait_for(lambda t: t.get(3) == "A001 请到3号窗口")
    finally:
        bus.stop()
        os.close(slave)
