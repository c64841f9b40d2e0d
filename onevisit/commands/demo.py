"""`onevisit demo`: the whole hall on this machine, every device simulated (onevisit/sim/demo/)."""

from __future__ import annotations

import argparse
import fcntl
import signal
import sys
import threading
from pathlib import Path
from typing import IO

from onevisit.commands.main import load


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = subparsers.add_parser(
        "demo", parents=[common], help="run the whole hall on this machine, simulated"
    )
    demo.add_argument("--port", type=int, default=None, help="hall server port (default: hall.port)")
    demo.add_argument("--keep", action="store_true", help="keep var/demo's database from the last run")
    demo.add_argument(
        "--headless",
        action="store_true",
        help="no kiosk window even with a display (the kiosk's heartbeat still runs)",
    )
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    import logging

    from onevisit.core import logs
    from onevisit.sim.demo.run import Demo, default_components, demo_context

    config = load(args)
    root = config.path("var/demo")
    port = args.port or config.hall.port
    running = _claim(root, config.hall.host, port)
    if isinstance(running, str):
        print(running, file=sys.stderr)
        return 2
    ctx = demo_context(config, root, port=port, host=config.hall.host, keep=args.keep)
    # Everything to var/demo/logs/hall.log; the terminal keeps the banner readable (warnings only).
    logs.install(ctx.config, "hall", console_level=logging.DEBUG if args.verbose else logging.WARNING)
    if not args.verbose:
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if not stop.is_set():  # Ctrl-C reaches a `uv run` wrapper and us: say it once
            print("\n正在停止… stopping", flush=True)
        stop.set()

    # Handlers rather than KeyboardInterrupt: Ctrl-C and a service manager's SIGTERM both end the
    # demo the same clean way, even when started from a script that ignored SIGINT.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    kiosk_window = False if args.headless else None
    Demo(ctx, default_components(ctx, kiosk_window=kiosk_window)).run(stop)
    # Everything has stopped. A second SIGINT can still come (`uv run` may pass the Ctrl-C on after
    # the terminal's own one reached us); during interpreter exit Python has put SIGINT back to its
    # default, so that late signal would end a clean stop with status 130. Ignored handlers are left
    # alone at exit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("已停止 stopped", flush=True)
    return 0


def _claim(root: Path, host: str, port: int) -> IO[str] | str:
    """The lock on `root` held while this demo runs, or why it must not start. Checked before
    var/demo is reset: a second `onevisit demo` used to delete the running one's database, kiosk
    token and device links, then stop with a traceback on the taken port."""
    from onevisit.hall.server import bind

    root.mkdir(parents=True, exist_ok=True)
    lock = (root / ".running").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return f"演示已在运行（{root}）；请先按 Ctrl-C 停止它 / a demo is already running from {root}; stop it first"
    try:
        bind(host, port).close()
    except OSError as exc:
        lock.close()
        return (
            f"端口 {port} 已被占用，请用 --port 换一个 / port {port} on {host} is taken ({exc.strerror}); "
            "another hall server is running: stop it or give --port N"
        )
    return lock
