"""`onevisit db upgrade` and `onevisit db status`: the schema version of the hall's databases.

The hall server refuses to start on a database whose schema is older or newer than its code
(onevisit/db/migrate.py, `SchemaOutOfDate`). After installing a new OneVisit a technician backs the
database up (`onevisit backup`) and runs `onevisit db upgrade`; `onevisit db status` says whether
that is needed (exit 0: up to date, 1: an upgrade is needed, 2: made by a newer OneVisit or
unreachable).

Which databases: `--db` (the hall database), `--register` (the certificates register) and/or
`--region` (the city region's) when given; otherwise those config names (`[hall] database`,
`[records] certificates_db`, and `[region] database` where set). Each is a file
path (SQLite) or a `postgresql://` URL; on PostgreSQL `--hall` picks the hall's schema (default
`[hall] code`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: exit status of `db status` when the schema is older than the code (an upgrade is needed)
EXIT_UPGRADE_NEEDED = 1

BACKUP_REMINDER = (
    "Back the database up first (onevisit backup): an upgrade changes it in place and there is no "
    "downgrade. 升级前请先备份数据库。"
)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "db", parents=[common], help="the databases' schema: status and upgrade (migrations)"
    )
    sub = group.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    targets = argparse.ArgumentParser(add_help=False)
    targets.add_argument(
        "--register",
        metavar="PATH|URL",
        help="the certificates register (default with no --db: [records] certificates_db)",
    )
    targets.add_argument(
        "--region",
        metavar="URL",
        help="the city region's database (default with no --db: [region] database, when set)",
    )
    targets.add_argument("--hall", metavar="CODE", help="hall code: its schema on PostgreSQL ([hall] code)")

    up = sub.add_parser(
        "upgrade",
        parents=[common, targets],
        help="run the migrations a database lacks; back it up first",
        description="Run every migration the hall database (and the certificates register) lacks, "
        "printing each one's schema before → after. " + BACKUP_REMINDER,
    )
    up.set_defaults(handler=_upgrade)
    st = sub.add_parser(
        "status",
        parents=[common, targets],
        help="each database's schema, the code's, and whether an upgrade is needed (exit 1)",
    )
    st.set_defaults(handler=_status)


def _targets(args: argparse.Namespace) -> list[tuple[str, str]]:
    """[(kind, target)]: what --db/--register/--region name, or the databases config names."""
    from onevisit.commands.main import load

    config = load(args)
    db = getattr(args, "db", None)
    reg = getattr(args, "register", None)
    region = getattr(args, "region", None)
    if db is None and reg is None and region is None:
        chosen = [
            ("hall", config.database_target),
            ("register", _resolve(config, config.records.certificates_db)),
        ]
        if config.region.database:
            chosen.append(("region", _resolve(config, config.region.database)))
        return chosen
    chosen = []
    if region is not None:
        chosen.append(("region", _resolve(config, region, cwd=True)))
    if db is not None:
        chosen.append(("hall", config.database_target))  # load() applied --db
    if reg is not None:
        chosen.append(("register", _resolve(config, reg, cwd=True)))
    return chosen


def _resolve(config, value: str, *, cwd: bool = False) -> str:
    """A URL as written; a path from the command line against the working folder, from config
    against the config's folder."""
    from onevisit.db import is_postgres

    if is_postgres(value):
        return value
    return str(Path(value).resolve()) if cwd else str(config.path(value))


def _open(args: argparse.Namespace, kind: str, target: str):
    """The database (not yet checked): refuses a file that does not exist, as the upgrade of a
    mistyped path would otherwise make an empty database and report success."""
    from onevisit.commands.main import load
    from onevisit.core.errors import OneVisitError
    from onevisit.db import Database, describe, is_postgres

    if not is_postgres(target) and not Path(target).is_file():
        raise OneVisitError(
            "database_missing",
            f"找不到数据库 {target}（新数据库由程序首次启动时创建）",
            f"No database at {target} (a new one is made when the hall first starts)",
            path=target,
        )
    code = getattr(args, "hall", None) or load(args).hall.code
    db = Database(target, hall_code=code, kind=kind)
    if db.postgres and not _exists(db, target):
        # A mistyped --hall (or a hall not started yet) on PostgreSQL: the same refusal as a
        # missing file, rather than "before migrations" and an upgrade that makes an empty hall.
        where = f"{describe(target)} ({db.schema})"
        db.dispose()
        zh, en = ("市级平台", "region") if kind == "region" else (f"大厅 {code} ", f"hall {code}")
        raise OneVisitError(
            "database_missing",
            f"数据库 {where} 中没有{zh}的数据（由服务首次启动时创建；核对 --hall 或 [hall] code）",
            f"No {en} in {where} (it is made when its server first starts; check --hall or [hall] code)",
            path=describe(target),
            hall=code,
        )
    return db


def _exists(db, target: str) -> bool:
    """migrate.exists, with a server that cannot be reached as a clear error."""
    from sqlalchemy.exc import DBAPIError

    from onevisit.db import migrate

    try:
        return migrate.exists(db)
    except DBAPIError as exc:
        db.dispose()
        raise _unavailable(target, exc) from None


def _unavailable(target: str, exc):
    """A DBAPIError (server down, wrong password) as the bilingual DatabaseUnavailable."""
    from onevisit.db import DatabaseUnavailable

    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return DatabaseUnavailable(target, reason)


def _run(args: argparse.Namespace, step) -> list[dict]:
    """step(db) for each database; a server that cannot be reached is a clear error, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    from onevisit.db import describe

    results = []
    for kind, target in _targets(args):
        db = _open(args, kind, target)
        try:
            results.append({"kind": kind, "target": describe(target), **step(db)})
        except DBAPIError as exc:
            raise _unavailable(target, exc) from None
        finally:
            db.dispose()
    return results


def _label(revision: str | None) -> str:
    return revision or "before migrations"


def _upgrade(args: argparse.Namespace) -> int:
    from onevisit.db import migrate

    def step(db) -> dict:
        before, after = migrate.upgrade(db)
        return {"before": before, "after": after, "changed": before != after}

    for r in _run(args, step):
        what = "upgraded" if r["changed"] else "already up to date"
        print(f"{r['kind']}  {r['target']}: {_label(r['before'])} → {r['after']} ({what})")
    return 0


def _status(args: argparse.Namespace) -> int:
    from onevisit.commands.main import EXIT_ERROR
    from onevisit.db import migrate

    def step(db) -> dict:
        current, head = migrate.status(db)
        if current == head:
            state = "up to date"
        elif current is None or current in migrate.known_revisions(db.kind):
            state = "upgrade needed: back it up, then run `onevisit db upgrade`"
        else:
            state = "made by a newer OneVisit: run the matching version"
        return {"revision": current, "head": head, "state": state}

    worst = 0
    for r in _run(args, step):
        print(f"{r['kind']}  {r['target']}: schema {_label(r['revision'])}, code {r['head']}: {r['state']}")
        if r["state"].startswith("made by a newer"):
            worst = EXIT_ERROR
        elif r["state"] != "up to date":
            worst = max(worst, EXIT_UPGRADE_NEEDED)
    sys.stdout.flush()
    return worst
