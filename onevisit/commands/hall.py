"""Commands of the hall server: `hall`, `users`, `kiosks`."""

from __future__ import annotations

import argparse
import getpass
import sys

from onevisit.core.clock import SystemClock
from onevisit.core.config import Config


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    hall = subparsers.add_parser(
        "hall", parents=[common], help="run the hall server (API, event stream, pages)"
    )
    hall.add_argument("--host", help="address to listen on (default: hall.host, localhost)")
    hall.add_argument("--port", type=int, help="port (default: hall.port)")
    hall.set_defaults(handler=_hall)

    users = subparsers.add_parser("users", parents=[common], help="staff, supervisor and technician accounts")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser(
        "add", parents=[common], help="add an account (password from stdin or a prompt)"
    )
    add.add_argument("--role", required=True, choices=["staff", "supervisor", "technician"])
    add.add_argument("--name", required=True, help="login name")
    add.add_argument("--window", type=int, help="the staff member's window")
    add.set_defaults(handler=_users_add)
    listing = users_sub.add_parser("list", parents=[common], help="list accounts")
    listing.set_defaults(handler=_users_list)
    passwd = users_sub.add_parser("passwd", parents=[common], help="set a new password (ends its sessions)")
    passwd.add_argument("--name", required=True)
    passwd.set_defaults(handler=_users_passwd)

    kiosks = subparsers.add_parser("kiosks", parents=[common], help="kiosk devices and their tokens")
    kiosks_sub = kiosks.add_subparsers(dest="kiosks_command", metavar="ACTION", required=True)
    kadd = kiosks_sub.add_parser("add", parents=[common], help="register a kiosk; prints its token once")
    kadd.add_argument("name")
    kadd.set_defaults(handler=_kiosks_add)
    klist = kiosks_sub.add_parser("list", parents=[common], help="list kiosks")
    klist.set_defaults(handler=_kiosks_list)


def _config(args: argparse.Namespace) -> Config:
    from onevisit.commands.main import load

    return load(args)


def _db_target(args: argparse.Namespace, config: Config) -> str:
    """--db (a file or a postgresql:// URL) or `[hall] database`."""
    return str(args.db) if getattr(args, "db", None) else config.database_target


def _accounts(args: argparse.Namespace):
    from onevisit.db import open_database
    from onevisit.hall.stores.accounts import AccountStore

    config = _config(args)
    db = open_database(_db_target(args, config), hall_code=config.hall.code)
    return AccountStore(db, config, SystemClock(config.hall.timezone))


def _read_password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:  # a script or a pipe without the password (weak_password said too little)
            print(
                "没有收到密码：请在终端中运行，或 echo 'PASSWORD' | onevisit users … / no password on stdin: "
                "run it in a terminal (it asks twice) or pipe one line, e.g. echo 'PASSWORD' | onevisit users …",
                file=sys.stderr,
            )
            raise SystemExit(2)
        return line
    first = getpass.getpass("密码 Password: ")
    if getpass.getpass("再次输入 Again: ") != first:
        print("两次输入不一致 / the passwords differ", file=sys.stderr)
        raise SystemExit(2)
    return first


def _hall(args: argparse.Namespace) -> int:
    from onevisit.core import logs
    from onevisit.hall.app import create_app
    from onevisit.hall.server import serve_forever
    from onevisit.region.claim import claimer_from_config
    from onevisit.sim.hallday.plan_report import plan_for_hall

    config = _config(args)
    logs.install(config, "hall")
    records = None
    if config.payment.url:  # the hall settles resident pension payments in records
        from onevisit.commands._records import records_from_config

        records = records_from_config(config)
    # With [region] url and token, a citizen whose booking is at another hall checks in here too.
    claimer = claimer_from_config(config)
    app = create_app(config, db_path=args.db, planner=plan_for_hall, records=records, claimer=claimer)
    try:
        serve_forever(app, args.host or config.hall.host, args.port or config.hall.port)
    finally:
        if claimer is not None:
            claimer.close()
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    store = _accounts(args)
    user = store.add_user(args.name, args.role, _read_password(), window=args.window)
    print_json({"name": user.name, "role": user.role, "window": user.window, "created_at": user.created_at})
    return 0


def _users_list(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    print_json([u.__dict__ for u in _accounts(args).users()])
    return 0


def _users_passwd(args: argparse.Namespace) -> int:
    _accounts(args).set_password(args.name, _read_password())
    print(f"password changed for {args.name}; their sessions have ended")
    return 0


def _kiosks_add(args: argparse.Namespace) -> int:
    token = _accounts(args).add_kiosk(args.name)
    print(token)
    print(
        f"kiosk {args.name} registered; this token is shown only once — put it in the kiosk's token_file",
        file=sys.stderr,
    )
    return 0


def _kiosks_list(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    print_json(_accounts(args).kiosks())
    return 0
