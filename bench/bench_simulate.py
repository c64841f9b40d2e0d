"""Hall-day simulator benchmark: day time (median of several runs), call-policy comparison, and one
full staffing plan.

    uv run python bench/bench_simulate.py [--visits 4000] [--windows 6] [--seed 1] [--days 5]
    uv run python bench/bench_simulate.py --compare          # the interleave / placement tables
    uv run python bench/bench_simulate.py --plan [--plan-limit 15] [--plan-scale 0.04]

Day time: the same simulated day (same arrivals, same seed) `--days` times through the real queue
code; prints each day's simulation time (`simulate_day`, what `onevisit simulate` reports as
"simulated in") and the CPU time of the whole run including the figures, then the medians. CPU time
is printed beside wall time because the benchmark machine is shared: wall time moves with the other
jobs' load, CPU time much less. Runs against whatever `onevisit` is importable, so
`PYTHONPATH=/path/to/old/tree python bench/bench_simulate.py` measures an older tree the same way.

Service times are scaled (auto) so the day's window work fits the staffed windows' opening hours at
70 % load: the morning peak still builds real queues.

`--plan`: one `onevisit plan` search for a `--visits` day from the built-in hall profile over the
configured windows, service times × `--plan-scale`, p90 ≤ `--plan-limit` min in every hour: prints
its time, the number of days simulated and the schedule.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from onevisit.core.config import load_config
from onevisit.sim.hallday import simulate as sim
from onevisit.sim.hallday.simulation import DayPlan

REPO = Path(__file__).resolve().parent.parent


def days(config, plan: DayPlan, n: int) -> None:
    sims, cpus, walls = [], [], []
    for i in range(n):
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
            c0, w0 = time.process_time(), time.perf_counter()
            outcome = sim.run(config, plan, Path(tmp))
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        sims.append(outcome.seconds)
        cpus.append(cpu)
        walls.append(wall)
        r = outcome.result
        print(
            f"  day {i + 1}: simulated in {outcome.seconds:6.2f} s; run with figures {wall:6.2f} s wall, "
            f"{cpu:6.2f} s CPU; {r.issued} tickets, {r.finished_steps} steps; load average {load:.1f}",
            flush=True,
        )
    print(
        f"median of {n}: simulated in {statistics.median(sims):.2f} s; run with figures "
        f"{statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU"
    )


def staffing(config, visits: int, limit: float, scale: float, seed: int) -> None:
    from onevisit.sim.hallday.plan import Planner, demand_from_config, plan_staffing
    from onevisit.sim.hallday.plan_report import text

    load = os.getloadavg()[0]
    c0, w0 = time.process_time(), time.perf_counter()
    planner = Planner(config, demand_from_config(config, visits), seed=seed, service_scale=scale)
    try:
        plan = plan_staffing(planner, limit)
    finally:
        planner.close()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(text(plan))
    print(
        f"plan: {wall:.1f} s wall, {cpu:.1f} s CPU, {plan.simulations} days simulated "
        f"({wall / plan.simulations:.2f} s a day); load average {load:.1f} at the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=4000)
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--selfservice", type=float, default=0.3)
    parser.add_argument("--days", type=int, default=5, help="simulate the day this many times (median)")
    parser.add_argument("--compare", action="store_true", help="also compare interleave and placement")
    parser.add_argument("--plan", action="store_true", help="time one staffing plan instead")
    parser.add_argument("--plan-limit", type=float, default=15.0)
    parser.add_argument("--plan-scale", type=float, default=0.04)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {mp.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )
    config = load_config(REPO / "config.toml")
    if args.plan:
        staffing(config, args.visits, args.plan_limit, args.plan_scale, args.seed)
        return
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
    days(config, plan, args.days)
    if not args.compare:
        return
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
