"""Window keypads end to end: the hall server, its board bus and the emulator's keypads on a pty.

A press on the emulator goes over the wire as a key report, through the hall's KeypadDesk and the
service gate into the queue; the board, the voice and the TV's event stream follow as for a call
from the console. Tests wait on conditions (the desk's on_handled, the emulator's views), never sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onevisit.core.config import Config, KeypadConfig
from onevisit.devices.boards.codec import Key
from onevisit.hall.app import create_app
from onevisit.sim.boards.emulator import BoardEmulator

pytestmark = pytest.mark.timeout(120)

CALLER3, RATER3, CALLER4 = 21, 31, 24
PASSWORD = "pw-wang-1"


class Handled:
    """The desk's on_handled: every press's outcome, in order."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[int, Key, str]] = []
        self.cond = threading.Condition()

    def __call__(self, address: int, key: Key, outcome: str) -> None:
        with self.cond:
            self.outcomes.append((address, key, outcome))
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 20.0) -> list[tuple[int, Key, str]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.outcomes) >= n, timeout), self.outcomes
            return list(self.outcomes)


@dataclass
class KeypadHall:
    client: TestClient
    app: object
    emu: BoardEmulator
    handled: Handled
    kiosk: dict
    keys: Iterator[int]

    def issue(self, matter: str) -> str:
        r = self.client.post(
            "/api/tickets",
            json={"matters": [matter], "idempotency_key": f"k{next(self.keys)}"},
            headers=self.kiosk,
        )
        assert r.status_code == 201, r.text
        return r.json()["ticket"]["number"]

    def press(self, address: int, key: str) -> str:
        """Press on the emulated keypad; the outcome once the hall has handled it."""
        n = len(self.handled.outcomes)
        self.emu.press(address, key)
        return self.handled.wait(n + 1)[n][2]

    @property
    def service(self):
        return self.app.state.hall.gate.service

    def events(self, kind: str, window: int) -> list:
        return [e for e in self.service.events_since(0, 10000) if str(e.kind) == kind and e.window == window]


def keypad_config(hall_config: Config, tmp_path: Path, **voice: object) -> Config:
    boards = hall_config.boards.model_copy(
        update={
            "enabled": True,
            "port": str(tmp_path / "board-link"),
            "timeout": 0.1,
            "probe_seconds": 0.3,
            "poll_seconds": 0.02,
            "rating_seconds": 30,
            "keypads": [
                KeypadConfig(address=CALLER3, kind="caller", window=3, transfer_matter="contrib"),
                KeypadConfig(address=RATER3, kind="rater", window=3),
                KeypadConfig(address=CALLER4, kind="caller", window=4),
            ],
        }
    )
    settings = {"engine": "silent", **voice}
    return hall_config.model_copy(
        update={"boards": boards, "voice": hall_config.voice.model_copy(update=settings)}
    )


@contextmanager
def keypad_hall(cfg: Config, clock, db_path: Path, **faults: object) -> Iterator[KeypadHall]:
    emu = BoardEmulator(
        cfg.boards.port, keypads={CALLER3: "caller", RATER3: "rater", CALLER4: "caller"}, seed=5, **faults
    ).start()
    app = create_app(cfg, db_path=db_path, clock=clock, poll_seconds=0.02)
    handled = Handled()
    app.state.keypads.on_handled = handled
    store = app.state.hall.accounts
    store.add_user("wang", "staff", PASSWORD, window=3)
    kiosk = store.add_kiosk("k")
    try:
        with TestClient(app) as client:
            yield KeypadHall(
                client, app, emu, handled, {"Authorization": f"Bearer {kiosk}"}, iter(range(1, 10**6))
            )
    finally:
        emu.stop()


def test_call_on_window_3s_caller_calls_once_with_board_voice_and_tv(hall_config, clock, db_path, tmp_path):
    cfg = keypad_config(hall_config, tmp_path, engine="espeak", out_dir="voice", realtime=False, repeat=1)
    with keypad_hall(cfg, clock, db_path) as h:
        first, second = h.issue("card"), h.issue("card")
        contrib = h.issue("contrib")
        h.client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD})
        with h.client.websocket_connect("/ws") as ws:
            assert h.press(CALLER3, "call") == "ok"
            event = ws.receive_json()
            while event["kind"] != "step.called":
                event = ws.receive_json()
            assert (event["number"], event["window"], event["actor"]) == (
                first,
                3,
                f"keypad:{CALLER3}+staff:wang",
            )
        assert len(h.events("step.called", 3)) == 1
        assert h.emu.wait_for(lambda t: first in t.get(3, ""))  # window 3's board
        announcer = h.app.state.callout.announcer
        assert announcer.wait_done(1, timeout=30)
        assert [f.name for f in sorted((tmp_path / "voice").glob("*.wav"))] == [f"0001-{first}-w3.wav"]
        # the caller's display: current number and who waits for window 3's matters
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == f"{first} 候1")

        # 重呼 at once: too soon by the queue's recall rule; the display shows the code
        assert h.press(CALLER3, "recall") == "recall_too_soon"
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == "E1 太快")
        assert len(h.events("step.recalled", 3)) == 0
        clock.advance(3)  # keypad_error_seconds: the display goes back to the number and the count
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == f"{first} 候1")

        # the next 呼叫 finishes this citizen and calls the next; then nothing is left for window 3
        assert h.press(CALLER3, "call") == "ok"
        assert h.service.window_status(3).current_number == second
        assert h.press(CALLER3, "call") == "nothing_waiting"
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == "E2 无人等候")
        # window 3's keypad cannot act for window 4: the contribution ticket still waits there
        assert h.service.window_status(4).current_number is None
        assert h.service.ticket(contrib).steps[0].state == "waiting"
        assert len(h.events("step.called", 3)) == 2
        # window 4's own caller calls it, recorded without staff (nobody logged in at window 4)
        assert h.press(CALLER4, "call") == "ok"
        assert h.events("step.called", 4)[0].actor == f"keypad:{CALLER4}"
        assert h.service.window_status(4).current_number == contrib


def test_pause_toggles_and_transfer_uses_the_configured_matter(hall_config, clock, db_path, tmp_path):
    with keypad_hall(keypad_config(hall_config, tmp_path), clock, db_path) as h:
        number = h.issue("card")
        assert h.press(CALLER4, "transfer") == "no_transfer_matter"  # window 4's has none configured
        assert h.emu.wait_keypads(lambda k: k[CALLER4].text == "E5 未设转移")
        assert h.press(CALLER3, "transfer") == "nothing_at_window"
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == "E4 无当前号")
        assert h.press(CALLER3, "call") == "ok"
        assert h.press(CALLER3, "transfer") == "ok"  # to [boards] keypads transfer_matter: contrib
        steps = h.service.ticket(number).steps
        assert [(s.matter, s.state) for s in steps] == [
            ("card", "transferred"),
            ("contrib", "waiting"),
        ]  # 转出
        assert h.press(CALLER3, "pause") == "ok"
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == "暂停 候0")
        assert h.press(CALLER3, "call") == "window_paused"
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == "E6 已暂停")
        assert h.press(CALLER3, "pause") == "ok"
        assert str(h.service.window_status(3).state) == "open"


def test_a_rating_after_finish_is_recorded_once_and_late_presses_record_nothing(
    hall_config, clock, db_path, tmp_path
):
    with keypad_hall(keypad_config(hall_config, tmp_path), clock, db_path) as h:
        ratings = h.app.state.hall.ratings
        assert h.press(RATER3, "r1") == "ignored"  # nothing finished yet
        first = h.issue("card")
        second = h.issue("card")
        h.press(CALLER3, "call")
        h.press(CALLER3, "call")  # finishes the first citizen's step: the rater's lamp asks
        assert h.emu.wait_keypads(lambda k: k[RATER3].lamp)
        assert h.press(RATER3, "r1") == "ok"
        assert h.press(RATER3, "r4") == "ignored"  # a second press
        assert h.emu.wait_keypads(lambda k: not k[RATER3].lamp)
        rows = h.app.state.hall.db.query('SELECT number, "window", score, step_id FROM hall_ratings')
        finished = [e for e in h.events("step.finished", 3) if e.number == first]
        assert [tuple(r.values()) for r in rows] == [(first, 3, 5, finished[0].data["step_id"])]
        # exactly the tablet's store: a second rating of that step is refused there too
        assert ratings.summary()["windows"] == [{"window": 3, "ratings": 1, "mean": 5.0, "bad": 0}]

        # the second citizen finishes; the rating time passes (the injected clock) before a press
        with h.client.websocket_connect("/ws") as ws:
            h.client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD})
            assert h.press(CALLER3, "call") == "nothing_waiting"  # finished the second, none left
            while ws.receive_json()["kind"] != "step.finished":
                pass
        assert h.emu.wait_keypads(lambda k: k[RATER3].lamp)
        clock.advance(31)
        assert h.press(RATER3, "r2") == "ignored"
        assert len(h.app.state.hall.db.query("SELECT 1 FROM hall_ratings")) == 1
        assert h.emu.wait_keypads(lambda k: not k[RATER3].lamp)
        assert second not in [
            r["number"] for r in h.app.state.hall.db.query("SELECT number FROM hall_ratings")
        ]
        # a hall catching up on events after a restart does not light the lamp for a step long done
        old = [e for e in h.service.events_since(0, 10000) if str(e.kind) == "step.finished"][-1]
        h.client.portal.call(h.app.state.keypads.on_event, old)
        assert h.app.state.callout.bus.lamps()[RATER3] is False
        assert h.press(RATER3, "r1") == "ignored"


def test_dead_keypad_and_garbled_frames_calls_reach_boards_and_no_press_applies_twice(
    hall_config, clock, db_path, tmp_path
):
    with keypad_hall(
        keypad_config(hall_config, tmp_path), clock, db_path, dead={CALLER4}, garble_rate=0.2
    ) as h:
        numbers = [h.issue("card") for _ in range(6)]
        outcomes = [h.press(CALLER3, "call") for _ in numbers]
        assert outcomes == ["ok"] * 6
        called = [e.number for e in h.events("step.called", 3)]
        assert called == numbers  # each press applied once, in order
        assert h.emu.wait_for(lambda t: numbers[-1] in t.get(3, ""), timeout=20)
        assert h.emu.wait_keypads(lambda k: k[CALLER3].text == f"{numbers[-1]} 候0", timeout=20)
        callout = h.app.state.callout
        assert callout.bus.wait_for(
            lambda b: {k["address"]: k["status"] for k in b.health()["keypads"]}[CALLER4] == "offline", 20
        )
        assert h.emu.keypads()[CALLER3].reports >= 6
        # /maintenance shows the dead keypad like a dead board
        maintenance = h.app.state.maintenance
        maintenance.check_once()
        alerts = {a["device"]: a for a in maintenance.alerts()}
        assert alerts[f"keypad:{CALLER4}"]["code"] == "keypad_offline"
        assert alerts[f"keypad:{CALLER4}"]["message_zh"] == "呼叫器/评价器离线"
        assert f"keypad:{CALLER3}" not in alerts
        keypads = maintenance.overview()["boards"]["keypads"]
        assert [(k["info"]["address"], k["state"]) for k in keypads] == [
            (CALLER3, "ok"),
            (CALLER4, "offline"),
            (RATER3, "ok"),
        ]
