"""`onevisit plan` end to end: a real (simulated) day in a temporary hall database, the plan printed
and written, and what it says when it cannot plan."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from onevisit.core.config import load_config
from onevisit.sim.hallday.simulate import run
from onevisit.sim.hallday.simulation import DayPlan
from tests.conftest import REPO

DAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def hall_db(tmp_path_factory) -> Path:
    """A hall database holding one day: 90 tickets between 09:00 and 11:00."""
    plan = DayPlan(
        visits=90,
        seed=4,
        open_at=dt.time(9, 0),
        last_arrival=dt.time(11, 0),
        service_scale=0.3,
        durable=False,
    )
    return run(load_config(REPO / "config.toml"), plan, tmp_path_factory.mktemp("hall"), DAY).db


def onevisit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "plan",
            "--config",
            str(REPO / "config.toml"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_plan_from_a_day_in_the_hall_database(hall_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    p = onevisit(
        "--db", str(hall_db), "--from-day", "2026-11-23", "--visits", "90", "--max-wait-p90", "8",
        "--service-scale", "0.3", "--seed", "2", "--out", str(out), "--json",
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    text, _, raw = p.stdout.partition("\n{")
    plan = json.loads("{" + raw)
    assert plan["source"] == "hall.db 2026-11-23" and plan["visits"] == 90
    assert set(plan["schedule"]) == {"9", "10"}  # the day's tickets came between 09:00 and 11:00
    assert plan["window_hours"] == sum(plan["schedule"].values()) < plan["all_open_window_hours"]
    for row in plan["hours"]:
        assert row["wait_p90_min"] is None or row["wait_p90_min"] <= 8
    assert "09:00" in text and "10:00" in text and "window-hours" in text
    for name in ("plan.html", "plan.png", "plan.json"):
        assert (out / name).stat().st_size > 0
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "排班建议" in page and 'src="plan.png"' in page
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["schedule"] == plan["schedule"]


def test_a_day_with_no_tickets_is_refused(hall_db: Path) -> None:
    p = onevisit("--db", str(hall_db), "--from-day", "2026-11-24", "--visits", "90", "--max-wait-p90", "8")
    assert p.returncode == 2
    assert "no tickets on 2026-11-24" in p.stderr and "Traceback" not in p.stderr


def test_an_impossible_limit_says_so_and_fails(hall_db: Path) -> None:
    p = onevisit("--db", str(hall_db), "--from-day", "2026-11-23", "--visits", "600", "--max-wait-p90", "1")
    assert p.returncode == 1
    assert "out of reach: with all 6 windows open all day" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--visits", "0", "--max-wait-p90", "10"], "--visits must be at least 1"),
        (["--visits", "50", "--max-wait-p90", "-3"], "positive number of minutes"),
        (["--visits", "50", "--max-wait-p90", "10", "--from-day", "yesterday"], "expected a date like"),
        (
            ["--visits", "50", "--max-wait-p90", "10", "--max-windows", "0"],
            "--max-windows must be at least 1",
        ),
    ],
)
def test_bad_numbers_get_a_clear_error(args: list[str], message: str) -> None:
    p = onevisit(*args)
    assert p.returncode == 2
    assert message in p.stderr and "Traceback" not in p.stderr
