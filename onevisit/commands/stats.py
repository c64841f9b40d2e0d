"""`onevisit report`: a day's figures as HTML, CSV and XLSX."""

from __future__ import annotations

import argparse
import json
import sys

from onevisit.core.typed import parse_date_text


def _date(value: str) -> str:
    try:
        return parse_date_text(value).isoformat()  # 2026/11/23, 2026年11月23日, full-width digits
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-23, got {value!r}") from None


def cmd_report(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load
    from onevisit.stats.report import write_report
    from onevisit.stats.rows import NoSuchDatabase, days_in, name_of

    config = load(args)
    db = str(args.db) if args.db else config.database_target  # a file or a postgresql:// URL
    try:
        available = days_in(db, hall_code=config.hall.code)
    except NoSuchDatabase as exc:
        print(f"error: {exc} (give --db PATH)", file=sys.stderr)
        return 2
    if args.date not in available:
        shown = ", ".join(available[:10]) or "none"
        print(f"error: no events on {args.date} in {name_of(db)}; days with events: {shown}", file=sys.stderr)
        return 2
    files = write_report(config, db, args.date, args.out)
    hall = files.figures.hall
    print(
        json.dumps(
            {
                "day": args.date,
                "html": str(files.html),
                "csv": str(files.csv),
                "xlsx": str(files.xlsx),
                "json": str(files.json),
                "charts": {k: str(v) for k, v in files.charts.items()},
                "visits": hall.visits,
                "served": hall.served,
                "wait_p50_min": hall.wait_p50,
                "wait_p90_min": hall.wait_p90,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "report", parents=[common], help="a day's statistics: HTML with charts, CSV of every step, XLSX"
    )
    p.add_argument("--date", required=True, type=_date, help="the day, YYYY-MM-DD (hall time zone)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report files")
    p.set_defaults(handler=cmd_report)
