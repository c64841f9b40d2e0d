"""`onevisit plan`: how many windows to open in each hour so the p90 wait stays under a limit.

The search runs the day simulator (onevisit/sim/hallday/plan.py). Exit status: 0 with a plan, 1 when
no plan within the allowed windows meets the limit, 2 for bad input (no such day, bad numbers).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from onevisit.core.typed import parse_date_text

EXIT_INFEASIBLE = 1


def _date(value: str) -> str:
    try:
        return parse_date_text(value).isoformat()  # 2026/11/23, 2026年11月23日, full-width digits
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-23, got {value!r}") from None


def cmd_plan(args: argparse.Namespace) -> int:
    from onevisit.commands.main import EXIT_ERROR, load
    from onevisit.sim.hallday import plan_report
    from onevisit.sim.hallday.plan import (
        Infeasible,
        PlanError,
        Planner,
        demand_from_config,
        demand_from_day,
        plan_staffing,
    )

    config = load(args)
    if args.visits < 1:
        print(f"error: --visits must be at least 1, got {args.visits}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.from_day:
            db = str(args.db) if args.db else config.database_target
            demand = demand_from_day(db, args.from_day, args.visits, hall_code=config.hall.code)
            day = dt.date.fromisoformat(args.from_day)
        else:
            demand = demand_from_config(config, args.visits)
            day = None
        planner = Planner(
            config,
            demand,
            seed=args.seed,
            service_scale=args.service_scale,
            max_windows=args.max_windows,
            day=day,
        )
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        plan = plan_staffing(planner, args.max_wait_p90)
    except Infeasible as exc:
        print(f"no plan: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        planner.close()
    print(plan_report.text(plan))
    if args.out:
        files = plan_report.write(plan, Path(args.out), config.hall.name)
        print(f"written: {files.html} ({files.chart.name}, {files.json.name})")
    if args.json:
        print(json.dumps(plan_report.finite(plan.to_dict()), ensure_ascii=False, indent=2))
    return 0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "plan",
        parents=[common],
        help="staffing: the fewest windows per hour that keep the p90 wait under a limit",
    )
    p.add_argument("--visits", type=int, required=True, help="window visits (tickets) to plan for")
    p.add_argument(
        "--from-day",
        type=_date,
        metavar="DATE",
        help="take the hourly profile and matter mix from this day in the hall database "
        "(default: the built-in hall profile and the configured matters)",
    )
    p.add_argument("--max-wait-p90", type=float, required=True, metavar="MIN", help="p90 wait limit, minutes")
    p.add_argument("--seed", type=int, default=1, help="random seed of the simulated days (default 1)")
    p.add_argument(
        "--max-windows",
        type=int,
        help="most windows open at once (default: the configured windows; more adds comprehensive ones)",
    )
    p.add_argument(
        "--service-scale", type=float, default=1.0, help="multiply the matters' service times (default 1)"
    )
    p.add_argument("--out", metavar="DIR", help="write plan.html, plan.png and plan.json here")
    p.add_argument("--json", action="store_true", help="also print the plan as JSON")
    p.set_defaults(handler=cmd_plan)
