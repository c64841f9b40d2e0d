"""Records fixtures: a config whose var/ lives in a temp folder, seeded with the demo citizens."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onevisit.core.config import load_config
from onevisit.sim.records.demo_backend import DemoBackend, open_backend, seed_demo

REPO = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 12, tzinfo=TZ)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory) -> Path:
    """One seeded records database per test module, copied for each test (seeding takes ~0.3 s)."""
    folder = tmp_path_factory.mktemp("records-template")
    seed_demo(folder / "records.db", NOW.date(), people=5, seed=7)
    return folder / "records.db"


@pytest.fixture
def records_config(tmp_path: Path, seeded_template: Path):
    """The repo's config.toml copied into tmp_path, so var/ (records, register, keys) is private."""
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    (tmp_path / "var").mkdir()
    shutil.copy(seeded_template, tmp_path / "var" / "records.db")
    return load_config(tmp_path / "config.toml")


@pytest.fixture
def backend(records_config) -> DemoBackend:
    return open_backend(records_config)


@pytest.fixture
def shared_faces() -> Path:
    """The workplace's face photos: ../shared/faces from the repo or from a parent of a worktree."""
    for folder in REPO.parents:
        if (folder / "shared" / "faces").is_dir():
            return folder / "shared" / "faces"
    pytest.skip("face photos not available: no shared/faces beside the repository")
