"""`onevisit card status|report-loss|cancel-loss --id ID`: the 社保卡 through the records contract,
as the kiosk acts (technicians, tests), and 解除挂失, which only a window does (docs/records.md)."""

from __future__ import annotations

import argparse
import json

from onevisit.commands._records import records_from_config
from onevisit.core.clock import SystemClock
from onevisit.core.identity import parse_id
from onevisit.records.backend import CardStatus


def register(subparsers, common: argparse.ArgumentParser) -> None:
    card = subparsers.add_parser("card", parents=[common], help="社保卡: status, report lost, cancel a loss")
    sub = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)
    ident = argparse.ArgumentParser(add_help=False)
    ident.add_argument("--id", required=True, metavar="ID", help="the citizen's 18-character ID number")

    p = sub.add_parser("status", parents=[common, ident], help="the card's state and production progress")
    p.set_defaults(handler=cmd_status)
    p = sub.add_parser(
        "report-loss", parents=[common, ident], help="临时挂失 (a second report changes nothing)"
    )
    p.add_argument("--channel", default="cli", help="where the report was made (default: cli)")
    p.set_defaults(handler=cmd_report_loss)
    p = sub.add_parser(
        "cancel-loss", parents=[common, ident], help="解除挂失: a window's act, after seeing the card"
    )
    p.add_argument("--window", required=True, metavar="NAME", help="the window that saw the citizen")
    p.set_defaults(handler=cmd_cancel_loss)


def card_json(id_masked: str, status: CardStatus) -> dict:
    """The card as the commands print it: masked ID, state with its plain words, progress."""
    zh, en = status.words
    return {
        "id": id_masked,
        "state": status.state,
        "state_zh": zh,
        "state_en": en,
        "progress": [{"state": s.state, "on": s.on.isoformat()} for s in status.progress],
        "branch": status.branch,
        "card_tail": status.card_tail,
        "lost_at": status.lost_at.isoformat() if status.lost_at else None,
    }


def _setup(args: argparse.Namespace):
    from onevisit.commands.main import load

    config = load(args)
    clock = SystemClock(config.hall.timezone)
    number = parse_id(args.id)
    return records_from_config(config, seed_today=clock.now().date()), number, clock


def _print(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_status(args: argparse.Namespace) -> int:
    records, number, _clock = _setup(args)
    _print(card_json(number.masked, records.card_status(number)))
    return 0


def cmd_report_loss(args: argparse.Namespace) -> int:
    records, number, clock = _setup(args)
    _print(card_json(number.masked, records.report_card_loss(number, clock.now(), args.channel)))
    return 0


def cmd_cancel_loss(args: argparse.Namespace) -> int:
    records, number, clock = _setup(args)
    _print(card_json(number.masked, records.cancel_card_loss(number, clock.now(), args.window)))
    return 0
