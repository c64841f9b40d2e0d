"""`onevisit backup`: an online copy of the hall database while the server runs; `onevisit backup
restore FILE`: put one back (the hall server stopped).

SQLite: the backup API (a .db file). PostgreSQL: pg_dump of the hall's schema (a .dump file). See
onevisit/db/backup.py and docs/database.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "backup",
        parents=[common],
        help="copy the hall database while the server runs (SQLite backup API, pg_dump on PostgreSQL)",
        description="onevisit backup [TARGET]: a consistent copy of the hall database. "
        "onevisit backup restore FILE [--replace]: put a backup back as the hall database "
        "(stop the hall server first; the restored hall starts a new epoch of event ids).",
    )
    p.add_argument(
        "target",
        nargs="?",
        help="file or existing folder to write to (default: backups/<db>-YYYYmmdd-HHMMSS.db beside the "
        "database; on PostgreSQL backups/hall_<code>-YYYYmmdd-HHMMSS.dump beside config.toml; a folder "
        "gets that name inside it); or `restore`",
    )
    p.add_argument("file", nargs="?", help="with `restore`: the backup file (.db or .dump)")
    p.add_argument("--hall", metavar="CODE", help="hall code: its schema on PostgreSQL ([hall] code)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="with `restore`: replace a hall that has data (the current one is kept aside, not dropped)",
    )
    p.set_defaults(handler=_backup)


def _backup(args: argparse.Namespace) -> int:
    import datetime as dt

    from onevisit.commands.main import EXIT_ERROR, load, print_json
    from onevisit.db import is_postgres
    from onevisit.db.backup import default_pg_target, default_target, online_backup, pg_backup, restore

    config = load(args)  # honours --db
    source = config.database_target
    code = args.hall or config.hall.code
    if args.target == "restore":
        if not args.file:
            print("usage: onevisit backup restore FILE [--db PATH|URL] [--hall CODE] [--replace]")
            return EXIT_ERROR
        print_json(restore(args.file, source, hall_code=code, replace=args.replace).to_dict())
        return 0
    if args.file:
        print(f"unexpected argument {args.file!r}: `onevisit backup [TARGET]`")
        return EXIT_ERROR
    now = dt.datetime.now()
    if is_postgres(source):
        default = default_pg_target(config.base_dir, code, now)
    else:
        default = default_target(Path(source), now)
    target = Path(args.target) if args.target else default
    if target.is_dir():
        # `onevisit backup /media/usb`: the default name inside that folder, not a rename of a
        # file over the folder (which failed with a traceback and left a .partial beside it)
        target = target / default.name
    if is_postgres(source):
        print_json(pg_backup(source, code, target).to_dict())
    else:
        print_json(online_backup(source, target).to_dict())
    return 0
