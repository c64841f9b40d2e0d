"""`onevisit simulate`: a whole hall day through the real queue rules (onevisit/sim/hallday/)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path


def cmd_simulate(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load
    from onevisit.sim.hallday import simulate as sim
    from onevisit.sim.hallday.simulation import DayPlan

    config = load(args)
    if args.visits < 1:  # said as `plan` says it (a negative count used to blame --service-scale)
        print(f"error: --visits must be at least 1, got {args.visits}", file=sys.stderr)
        return 2
    try:
        policy = sim.parse_policy(args.policy or [])
    except sim.PolicyError as exc:
        print(f"error: --policy: {exc}", file=sys.stderr)
        return 2
    plan = DayPlan(
        visits=args.visits,
        seed=args.seed,
        windows=args.windows,
        selfservice_rate=args.selfservice,
        durable=False,
        **policy,
    )
    try:
        scale = sim.auto_scale(config, plan) if args.service_scale == "auto" else float(args.service_scale)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not 0 < scale <= 10:
        print("error: --service-scale must be in (0, 10] or auto", file=sys.stderr)
        return 2
    plan = replace(plan, service_scale=scale)
    print(
        f"{args.visits} arrivals, {args.windows or len(config.windows)} windows, seed {args.seed}, "
        f"{args.selfservice:.0%} self-service at the kiosk; service times × {scale:g}"
        + (
            f" (at real service times this day needs about {sim.windows_needed(config, plan)} windows)"
            if scale < 1
            else ""
        )
    )
    if args.compare:
        outcomes = sim.compare(config, plan, args.compare)
        print(sim.describe_comparison(args.compare, outcomes))
        if args.json:
            print(json.dumps([o.summary() for o in outcomes], ensure_ascii=False, indent=2))
        return 0
    keep = Path(args.keep) if args.keep else None
    with tempfile.TemporaryDirectory(prefix="onevisit-sim-") as tmp:
        folder = keep or Path(tmp)
        try:
            outcome = sim.run(config, plan, folder)
        except ValueError as exc:  # e.g. --windows 1 on a hall whose first window serves few matters
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(sim.describe(outcome))
        if args.json:
            print(json.dumps(outcome.figures.to_dict(), ensure_ascii=False, indent=2))
        if keep:
            print(
                f"database kept at {outcome.db}; `onevisit report --db {outcome.db} --date "
                f"{outcome.figures.day} --out DIR` renders its report"
            )
    return 0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "simulate", parents=[common], help="a whole hall day through the real queue; figures and policies"
    )
    p.add_argument("--visits", type=int, default=4000, help="citizens arriving over the day (default 4000)")
    p.add_argument(
        "--windows",
        type=int,
        help="staffed windows: N ≤ configured takes the first N; more adds comprehensive windows",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--policy",
        action="append",
        metavar="K=V",
        help="interleave=1|3|inf and/or placement=original|front|end (repeatable or comma-separated)",
    )
    p.add_argument(
        "--compare", choices=["interleave", "placement"], help="run the day once per value of this policy"
    )
    p.add_argument(
        "--service-scale",
        default="auto",
        help="multiply service times by this; auto fits the day into the windows' opening hours",
    )
    p.add_argument(
        "--selfservice", type=float, default=0.3, help="share of visits that end at the kiosk (default 0.3)"
    )
    p.add_argument("--keep", metavar="DIR", help="keep the simulated hall database in this folder")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    p.set_defaults(handler=cmd_simulate)
