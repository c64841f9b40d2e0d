"""Killing the board emulator (a pulled adapter) marks the boards offline within the heartbeat
period; restarting it clears the alert and the boards show their current state again."""

from __future__ import annotations

import time

import httpx
import pytest

from onevisit.sim.demo.run import demo_clock
from tests.hall.maintenance.conftest import PASSWORD, BoardEmulatorProcess, login, start_hall

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def board_states(m) -> dict[str, str]:
    return {s.device: s.state for s in m.store.states() if s.kind in ("board", "board_link")}


def test_kill_and_restart_the_board_emulator(tech_config, tmp_path):
    link, state = tmp_path / "board-link", tmp_path / "boards.json"
    emulator = BoardEmulatorProcess(link, state)
    # The demo's clock (real time from 09:00 today): tickets are issued at any hour, time still runs.
    server, hall = start_hall(tech_config, tmp_path, clock=demo_clock(tech_config))
    m = hall.maintenance
    bus = hall.app.state.callout.bus
    hall.app.state.hall.accounts.add_user("staff1", "staff", PASSWORD, window=1)
    try:
        addresses = sorted(b.address for b in tech_config.boards.boards)
        assert m.wait_for(lambda: set(board_states(m).values()) == {"ok"} and len(board_states(m)) == 8, 20)
        # A call, so window 3's board has something of its own to get back.
        issued = httpx.post(
            f"{hall.url}/api/tickets",
            json={"matters": ["card"], "idempotency_key": "k1"},
            headers={"Authorization": f"Bearer {hall.kiosk_token}"},
        )
        assert issued.status_code == 201, issued.text
        assert httpx.post(f"{hall.url}/api/windows/3/call", headers=hall.staff3).status_code == 200
        assert bus.wait_for(
            lambda b: b.desired()[3] == "D001 请到3号窗口" and b.health()["boards"][2]["shown"], 10
        )

        killed = time.monotonic()
        emulator.kill()
        assert m.wait_for(
            lambda: board_states(m).get("board:3") == "offline", tech_config.kiosk.heartbeat_seconds
        )
        took = time.monotonic() - killed
        assert took < tech_config.kiosk.heartbeat_seconds
        view = hall.overview()
        # One alert for the link, not one per board: the cause is the adapter.
        assert [a["code"] for a in view["alerts"]] == ["board_link_down"]
        assert {b["state"] for b in view["boards"]["boards"]} == {"offline"}
        # A call while the link is down is not lost: the board gets it when the link returns.
        issued = httpx.post(
            f"{hall.url}/api/tickets",
            json={"matters": ["enroll"], "idempotency_key": "k2"},
            headers={"Authorization": f"Bearer {hall.kiosk_token}"},
        )
        assert issued.status_code == 201
        staff1 = login(hall.url, "staff1")
        assert httpx.post(f"{hall.url}/api/windows/1/call", headers=staff1).status_code == 200

        emulator = BoardEmulatorProcess(link, state)  # plugged back in, blank boards
        assert m.wait_for(lambda: set(board_states(m).values()) == {"ok"}, 20)
        assert bus.wait_settled(10)
        assert hall.overview()["alerts"] == []
        shown = emulator.texts()
        wanted = {a: s.text for a, s in hall.app.state.callout.content.current().items()}
        assert shown == wanted and shown[3].startswith("D001") and shown[1].startswith("A001")
        assert sorted(shown) == addresses
        history = [e for e in hall.overview()["events"] if e["device"] == "boards:link"]
        assert [e["state"] for e in history][:2] == ["ok", "offline"]
    finally:
        server.stop()
        emulator.stop()


def test_test_pattern_then_back_and_resend(tech_config, tmp_path):
    from onevisit.sim.demo.config import with_updates

    config = with_updates(tech_config, {"maintenance": {"test_pattern_seconds": 0.3}})
    emulator = BoardEmulatorProcess(tmp_path / "board-link", tmp_path / "boards.json")
    server, hall = start_hall(config, tmp_path)
    bus = hall.app.state.callout.bus
    try:
        assert bus.wait_settled(15)
        r = httpx.post(f"{hall.url}/api/maintenance/boards/test", json={"address": 3}, headers=hall.tech)
        assert r.status_code == 202 and r.json()["boards"] == [3]
        assert bus.wait_for(
            lambda b: b.desired()[3] == "003 测试 8888" and b.health()["boards"][2]["shown"], 10
        )
        assert emulator.texts()[3] == "003 测试 8888"
        assert bus.wait_for(lambda b: b.desired()[3] == "欢迎光临", 10)  # back by itself
        r = httpx.post(f"{hall.url}/api/maintenance/boards/test", json={"address": 77}, headers=hall.tech)
        assert r.status_code == 404 and r.json()["error"]["message_zh"]
        assert httpx.post(f"{hall.url}/api/maintenance/boards/resend", headers=hall.tech).status_code == 202
        assert httpx.post(f"{hall.url}/api/maintenance/boards/resend", headers=hall.staff3).status_code == 403
        notes = [e["detail"] for e in hall.overview()["events"] if e["code"] == "note"]
        assert "resend all boards" in notes and "test pattern on board 3" in notes
    finally:
        server.stop()
        emulator.stop()
