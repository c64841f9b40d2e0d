"""`onevisit region` (the city's server and its halls, users and key) and `onevisit ship` (a hall
sends its rows to the region). See docs/region.md."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    region = subparsers.add_parser(
        "region",
        parents=[common],
        help="the city's server: every hall's rows, city figures, central bookings",
        description="Without an action: run the region server. --db: its database "
        "(postgresql://…; default [region] database).",
    )
    region.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    region.add_argument("--port", type=int, default=8500, help="port (default 8500)")
    region.set_defaults(handler=_serve)
    actions = region.add_subparsers(dest="region_command", metavar="ACTION")

    halls = actions.add_parser("halls", parents=[common], help="halls of the city and their ingest tokens")
    halls_sub = halls.add_subparsers(dest="halls_command", metavar="ACTION", required=True)
    add = halls_sub.add_parser("add", parents=[common], help="register a hall; prints its token once")
    add.add_argument("code", help="the hall's [hall] code")
    add.add_argument("--name", help="the hall's name (default: its code)")
    add.set_defaults(handler=_halls_add)
    listing = halls_sub.add_parser("list", parents=[common], help="halls, last contact and clock skew")
    listing.set_defaults(handler=_halls_list)

    users = actions.add_parser("users", parents=[common], help="region supervisors and booking staff")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    uadd = users_sub.add_parser("add", parents=[common], help="add a user; prints their token once")
    uadd.add_argument("name")
    uadd.add_argument("--role", choices=["supervisor", "staff"], default="supervisor")
    uadd.set_defaults(handler=_users_add)

    key = actions.add_parser("key", parents=[common], help="the city's ID-hash key")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    export = key_sub.add_parser(
        "export", parents=[common], help="write the key for a hall (its secrets_dir/id-hash.key)"
    )
    export.add_argument("target", help="file to write (mode 0600; refused if it exists)")
    export.set_defaults(handler=_key_export)

    ship = subparsers.add_parser(
        "ship", parents=[common], help="send this hall's events to the city region (outbound only)"
    )
    ship.add_argument("--region", metavar="URL", help="the region's URL (default [region] url)")
    ship.add_argument("--token", help="this hall's token (default [region] token / token_file)")
    ship.add_argument(
        "--once",
        action="store_true",
        help="send everything pending and exit (non-zero: region unreachable, or the hall database "
        "restored and not yet opened by the hall server)",
    )
    ship.set_defaults(handler=_ship)


def _region_target(args: argparse.Namespace, config) -> str:
    from onevisit.core.config import ConfigError

    target = getattr(args, "db", None) or config.region.database
    if not target:
        raise ConfigError("the region needs a database: --db postgresql://… or [region] database")
    return target if "://" in target else str(config.path(target))


def _open(args: argparse.Namespace):
    from onevisit.commands.main import load
    from onevisit.core.clock import SystemClock
    from onevisit.region.store import RegionStore

    config = load(args)
    return config, RegionStore.open(_region_target(args, config), SystemClock(config.hall.timezone))


def city_key(config) -> bytes:
    """The city's ID-hash key: `[region] id_key_file`, or made once in secrets_dir/city-id-hash.key."""
    from onevisit.core.secrets import load_or_create_key

    if config.region.id_key_file:
        path = config.path(config.region.id_key_file)
        return load_or_create_key(path.parent, path.name)
    return load_or_create_key(config.path(config.security.secrets_dir), "city-id-hash.key")


def _serve(args: argparse.Namespace) -> int:
    from onevisit.core import logs
    from onevisit.hall.server import serve_forever
    from onevisit.region.app import RegionSettings, create_region_app

    config, store = _open(args)
    logs.install(config, "region")
    settings = RegionSettings(
        skew_alarm_seconds=config.region.skew_alarm_seconds,
        stale_seconds=config.region.stale_seconds,
        matters={m.code: (m.name_zh, m.name_en) for m in config.matters},
    )
    serve_forever(create_region_app(store, city_key(config), settings), args.host, args.port)
    return 0


def _halls_add(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    _, store = _open(args)
    token = store.add_hall(args.code, args.name)
    print_json({"hall": args.code, "token": token, "note": "shown once: put it in the hall's [region] token"})
    return 0


def _halls_list(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    _, store = _open(args)
    print_json(store.halls())
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    _, store = _open(args)
    print_json({"name": args.name, "role": args.role, "token": store.add_user(args.name, args.role)})
    return 0


def _key_export(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load, print_json

    config = load(args)
    key = city_key(config)
    target = Path(args.target)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        from onevisit.core.errors import OneVisitError

        raise OneVisitError(
            "key_file_exists",
            f"{target} 已存在，未覆盖",
            f"{target} exists: not overwritten (a hall's key must never change under its data)",
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    print_json({"written": str(target), "bytes": len(key)})
    return 0


def _ship(args: argparse.Namespace) -> int:
    import re
    import signal
    import threading

    from onevisit.commands.main import load, print_json
    from onevisit.core.clock import SystemClock
    from onevisit.core.config import REGION_URL_PATTERN, ConfigError
    from onevisit.db import open_database
    from onevisit.region.hall_bookings import BookingSync
    from onevisit.region.ship import HallNotReady, RegionClient, Shipper, hall_token, stop_waiter
    from onevisit.region.source import HallSource

    config = load(args)
    url = args.region or config.region.url
    token = args.token or hall_token(config)
    if not url or not token:
        raise ConfigError("ship needs the region's URL and this hall's token: --region/--token or [region]")
    if not re.match(REGION_URL_PATTERN, url):
        # a typo such as "htp://" or a bare host would otherwise read as "unreachable, sent
        # later" and back off for ever
        raise ConfigError(
            f"--region {url!r}: not an http:// or https:// URL (e.g. http://region.example:8500)"
        )
    db = open_database(getattr(args, "db", None) or config.database_target, hall_code=config.hall.code)
    client = RegionClient(
        url,
        token,
        SystemClock(config.hall.timezone),
        timeout=config.region.timeout_seconds,
        hall_code=config.hall.code,
    )
    shipper = Shipper(
        HallSource(db),
        client,
        batch_size=config.region.batch_size,
        skew_alarm_seconds=config.region.skew_alarm_seconds,
        bookings=BookingSync(db, config.hall.code),
    )
    try:
        if args.once:
            report = shipper.ship_once()
            if not report.ready:
                raise HallNotReady()
            print_json(report.to_dict())
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        shipper.run(
            stop_waiter(stop),
            poll_seconds=config.region.poll_seconds,
            backoff_max_seconds=config.region.backoff_max_seconds,
        )
        return 0
    finally:
        client.close()
        db.dispose()
