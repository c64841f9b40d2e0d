"""Board fixtures: an emulator on a real pseudo-terminal, and a bus connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.codec import codec_for
from onevisit.sim.boards.emulator import BoardEmulator

HALL_BOARDS = {
    1: "window 1",
    2: "window 2",
    3: "window 3",
    4: "window 4",
    5: "window 5",
    6: "window 6",
    100: "main",
}


@pytest.fixture
def link(tmp_path: Path) -> Path:
    return tmp_path / "board-link"


@pytest.fixture
def emulator(link: Path) -> Iterator[BoardEmulator]:
    emu = BoardEmulator(link, "default", seed=7).start()
    yield emu
    emu.stop()


def _make_bus(link: Path, codec: str = "default", **kwargs: object) -> BoardBus:
    options: dict = {"timeout": 0.1, "retries": 2, "probe_seconds": 0.3, "keepalive_seconds": 30.0}
    options.update(kwargs)
    boards = options.pop("boards", HALL_BOARDS)
    return BoardBus(str(link), codec_for(codec), boards, **options)


@pytest.fixture
def make_bus():
    """A bus factory with test timings (short timeout and probe, no keepalive during a test)."""
    return _make_bus


@pytest.fixture
def bus(link: Path, emulator: BoardEmulator) -> Iterator[BoardBus]:
    b = _make_bus(link).start()
    yield b
    b.stop()
