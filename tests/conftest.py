"""Shared fixtures: the demo config, a fresh hall database, an injected clock."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config

REPO = Path(__file__).resolve().parent.parent


def _find_shared_faces() -> Path:
    """../shared/faces beside the repo (CI, a clone); from a git worktree deeper down, the nearest one up."""
    for parent in REPO.parents:
        candidate = parent / "shared" / "faces"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "faces"


SHARED_FACES = _find_shared_faces()
TZ = ZoneInfo("Asia/Shanghai")

# Kivy reads these at import; tests never open a real window or write to the user's ~/.kivy.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")


@pytest.fixture
def config(tmp_path):
    """The demo config with a hall code of the test's own (halls sharing the test PostgreSQL never
    meet: each code is a schema) and its relative paths (var/: secrets, databases, voice clips,
    logs) under the test's own folder, never in the checkout."""
    config = load_config(REPO / "config.toml")
    code = "T" + secrets.token_hex(6)
    hall = config.hall.model_copy(update={"code": code})
    return config.model_copy(update={"hall": hall, "base_dir": tmp_path / "hall"})


@pytest.fixture
def clock():
    """09:00 on a Monday in the hall's time zone, moved only by the test."""
    return FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ))


@pytest.fixture
def faces_dir() -> Path:
    if not SHARED_FACES.is_dir():
        pytest.skip(f"face photos not available: {SHARED_FACES} is absent (see shared/faces/README.md)")
    return SHARED_FACES


@pytest.fixture(scope="session")
def screens_dir(tmp_path_factory) -> Path:
    """Where browser and kiosk tests save screenshots for a person to look at: $ONEVISIT_SCREENS when
    set (outside the checkout), else a temporary folder. Tests never write into the checkout."""
    chosen = os.environ.get("ONEVISIT_SCREENS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screens")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def private_cups(tmp_path):
    """A real cupsd of the test's own (temp dir, free port) with a cups-pdf queue writing into
    tmp_path/printed and a fault queue. Where CUPS cannot start (not root, packages missing) the
    test is skipped on a workstation but FAILS under CI (CI=true or ONEVISIT_REQUIRE_CUPS=1):
    scripts/setup.sh installs cups, cups-client and printer-driver-cups-pdf."""
    from onevisit.sim.cups import PrivateCups, PrivateCupsError

    cups = PrivateCups(output_dir=tmp_path / "printed", fault_queue="onevisit-fault")
    try:
        cups.start()
    except PrivateCupsError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("ONEVISIT_REQUIRE_CUPS"):
            pytest.fail(f"CUPS must run in CI: {exc}")
        pytest.skip(f"no private CUPS on this machine: {exc}")
    yield cups
    cups.stop()


# -- databases: SQLite files and a private PostgreSQL ------------------------------------------------
#: Mark a test module to run on both engines: `pytestmark = both_engines`.
both_engines = pytest.mark.parametrize("db_engine", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL server for the whole session (Debian's `postgresql`, run as the
    `postgres` user in a temp dir on a free port: initdb refuses root). Started on first use; if it
    cannot start the test FAILS (scripts/setup.sh installs it): never a silent skip."""
    from onevisit.sim.postgres import start_postgres

    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def db_engine(request) -> str:
    """ "sqlite" unless the test is parametrised with `both_engines`."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def db_target(db_engine, tmp_path, request) -> str:
    """Where the test's hall database lives: a file under tmp_path, or the shared PostgreSQL
    database (each test's hall has its own code, hence its own schema: see `config`)."""
    if db_engine == "sqlite":
        return str(tmp_path / "hall.db")
    return request.getfixturevalue("postgres").url
