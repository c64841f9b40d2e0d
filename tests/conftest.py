"""Shared fixtures: the demo config, a fresh hall database, an injected clock."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onevisit.clock import FixedClock
from onevisit.config import load_config

REPO = Path(__file__).resolve().parent.parent
# ../shared/faces next to the checkout; a git worktree one level deeper finds it further up.
SHARED_FACES = next(
    (p / "shared" / "faces" for p in REPO.parents if (p / "shared" / "faces").is_dir()),
    REPO.parent / "shared" / "faces",
)
TZ = ZoneInfo("Asia/Shanghai")

# Kivy reads these at import; tests never open a real window or write to the user's ~/.kivy.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


@pytest.fixture
def config():
    return load_config(REPO / "config.toml")


@pytest.fixture
def clock():
    """09:00 on a Monday in the hall's time zone, moved only by the test."""
    return FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ))


@pytest.fixture
def faces_dir() -> Path:
    if not SHARED_FACES.is_dir():
        pytest.skip(f"face photos not available: {SHARED_FACES} is absent (see shared/faces/README.md)")
    return SHARED_FACES
