from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from onevisit.core.config import Config
from onevisit.sim.hallday.simulate import run
from onevisit.sim.hallday.simulation import DayPlan, DayResult

DAY = dt.date(2026, 11, 23)


@dataclass
class SimulatedDay:
    config: Config
    db: Path
    result: DayResult
    day: str = DAY.isoformat()


def run_day(config: Config, folder: Path, **plan: object) -> SimulatedDay:
    """A simulated day through the real queue, its kiosk self-service log and (with the hall
    installed) its ratings, in `folder`."""
    settings = {"visits": 220, "seed": 7, "service_scale": 0.4, "durable": False, "selfservice_rate": 0.25}
    settings.update(plan)
    outcome = run(config, DayPlan(**settings), folder, DAY)  # type: ignore[arg-type]
    return SimulatedDay(config.model_copy(update={"base_dir": folder}), outcome.db, outcome.result)


@pytest.fixture(scope="module")
def simulated_day(tmp_path_factory) -> SimulatedDay:
    """One small busy day (220 arrivals, service times × 0.4 so queues build), shared by a module."""
    from onevisit.core.config import load_config
    from tests.conftest import REPO

    return run_day(load_config(REPO / "config.toml"), tmp_path_factory.mktemp("day"))
