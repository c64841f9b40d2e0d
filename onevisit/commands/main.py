"""`onevisit`: one command; each group of subcommands lives in its own module of this package.

`--help` and every command import only what they use: the table below names each command's module
and help line, and only the chosen command's module is imported (the printer, camera and Kivy stacks
take about a second to import). Commands print JSON (or plain lines) on stdout and errors on stderr,
and exit non-zero on failure.

The options every command takes (`--config`, `--db`, `-v`) may stand before or after the command
name: `onevisit --config X queue status` and `onevisit queue status --config X` are the same.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

#: Every top-level command: (the module whose `register(subparsers, common)` adds it, its help line),
#: in the order `--help` lists them. A module may register several commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "queue": ("onevisit.commands.queue", "the hall's queue: issue, call, transfer, show"),
    "hall": ("onevisit.commands.hall", "run the hall server (API, event stream, pages)"),
    "users": ("onevisit.commands.hall", "staff, supervisor and technician accounts"),
    "kiosks": ("onevisit.commands.hall", "kiosk devices and their tokens"),
    "appointments": ("onevisit.commands.appointments", "预约: book, list, cancel, import"),
    "kiosk": ("onevisit.commands.kiosk", "the citizen's touchscreen (Kivy)"),
    "printer": ("onevisit.commands.printer", "ESC/POS printer: status, self-test, tickets"),
    "boards": ("onevisit.commands.boards", "call-display boards: test and status"),
    "voice": ("onevisit.commands.voice", "the call announcement voice"),
    "card-reader-read": ("onevisit.commands.cardreader", "read one card and print masked fields"),
    "records": ("onevisit.commands.records", "the records system: serve the demo records, look up a citizen"),
    "cert": ("onevisit.commands.records", "参保证明 certificates"),
    "verify-cert": ("onevisit.commands.records", "check a certificate's QR payload or code"),
    "keys": ("onevisit.commands.records", "the certificate signing key"),
    "card": ("onevisit.commands.card", "社保卡: status and progress, report lost, cancel a loss (window)"),
    "verify-face": (
        "onevisit.commands.verification",
        "compare face photos 1:1 (one pair, or a CSV of pairs)",
    ),
    "certify": ("onevisit.commands.verification", "run the pension certification headless against a camera"),
    "report": ("onevisit.commands.stats", "a day's statistics: HTML with charts, CSV of every step, XLSX"),
    "doctor": ("onevisit.commands.doctor", "check config, database, disk, fonts and every device"),
    "backup": ("onevisit.commands.backup", "copy the hall database while the server runs"),
    "db": ("onevisit.commands.db", "the databases' schema: status and upgrade (migrations)"),
    "ship": ("onevisit.commands.region", "send this hall's events to the city region (outbound only)"),
    "region": ("onevisit.commands.region", "the city's server: every hall's rows, city figures, bookings"),
    # simulators: real programs for the demo, the tests and technicians
    "demo": ("onevisit.commands.demo", "run the whole hall on this machine, every device simulated"),
    "simulate": (
        "onevisit.commands.simulate",
        "a whole hall day through the real queue; figures and policies",
    ),
    "plan": (
        "onevisit.commands.plan",
        "staffing: the fewest windows per hour that keep the p90 wait under a limit",
    ),
    "virtual-printer": (
        "onevisit.commands.printer",
        "a network ESC/POS printer that renders each job to PNG",
    ),
    "board-emulator": (
        "onevisit.commands.boards",
        "emulated boards on a pseudo-terminal (demo, tests, training)",
    ),
    "card-reader-sim": ("onevisit.commands.cardreader", "emulate a SAM ID-card reader on a pseudo-terminal"),
    "sms-gateway-sim": (
        "onevisit.commands.notify",
        "an SMS gateway that checks signatures and writes what it got",
    ),
    "pay-sim": ("onevisit.commands.pay", "a simulated payment platform: QR pay page, signed notifications"),
    "face-clip": (
        "onevisit.commands.verification",
        "make a frames:// clip of a photo's face doing liveness actions",
    ),
}

#: Exit status for "nothing to do" answers a script may want to branch on (e.g. nothing waiting).
EXIT_NOTHING = 3
EXIT_ERROR = 2


def common_options(*, top: bool = False) -> argparse.ArgumentParser:
    """--config, --db and -v, accepted before and after every command name.

    Below the command their default is SUPPRESS, so a value given before the command name is kept:
    with a plain default argparse would overwrite it with None, and the command would silently use
    the repository's config and database (a silent wrong database is data loss)."""
    default = None if top else argparse.SUPPRESS
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--config", metavar="PATH", default=default, help="config.toml to use (default: the repo's)"
    )
    parent.add_argument(
        "--db", metavar="PATH", default=default, help="hall database (default: hall.database in config)"
    )
    parent.add_argument(
        "-v", "--verbose", action="store_true", default=default if not top else False, help="log debug detail"
    )
    return parent


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The first word of argv that names a command, skipping the common options and their values."""
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in ("--config", "--db"):
            skip = True
        elif word in COMMANDS:
            return word
        elif not word.startswith("-"):
            return None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for argv: the chosen command's module registers its real subcommands; every other
    command is listed by name and help line only, without importing its module. With argv None every
    module is imported (the whole tree, for documentation and tests)."""
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="onevisit",
        description="OneVisit (一号到底): the self-service social-insurance hall.",
        parents=[common_options(top=True)],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen_command(argv) if argv is not None else None
    real = {COMMANDS[chosen][0]} if chosen else set()
    if argv is None:
        real = {module for module, _ in COMMANDS.values()}
    registered: set[str] = set()
    for name, (module, help_line) in COMMANDS.items():
        if module in real:
            if module not in registered:
                importlib.import_module(module).register(subparsers, common)
                registered.add(module)
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
    return parser


def load(args: argparse.Namespace):
    """The validated config for a command, honouring --config, and --db where the command has it
    (a path from the current folder, or a postgresql:// URL): `config.database_target` then names
    the database every part of the command opens."""
    from pathlib import Path

    from onevisit.core.config import load_config
    from onevisit.db.database import is_postgres

    config = load_config(args.config)
    db = getattr(args, "db", None)
    if db:
        database = str(db) if is_postgres(db) else str(Path(db).resolve())
        config = config.model_copy(update={"hall": config.hall.model_copy(update={"database": database})})
    return config


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_ERROR
    from onevisit.core.config import ConfigError
    from onevisit.core.errors import OneVisitError

    try:
        return handler(args) or 0
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OneVisitError as exc:
        print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False), file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
