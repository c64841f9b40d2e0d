"""CallOut: hall events -> the right boards on the emulator (a real pty) and the voice."""

from __future__ import annotations

import contextlib
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from onevisit.core.config import Config
from onevisit.hall.live.callout import CallOut
from onevisit.queue import QueueService
from onevisit.sim.boards.emulator import BoardEmulator


def hall(config: Config, tmp_path: Path, **voice: object) -> Config:
    """The demo hall with its files under tmp_path, fast board timings and (by default) no voice."""
    boards = config.boards.model_copy(
        update={"timeout": 0.1, "probe_seconds": 0.3, "reconnect_max_seconds": 0.2}
    )
    settings = {"engine": "silent", **voice}
    return config.model_copy(
        update={"base_dir": tmp_path, "boards": boards, "voice": config.voice.model_copy(update=settings)}
    )


def ev(i: int, kind: str, number: str | None = None, window: int | None = None) -> dict:
    return {"id": i, "at": "", "actor": "staff:wang", "kind": kind, "day": "", "number": number,
            "window": window, "matter": "enroll", "data": {}}  # fmt: skip


@pytest.fixture
def callout_env(config: Config, tmp_path: Path) -> Iterator[tuple[CallOut, BoardEmulator]]:
    cfg = hall(config, tmp_path)
    emulator = BoardEmulator(cfg.path(cfg.boards.port)).start()
    callout = CallOut.from_config(cfg).start()
    yield callout, emulator
    callout.stop()
    emulator.stop()


def test_call_shows_on_the_window_board_and_the_main_board(callout_env) -> None:
    callout, emulator = callout_env
    # the main board's idle text (config.toml) has a 间隔号 ·: GB2312 A1A4 on the wire, · read back
    assert emulator.wait_for(lambda t: t.get(3) == "欢迎光临" and t.get(100) == "示范区·社保大厅")
    callout.handle(ev(1, "step.called", "A012", 3))
    assert emulator.wait_for(lambda t: t.get(3) == "A012 请到3号窗口" and t.get(100) == "A012→3号")
    assert emulator.texts()[1] == "欢迎光临"  # the other windows keep their idle text
    callout.handle(ev(2, "window.paused", None, 5))
    assert emulator.wait_for(lambda t: t.get(5) == "暂停服务")
    health = callout.health()
    assert health["boards"]["connected"] is True
    assert health["voice"]["engine"] == "silent"


def test_real_queue_service_events_drive_the_boards(config: Config, tmp_path: Path, clock) -> None:
    cfg = hall(config, tmp_path)
    service = QueueService.open(cfg, db_path=tmp_path / "hall.db", clock=clock)
    emulator = BoardEmulator(cfg.path(cfg.boards.port)).start()
    callout = CallOut.from_config(cfg).start()
    try:
        service.issue(["enroll"], idempotency_key="k1", actor="kiosk:kiosk-1")
        ticket = service.call_next(3, "staff:wang")
        service.pause(4, "staff:li")
        for event in service.events_since(0):
            callout.handle(event.to_dict())
        expected = f"{ticket.number} 请到3号窗口"
        assert emulator.wait_for(
            lambda t: t.get(3) == expected and t.get(100) == f"{ticket.number}→3号" and t.get(4) == "暂停服务"
        )
        # the hall replays its backlog after a restart: nothing changes, nothing is announced again
        updates = emulator.boards()[3].updates
        for event in service.events_since(0):
            callout.handle(event.to_dict())
        assert callout.bus is not None and callout.bus.wait_settled()
        assert emulator.boards()[3].updates == updates
    finally:
        callout.stop()
        emulator.stop()
        service.close()


class EmulatorProcess:
    """`onevisit board-emulator` as a separate process; its live output is read line by line."""

    def __init__(self, link: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "onevisit.commands.main", "board-emulator", "--link", str(link), *extra],
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_lines(self, wanted: set[str], timeout: float = 15.0) -> set[str]:
        seen: set[str] = set()
        with contextlib.suppress(queue.Empty):
            while not wanted <= seen:
                seen.add(self.lines.get(timeout=timeout))
        return seen & wanted

    def kill(self, sig: int) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["terminated", "killed"])
def test_emulator_killed_and_restarted_gets_the_current_state_without_a_new_call(
    config: Config, tmp_path: Path, sig: int
) -> None:
    cfg = hall(config, tmp_path)
    link = cfg.path(cfg.boards.port)
    first = EmulatorProcess(link)
    callout = CallOut.from_config(cfg).start()
    second = None
    try:
        callout.handle(ev(1, "step.called", "A012", 3))
        callout.handle(ev(2, "window.paused", None, 5))
        wanted = {"board 003: A012 请到3号窗口", "board 100: A012→3号", "board 005: 暂停服务"}
        assert first.wait_lines(wanted) == wanted
        first.kill(sig)
        second = EmulatorProcess(link)
        assert second.wait_lines(wanted) == wanted  # resent by the bus on its own
    finally:
        callout.stop()
        for proc in (first, second):
            if proc and proc.proc.poll() is None:
                proc.kill(signal.SIGTERM)


def test_call_is_announced_once_as_a_wav(config: Config, tmp_path: Path) -> None:
    cfg = hall(config, tmp_path, engine="espeak", out_dir="voice", realtime=False, repeat=1)
    emulator = BoardEmulator(cfg.path(cfg.boards.port)).start()
    callout = CallOut.from_config(cfg).start()
    try:
        callout.handle(ev(1, "step.called", "A012", 3))
        callout.handle(ev(1, "step.called", "A012", 3))  # replay: not announced twice
        callout.handle(ev(2, "window.paused", None, 5))  # not announced
        assert callout.announcer is not None and callout.announcer.wait_done(1, timeout=30)
        files = sorted((tmp_path / "voice").glob("*.wav"))
        assert [f.name for f in files] == ["0001-A012-w3.wav"]
        assert callout.announcer.history[0].text == "请 A 零 一 二 号 到 3 号窗口"
    finally:
        callout.stop()
        emulator.stop()
