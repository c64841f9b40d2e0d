"""`onevisit queue …`: the queue from the command line, for technicians and scripts.

Every command prints JSON on stdout. A refusal prints the error on stderr and exits 2; `call` with
nobody waiting exits 3 so scripts can tell "nothing to do" from a failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from zoneinfo import ZoneInfo

from onevisit.core.clock import Clock, FixedClock
from onevisit.core.typed import clean, parse_datetime_text
from onevisit.queue.errors import NothingWaiting
from onevisit.queue.replay import differences, rebuild, snapshot
from onevisit.queue.service import QueueService


def _clock(args: argparse.Namespace, tz: str) -> Clock | None:
    if not args.now:
        return None
    try:
        when = parse_datetime_text(args.now)  # 2026-11-23T09:30, 2026/11/23 9:30, full-width digits…
    except (ValueError, OverflowError):
        raise SystemExit(
            f"--now: expected a time like 2026-11-23T09:30, got {args.now!r} / 时间格式应为 2026-11-23 09:30"
        ) from None
    return FixedClock(when if when.tzinfo else when.replace(tzinfo=ZoneInfo(tz)))


def open_service(args: argparse.Namespace) -> QueueService:
    from onevisit.commands.main import load

    config = load(args)
    return QueueService.open(config, clock=_clock(args, config.hall.timezone))


def _actor(args: argparse.Namespace) -> str:
    return args.actor or "cli"


def _ticket_out(service: QueueService, ticket) -> dict:
    return {**ticket.to_dict(), "position": service.position(ticket).to_dict()}


def _emit(value: object) -> int:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from onevisit.core.phone import normalize_phone

    # A bad number is refused before the ticket exists: nothing half-done.
    phone = normalize_phone(args.phone) if args.phone is not None else None
    service = open_service(args)
    result = service.issue(
        [clean(m) for m in clean(args.matters).split(",")],
        id_number=args.id,
        declared=args.declared,
        idempotency_key=args.key,
        source=args.source,
        tag=args.tag,
        actor=_actor(args),
    )
    out = {"created": result.created, **_ticket_out(service, result.ticket)}
    if phone is not None:
        out["notify"] = _subscribe(args, service, result.ticket, phone)
    return _emit(out)


def _subscribe(args: argparse.Namespace, service: QueueService, ticket, phone: str) -> dict:
    """到号提醒 for a ticket issued here, as the kiosk subscribes it (the hall server sends)."""
    from onevisit.core.secrets import load_or_create_key
    from onevisit.hall.stores.notices import NoticeStore

    config = service.config
    key = load_or_create_key(config.path(config.security.secrets_dir), "notify.key")
    sub = NoticeStore(service.store.database, service.clock, key).subscribe(
        ticket.day, ticket.number, "sms", phone, _actor(args)
    )
    return {"channel": "sms", "to": sub.masked}


def cmd_window_action(args: argparse.Namespace) -> int:
    service = open_service(args)
    action = {
        "call": service.call_next,
        "recall": service.recall,
        "skip": service.skip,
        "start": service.start,
        "finish": service.finish,
    }[args.action]
    try:
        if args.action == "call" and args.number:
            ticket = service.call_number(args.window, args.number, _actor(args))
        else:
            ticket = action(args.window, _actor(args))
    except NothingWaiting as exc:
        print(json.dumps({"error": exc.to_dict()}, ensure_ascii=False), file=sys.stderr)
        from onevisit.commands.main import EXIT_NOTHING

        return EXIT_NOTHING
    return _emit(_ticket_out(service, ticket))


def cmd_window_state(args: argparse.Namespace) -> int:
    service = open_service(args)
    action = {
        "pause": service.pause,
        "resume": service.resume,
        "open": service.open_window,
        "close": service.close_window,
    }[args.action]
    return _emit(action(args.window, _actor(args)).to_dict())


def cmd_transfer(args: argparse.Namespace) -> int:
    service = open_service(args)
    ticket = service.transfer(
        args.window,
        args.to,
        args.placement,
        args.reason,
        args.note,
        _actor(args),
        return_after=args.return_after,
    )
    return _emit(_ticket_out(service, ticket))


def cmd_ticket_action(args: argparse.Namespace) -> int:
    service = open_service(args)
    if args.action == "checkin":
        ticket = service.checkin(args.number, _actor(args))
    elif args.action == "cancel":
        ticket = service.cancel(args.number, _actor(args))
    elif args.action == "add":
        ticket = service.add_matter(args.number, args.matter, _actor(args))
    else:
        ticket = service.ticket(args.number, day=args.day)
    return _emit(_ticket_out(service, ticket))


def cmd_status(args: argparse.Namespace) -> int:
    return _emit(open_service(args).status())


def cmd_events(args: argparse.Namespace) -> int:
    service = open_service(args)
    return _emit([e.to_dict() for e in service.events_since(args.after, args.limit)])


def cmd_verify(args: argparse.Namespace) -> int:
    """Replays every event and compares with the tables: a technician's consistency check."""
    service = open_service(args)
    events, after = [], 0
    while batch := service.events_since(after, 5000):
        events.extend(batch)
        after = batch[-1].id
    problems = differences(rebuild(service.config, events), snapshot(service.store))
    _emit({"events": len(events), "consistent": not problems, "problems": problems[:50]})
    return 0 if not problems else 1


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    queue_common = argparse.ArgumentParser(add_help=False, parents=[common])
    queue_common.add_argument("--now", help="act at this time (ISO, hall time zone) instead of the clock")
    queue_common.add_argument("--actor", help="who acts, recorded in the event (default: cli)")

    queue = subparsers.add_parser(
        "queue", help="the hall's queue: issue, call, transfer, show", parents=[common]
    )
    sub = queue.add_subparsers(dest="queue_command", metavar="ACTION", required=True)

    p = sub.add_parser("issue", parents=[queue_common], help="issue one ticket for a visit")
    p.add_argument("--matters", required=True, help="comma-separated matter codes, in visiting order")
    p.add_argument("--id", help="the citizen's 18-digit ID number (stored only hashed and masked)")
    p.add_argument("--declared", help="declared priority: disability or veteran")
    p.add_argument("--key", help="idempotency key: a retry with the same key returns the same ticket")
    p.add_argument("--source", help="which kiosk or window issued it")
    p.add_argument("--tag", help="what the citizen tried before (shown to the window)")
    p.add_argument("--phone", help="到号提醒: notices to this mobile number (kept encrypted, shown masked)")
    p.set_defaults(handler=cmd_issue)

    for action, words in (
        ("call", "call the next citizen to this window"),
        ("recall", "call the current number again"),
        ("skip", "mark the called number as a no-show (过号)"),
        ("start", "start serving the called citizen"),
        ("finish", "finish; the ticket moves on to its next matter"),
    ):
        p = sub.add_parser(action, parents=[queue_common], help=words)
        p.add_argument("--window", type=int, required=True)
        if action == "call":
            p.add_argument("--number", help="call this waiting ticket instead of the next one (叫指定号)")
        p.set_defaults(handler=cmd_window_action, action=action)

    for action in ("pause", "resume", "open", "close"):
        p = sub.add_parser(action, parents=[queue_common], help=f"{action} a window")
        p.add_argument("--window", type=int, required=True)
        p.set_defaults(handler=cmd_window_state, action=action)

    p = sub.add_parser("transfer", parents=[queue_common], help="send the current citizen to another matter")
    p.add_argument("--window", type=int, required=True)
    p.add_argument("--to", required=True, metavar="MATTER")
    p.add_argument("--placement", choices=["original", "front", "end"], default="original")
    p.add_argument("--reason", required=True)
    p.add_argument("--note")
    p.add_argument(
        "--return",
        dest="return_after",
        action="store_true",
        help="come back to this matter after the new one (same number; 办完再回本业务)",
    )
    p.set_defaults(handler=cmd_transfer)

    for action, words in (
        ("checkin", "re-check-in a missed (过号) ticket"),
        ("cancel", "cancel a ticket"),
        ("show", "a ticket with every step and its times"),
    ):
        p = sub.add_parser(action, parents=[queue_common], help=words)
        p.add_argument("number")
        if action == "show":
            p.add_argument("--day", help="YYYY-MM-DD (default today)")
        p.set_defaults(handler=cmd_ticket_action, action=action, day=None)

    p = sub.add_parser("add", parents=[queue_common], help="add a matter to an open visit")
    p.add_argument("number")
    p.add_argument("--matter", required=True)
    p.set_defaults(handler=cmd_ticket_action, action="add", day=None)

    p = sub.add_parser("status", parents=[queue_common], help="waiting counts, windows, recent calls")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("events", parents=[queue_common], help="the event log")
    p.add_argument("--after", type=int, default=0)
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(handler=cmd_events)

    p = sub.add_parser(
        "verify", parents=[queue_common], help="replay every event and compare with the tables"
    )
    p.set_defaults(handler=cmd_verify)
