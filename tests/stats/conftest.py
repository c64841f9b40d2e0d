from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from onevisit.config import Config
from onevisit.queue.simulation import DayPlan, DayResult, simulate_day
from onevisit.stats.selfservice import SelfServiceLog

DAY = dt.date(2026, 11, 23)


@dataclass
class SimulatedDay:
    config: Config
    db: Path
    result: DayResult
    day: str = DAY.isoformat()


def run_day(config: Config, folder: Path, **plan: object) -> SimulatedDay:
    config = config.model_copy(update={"base_dir": folder})
    db = folder / "hall.db"
    log = SelfServiceLog(db, durable=False)
    settings = {"visits": 220, "seed": 7, "service_scale": 0.4, "durable": False, "selfservice_rate": 0.25}
    settings.update(plan)
    result = simulate_day(
        config,
        db,
        DayPlan(**settings),  # type: ignore[arg-type]
        DAY,
        on_selfservice=lambda kind, at, data: log.record(kind, "kiosk:sim", at, data),
    )
    log.close()
    result.service.close()
    return SimulatedDay(config, db, result)


@pytest.fixture(scope="module")
def simulated_day(tmp_path_factory) -> SimulatedDay:
    """One small busy day (220 arrivals, service times × 0.4 so queues build), shared by a module."""
    from onevisit.config import load_config
    from tests.conftest import REPO

    return run_day(load_config(REPO / "config.toml"), tmp_path_factory.mktemp("day"))
