"""`onevisit`: one command, subcommands registered by each area of the product.

Each area keeps its commands in its own `cli.py` with a `register(subparsers, common)` function, so
adding a device or a page never edits another area's code. Commands print JSON (or plain lines)
on stdout and errors on stderr, and exit non-zero on failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence

from onevisit.config import ConfigError, load_config
from onevisit.errors import OneVisitError

log = logging.getLogger(__name__)

#: The modules whose `register()` adds subcommands, in the order `--help` lists them.
COMMAND_MODULES = [
    "onevisit.queue.cli",
    "onevisit.hall.cli",
    "onevisit.hall.appointments_cli",
    "onevisit.devices.printer.cli",
    "onevisit.devices.boards.cli",
    "onevisit.records.cli",
    "onevisit.verification.cli",
    "onevisit.kiosk.cli",
    "onevisit.stats.cli",
    "onevisit.doctor_cli",
    "onevisit.backup.cli",
]

#: Exit status for "nothing to do" answers a script may want to branch on (e.g. nothing waiting).
EXIT_NOTHING = 3
EXIT_ERROR = 2


def common_options() -> argparse.ArgumentParser:
    """--config and --db, accepted by every subcommand."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", metavar="PATH", help="config.toml to use (default: the repo's)")
    parent.add_argument("--db", metavar="PATH", help="hall database (default: hall.database in config)")
    parent.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    return parent


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="onevisit",
        description="OneVisit (一号到底): the self-service social-insurance hall.",
        parents=[common],
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


def load(args: argparse.Namespace):
    """The validated config for a command, honouring --config."""
    return load_config(args.config)


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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
