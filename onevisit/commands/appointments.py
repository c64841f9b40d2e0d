"""`onevisit appointments`: book, list, cancel and import 预约 from the hall machine.

The commands open the hall database directly (as `onevisit users` does) and hash ID numbers with
the queue's key, so a booking made here is found by the kiosk's check-in.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from onevisit.core.clock import SystemClock
from onevisit.core.typed import parse_date_text

ACTOR = "cli"


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    appts = subparsers.add_parser("appointments", parents=[common], help="预约: book, list, cancel, import")
    sub = appts.add_subparsers(dest="appointments_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", parents=[common], help="book a slot for a citizen")
    add.add_argument("--id", required=True, dest="id_number", help="18-character ID number")
    add.add_argument("--matters", required=True, help="matter codes, comma-separated: enroll,benefit")
    add.add_argument("--slot", required=True, help="2026-11-23T10:30 (the hall's local time)")
    add.set_defaults(handler=_add)

    listing = sub.add_parser("list", parents=[common], help="a day's bookings (masked IDs)")
    listing.add_argument("--day", help="YYYY-MM-DD (default: today)")
    listing.set_defaults(handler=_list)

    cancel = sub.add_parser("cancel", parents=[common], help="cancel a booking not yet checked in")
    cancel.add_argument("appointment_id", type=int, metavar="ID")
    cancel.set_defaults(handler=_cancel)

    imp = sub.add_parser(
        "import",
        parents=[common],
        help="import a list (id_number,matters,slot) as CSV (UTF-8, GB18030, UTF-16) or .xlsx; all rows or none",
    )
    imp.add_argument("file", type=Path, metavar="FILE.csv|FILE.xlsx")
    imp.set_defaults(handler=_import)


def _store(args: argparse.Namespace):
    from onevisit.commands.main import load
    from onevisit.core.secrets import load_or_create_key
    from onevisit.db import open_database
    from onevisit.hall.stores.appointments import AppointmentStore

    config = load(args)
    target = str(args.db) if getattr(args, "db", None) else config.database_target
    key = load_or_create_key(config.path(config.security.secrets_dir), "id-hash.key")
    db = open_database(target, hall_code=config.hall.code)
    return AppointmentStore(db, config, SystemClock(config.hall.timezone), key)


def _add(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json
    from onevisit.hall.stores.appointments import parse_slot, split_matters

    store = _store(args)
    appt = store.book(args.id_number, split_matters(args.matters), parse_slot(args.slot), ACTOR)
    print_json(appt.to_dict())
    return 0


def _list(args: argparse.Namespace) -> int:
    from onevisit.commands.main import EXIT_ERROR, print_json

    day = args.day
    if day is not None:
        try:
            day = parse_date_text(day).isoformat()
        except ValueError:
            print(f"--day: expected YYYY-MM-DD, got {args.day!r} / 日期格式应为 YYYY-MM-DD", file=sys.stderr)
            return EXIT_ERROR
    print_json([a.to_dict() for a in _store(args).day(day)])
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    print_json(_store(args).cancel(args.appointment_id, ACTOR).to_dict())
    return 0


def _import(args: argparse.Namespace) -> int:
    from onevisit.commands.main import EXIT_ERROR, print_json
    from onevisit.hall.stores.appointments import ImportRefused

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"{args.file}: cannot read ({exc.strerror or exc}) / 无法读取文件", file=sys.stderr)
        return EXIT_ERROR
    try:
        booked = _store(args).import_file(data, f"{ACTOR}:import", filename=args.file.name)
    except ImportRefused as exc:
        print(f"{args.file}: {exc.zh} / {exc.en}", file=sys.stderr)
        for problem in exc.details.get("problems", []):
            message = f"{problem.get('message_zh', '')} / {problem.get('message_en', '')}".strip(" /")
            print(f"  line {problem['line']}: {message or problem['code']}", file=sys.stderr)
        return EXIT_ERROR
    print_json({"imported": len(booked), "appointments": [a.to_dict() for a in booked]})
    return 0
