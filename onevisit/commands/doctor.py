"""`onevisit doctor`: the technician's check of a kiosk or the hall server (see onevisit/devices/doctor.py)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from onevisit.devices.doctor import Doctor, Options, exit_code


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "doctor",
        parents=[common],
        help="check config, database, disk, fonts, printer, boards, camera, card reader, hall link",
        description="One line per check with its fix. Exit 1 when anything a citizen depends on is "
        "broken, 0 otherwise (warnings included). Device URLs come from config.toml unless given.",
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.add_argument("--printer", metavar="URL", help="printer URL (default: [printer] url)")
    p.add_argument(
        "--boards",
        metavar="PORT",
        help="ping the boards on this port directly (default: ask the running hall server, "
        "or open [boards] port when none runs)",
    )
    p.add_argument("--camera", metavar="URL", help="camera URL (default: [camera] url; 'none' to skip)")
    p.add_argument("--card-reader", metavar="URL", help="card reader URL (default: [card_reader] url)")
    p.add_argument("--hall", metavar="URL", help="hall server (default: [kiosk] hall_url)")
    p.add_argument("--token-file", metavar="F", help="kiosk token to check (default: [kiosk] token_file)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds per network check")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    options = Options(
        config_path=args.config,
        db=args.db,
        printer=args.printer,
        boards=args.boards,
        camera=args.camera,
        card_reader=args.card_reader,
        hall=args.hall,
        token_file=args.token_file,
        timeout=args.timeout,
    )
    # The findings are the report: drivers' own warnings (and OpenCV's) would only repeat them.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    quiet = logging.getLogger("onevisit")
    level = quiet.level
    if not args.verbose:
        quiet.setLevel(logging.ERROR)
    try:
        checks = Doctor(options).run()
    finally:
        quiet.setLevel(level)
    code = exit_code(checks)
    if args.json:
        print(
            json.dumps(
                {"ok": code == 0, "checks": [c.to_dict() for c in checks]}, ensure_ascii=False, indent=2
            )
        )
    else:
        for check in checks:
            print(check.line(), flush=True)
        broken = [c.name for c in checks if c.status == "fail" and c.critical]
        if broken:
            print(f"\n不可用 NOT READY: citizens are affected by: {', '.join(broken)}", file=sys.stderr)
        else:
            warned = [c.name for c in checks if c.status in ("warn", "fail")]
            print(
                f"\n可以服务 READY{' (attention: ' + ', '.join(warned) + ')' if warned else ''}",
                file=sys.stderr,
            )
    return code
