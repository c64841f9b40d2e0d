"""Hall-day simulator benchmark and call-policy comparison.

    uv run python bench/bench_simulate.py [--visits 4000] [--windows 6] [--seed 1]

Runs the same simulated day (same arrivals, same seed) once per interleave rule (1, 3, ∞) and once
per transfer placement (original, front, end) through the real queue code, and prints each run's
waits and its wall time. Service times are scaled (auto) so the day's window work fits the staffed
windows' opening hours at 70 % load: the morning peak still builds real queues.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
from dataclasses import replace
from pathlib import Path

from onevisit.core.config import load_config
from onevisit.sim.hallday import simulate as sim
from onevisit.sim.hallday.simulation import DayPlan

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=4000)
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--selfservice", type=float, default=0.3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {mp.cpu_count()} cores, Python {platform.python_version()}")
    config = load_config(REPO / "config.toml")
    plan = DayPlan(
        visits=args.visits,
        seed=args.seed,
        windows=args.windows,
        selfservice_rate=args.selfservice,
        durable=False,
    )
    plan = replace(plan, service_scale=sim.auto_scale(config, plan))
    print(
        f"{args.visits} arrivals, {args.windows} windows, {args.selfservice:.0%} self-service, "
        f"service times × {plan.service_scale} (real times would need {sim.windows_needed(config, plan)} windows)"
    )
    for axis in ("interleave", "placement"):
        outcomes = sim.compare(config, plan, axis)
        print(sim.describe_comparison(axis, outcomes))
        for o in outcomes:
            events = sum(1 for _ in o.figures.steps)
            print(
                f"  {o.label}: {o.result.issued} tickets, {events} steps, {o.result.recalls} recalls, "
                f"{o.result.skipped} no-shows, {o.result.transfers} transfers in {o.seconds:.1f} s"
            )


if __name__ == "__main__":
    main()
