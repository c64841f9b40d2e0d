"""`onevisit boards test|status|press` and `onevisit board-emulator`."""

from __future__ import annotations

import argparse
import contextlib
import sys

from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.codec import Key, codec_for
from onevisit.devices.boards.setup import board_charsets, board_specs, port_path
from onevisit.sim.boards import emulator


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    boards = subparsers.add_parser("boards", help="call-display boards: test and status", parents=[common])
    sub = boards.add_subparsers(dest="boards_command", metavar="ACTION", required=True)

    test = sub.add_parser("test", help="show a test text on boards and report who answered", parents=[common])
    test.add_argument("--port", metavar="PATH", help="serial device or pyserial URL (default: boards.port)")
    test.add_argument("--address", type=int, metavar="N", help="one board (default: every configured board)")
    test.add_argument("--text", default="测试 TEST 0123", help="text to show")
    test.add_argument("--codec", choices=["default", "line"], help="protocol (default: boards.codec)")
    test.set_defaults(handler=_test)

    status = sub.add_parser("status", help="ping every configured board; JSON health", parents=[common])
    status.add_argument("--port", metavar="PATH", help="serial device or pyserial URL (default: boards.port)")
    status.add_argument("--codec", choices=["default", "line"], help="protocol (default: boards.codec)")
    status.set_defaults(handler=_status)

    press = sub.add_parser(
        "press",
        help="press a key on an emulated keypad (board-emulator --control)",
        parents=[common],
    )
    press.add_argument(
        "control", type=emulator.parse_hostport, metavar="HOST:PORT", help="the emulator's --control"
    )
    press.add_argument("address", type=int, metavar="ADDRESS", help="the keypad's address")
    press.add_argument(
        "key", choices=[k.value for k in Key], metavar="KEY", help="call recall skip pause transfer r1-r4"
    )
    press.set_defaults(handler=_press)

    emu = subparsers.add_parser(
        "board-emulator",
        help="emulated boards on a pseudo-terminal (demo, tests, training)",
        parents=[common],
    )
    emulator.add_arguments(emu)
    emu.set_defaults(handler=emulator.run)


def _bus(args: argparse.Namespace, addresses: dict[int, str]) -> BoardBus:
    from onevisit.commands.main import load

    config = load(args)
    b = config.boards
    return BoardBus(
        port_path(config, args.port),
        codec_for(args.codec or b.codec, board_charsets(config)),
        addresses,
        baud=b.baud,
        parity=b.parity,
        timeout=b.timeout,
        write_timeout=b.write_timeout,
        retries=b.retries,
        reconnect_max=1.0,
    )


def _configured(args: argparse.Namespace) -> dict[int, str]:
    from onevisit.commands.main import load

    return {s.address: s.label for s in board_specs(load(args))}


def _test(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    addresses = {args.address: "test"} if args.address else _configured(args)
    bus = _bus(args, addresses)
    for address in addresses:
        bus.codec.encode_text(address, args.text)  # refuse unshowable text before opening the port
    bus.start()
    try:
        for address in addresses:
            bus.show(address, args.text)
        budget = (bus.retries + 1) * bus.timeout * len(addresses) + 3.0
        bus.wait_settled(budget)
        health = bus.health()
    finally:
        bus.stop()
    print_json(health)
    return 0 if health["connected"] and all(b["shown"] for b in health["boards"]) else 1


def _status(args: argparse.Namespace) -> int:
    from onevisit.commands.main import print_json

    bus = _bus(args, _configured(args))
    bus.start()
    try:
        bus.wait_for(lambda b: b.connected, timeout=3.0)
        futures = [bus.ping(a) for a in bus.desired()]
        budget = (bus.retries + 1) * bus.timeout * len(futures) + 3.0
        for future in futures:
            with contextlib.suppress(TimeoutError):
                future.result(timeout=budget)
        health = bus.health()
    finally:
        bus.stop()
    print_json(health)
    return 0 if health["connected"] and all(b["online"] for b in health["boards"]) else 1


def _press(args: argparse.Namespace) -> int:
    host, port = args.control
    try:
        answer = emulator.press_over_control(host, port, args.address, args.key)
    except OSError as exc:
        print(f"keypad control {host}:{port}: {exc}", file=sys.stderr)
        return 2
    print(answer)
    return 0 if answer == "ok" else 1
