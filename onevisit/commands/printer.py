"""`onevisit printer ...` for technicians and `onevisit virtual-printer` (the simulator).

This module is an application edge: `printer ticket` reads the queue to fill a TicketPrint. The
printer package itself never imports the queue.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from onevisit.commands.main import load, print_json
from onevisit.core.clock import hall_time
from onevisit.core.config import Config, PrinterConfig
from onevisit.devices.printer.jobs import JobState, Printer
from onevisit.devices.printer.ticket import TicketPrint

log = logging.getLogger(__name__)

PRIORITY_LABELS = {
    "disability": "助残优先 Priority",
    "veteran": "军人优先 Priority",
    "pregnant": "孕妇优先 Priority",
}
_OPEN_STEPS = ("pending", "waiting", "called", "serving", "skipped")


def priority_label(reason: str | None) -> str:
    if reason and reason.startswith("age"):
        return "敬老优先 Priority"
    return PRIORITY_LABELS.get(reason or "", "优先 Priority")


def ticket_print(config: Config, ticket: Any, position: Any) -> TicketPrint:
    """A queue Ticket and its Position, in words for the printer (no personal data)."""
    steps = [s for s in ticket.steps if str(s.state) in _OPEN_STEPS] or list(ticket.steps)
    matters = []
    for step in steps:
        try:
            matters.append(config.matter(step.matter).name_zh)
        except KeyError:
            matters.append(step.matter)
    return TicketPrint(
        hall_name=config.hall.name,
        hall_name_en=config.hall.name_en,
        number=ticket.number,
        matters_zh=matters,
        position=position.position,
        ahead=position.ahead,
        wait_minutes=position.wait.minutes,
        wait_low=position.wait.low,
        wait_high=position.wait.high,
        issued_at=hall_time(ticket.created_at, config.hall.timezone),
        windows=list(position.windows),
        status_url=f"{config.hall.public_url}/t/{ticket.number}?c={ticket.short_code}",
        short_code=ticket.short_code,
        priority=bool(ticket.priority),
        priority_label=priority_label(ticket.priority_reason),
    )


def _printer(args: argparse.Namespace) -> tuple[Config, Printer]:
    config = load(args)
    return config, Printer(config.printer, url=args.printer)


def _job_exit(job_dict: dict[str, object]) -> int:
    print_json(job_dict)
    if job_dict["state"] != str(JobState.DONE):
        print(f"error: {job_dict['message_zh']} / {job_dict['message_en']}", file=sys.stderr)
        print(f"hint: {job_dict['hint']}", file=sys.stderr)
        return 2
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    _, printer = _printer(args)
    status = printer.status()
    print_json({"url": printer.url, **status.to_dict()})
    return 0 if status.ready else 1


def cmd_test(args: argparse.Namespace) -> int:
    _, printer = _printer(args)
    return _job_exit(printer.print_selftest().to_dict())


def cmd_ticket(args: argparse.Namespace) -> int:
    from onevisit.queue import QueueService  # the CLI is the edge that joins queue and printer

    config, printer = _printer(args)
    service = QueueService.open(config, db_path=args.db)
    try:
        ticket = service.ticket(args.number.upper(), day=args.day)
        position = service.position(ticket)
    finally:
        service.close()
    return _job_exit(printer.print_ticket(ticket_print(config, ticket, position)).to_dict())


def cmd_render(args: argparse.Namespace) -> int:
    from onevisit.sim.printer.render import on_paper, render
    from onevisit.sim.printer.tokenizer import TokenizeError, tokenize

    try:
        data = Path(args.file).read_bytes()
        tokens = tokenize(data)
    except OSError as err:
        print(f"{args.file}: cannot read ({err.strerror or err}) / 无法读取文件", file=sys.stderr)
        return 2
    except TokenizeError as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 2
    out = Path(args.out or Path(args.file).with_suffix(".png"))
    try:
        on_paper(render(tokens, args.width)).save(out)
    except OSError as err:
        print(f"{out}: cannot write ({err.strerror or err}) / 无法写入文件", file=sys.stderr)
        return 2
    print_json({"file": args.file, "bytes": len(data), "tokens": len(tokens), "png": str(out)})
    return 0


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, e.g. 127.0.0.1:9100 (got {text!r})")
    return host, int(port)


def cmd_fault(args: argparse.Namespace) -> int:
    host, port = args.control
    line = " ".join(args.words)
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(line.encode() + b"\n")
            reply = sock.makefile("r", encoding="utf-8").readline()
    except OSError as err:
        print(f"error: cannot reach the virtual printer's control port {host}:{port}: {err}", file=sys.stderr)
        return 2
    answer = json.loads(reply)
    print_json(answer)
    return 0 if answer.get("ok") else 2


def cmd_virtual(args: argparse.Namespace) -> int:
    from onevisit.sim.printer.virtual import Faults, VirtualPrinter

    host, port = args.listen
    if args.control:
        control_host, control_port = args.control
        if control_host != host:
            print("error: --control must use the same host as --listen", file=sys.stderr)
            return 2
    else:
        control_port = port + 1 if port else 0
    faults = Faults(
        paper=args.paper,
        offline=args.offline,
        cover_open=args.cover_open,
        cutter_error=args.cutter_error,
        mute=args.mute,
        slow=args.slow,
    )
    if not args.verbose:
        logging.getLogger().setLevel(logging.INFO)  # one line per job and per control command
    font = None
    try:
        font = load(args).printer.font
    except Exception:  # the simulator runs without a hall config too
        font = None
    printer = VirtualPrinter(args.out, host, port, control_port, width=args.width, faults=faults, font=font)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with printer:
        ready = {
            "url": printer.url,
            "control": "{}:{}".format(*printer.control_address),
            "out": str(printer.out_dir),
        }
        print(json.dumps(ready), flush=True)  # scripts read the actual ports from this line
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    default_url = PrinterConfig().url
    printer_opt = argparse.ArgumentParser(add_help=False)
    printer_opt.add_argument(
        "--printer", metavar="URL", help=f"printer URL (default: [printer] url; e.g. {default_url})"
    )

    p = subparsers.add_parser("printer", help="ESC/POS printer: status, self-test, tickets", parents=[common])
    sub = p.add_subparsers(dest="printer_command", metavar="ACTION", required=True)
    s = sub.add_parser(
        "status", help="DLE EOT status as JSON (exit 1 when it cannot print)", parents=[common, printer_opt]
    )
    s.set_defaults(handler=cmd_status)
    s = sub.add_parser("test", help="print the technician's self-test page", parents=[common, printer_opt])
    s.set_defaults(handler=cmd_test)
    s = sub.add_parser("ticket", help="(re)print a ticket of today's queue", parents=[common, printer_opt])
    s.add_argument("number", help="ticket number, e.g. A012")
    s.add_argument("--day", help="YYYY-MM-DD (default: today)")
    s.set_defaults(handler=cmd_ticket)
    s = sub.add_parser("render", help="render recorded job bytes (.bin) to a PNG", parents=[common])
    s.add_argument("file")
    s.add_argument("--width", type=int, choices=(576, 384), default=576)
    s.add_argument("--out", help="PNG path (default: next to the .bin)")
    s.set_defaults(handler=cmd_render)
    s = sub.add_parser("fault", help="change a running virtual printer's faults", parents=[common])
    s.add_argument("--control", type=_host_port, default=("127.0.0.1", 9101), metavar="HOST:PORT")
    s.add_argument(
        "words", nargs="+", metavar="COMMAND", help="e.g. paper out | paper ok | offline on | status"
    )
    s.set_defaults(handler=cmd_fault)

    v = subparsers.add_parser(
        "virtual-printer", help="a network ESC/POS printer that renders each job to PNG", parents=[common]
    )
    v.add_argument("--listen", type=_host_port, default=("127.0.0.1", 9100), metavar="HOST:PORT")
    v.add_argument(
        "--control",
        type=_host_port,
        metavar="HOST:PORT",
        help="fault control port (default: listen port + 1)",
    )
    v.add_argument("--out", default="var/printer", metavar="DIR", help="where job-N.bin and job-N.png go")
    v.add_argument("--width", type=int, choices=(576, 384), default=576)
    v.add_argument("--paper", choices=("ok", "near_end", "out"), default="ok")
    v.add_argument("--offline", action="store_true", help="answer status with the offline bit; print nothing")
    v.add_argument("--cover-open", action="store_true")
    v.add_argument("--cutter-error", action="store_true")
    v.add_argument("--mute", action="store_true", help="never answer status (a powered-off printer)")
    v.add_argument(
        "--slow", type=float, default=0.0, metavar="SECONDS", help="delay per chunk and status reply"
    )
    v.set_defaults(handler=cmd_virtual)
