"""`onevisit backup`: an online copy of the hall database while the server runs."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "backup", parents=[common], help="copy the hall database while the server runs (SQLite backup API)"
    )
    p.add_argument(
        "target",
        nargs="?",
        help="file to write (default: backups/<db>-YYYYmmdd-HHMMSS.db beside the database)",
    )
    p.set_defaults(handler=_backup)


def _backup(args: argparse.Namespace) -> int:
    import datetime as dt

    from onevisit.commands.main import load, print_json
    from onevisit.db.backup import default_target, online_backup

    config = load(args)
    source = Path(args.db) if args.db else config.path(config.hall.database)
    target = Path(args.target) if args.target else default_target(source, dt.datetime.now())
    print_json(online_backup(source, target).to_dict())
    return 0
