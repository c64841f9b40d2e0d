"""`onevisit sms-gateway-sim`: the simulated SMS gateway for the demo, the tests and training."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from onevisit.core.errors import OneVisitError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "sms-gateway-sim",
        parents=[common],
        help="an SMS gateway (and WeChat API) that checks signatures and writes what it received",
    )
    p.add_argument("--listen", default="127.0.0.1:8700", metavar="HOST:PORT", help="where to listen")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for messages.jsonl")
    p.add_argument("--secret", help="the signing secret (default: notify.secret / secret_file of config)")
    p.set_defaults(handler=cmd_gateway)


def cmd_gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from onevisit.commands.main import load
    from onevisit.hall.server import bind
    from onevisit.sim.sms_gateway import create_gateway_app

    host, _, port_text = args.listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise OneVisitError("bad_listen", "监听地址无效", f"--listen must be HOST:PORT, got {args.listen!r}")
    secret = args.secret
    if not secret:
        config = load(args)
        secret = config.notify.secret or (
            config.path(config.notify.secret_file).read_text(encoding="utf-8").strip()
            if config.notify.secret_file
            else None
        )
    if not secret:
        raise OneVisitError("no_secret", "缺少签名密钥", "give --secret or notify.secret in config")
    app = create_gateway_app(Path(args.out), secret)
    try:
        sock = bind(host, int(port_text))
    except OSError as exc:
        raise OneVisitError(
            "port_in_use", "端口无法使用", f"cannot listen on {args.listen}: {exc.strerror}"
        ) from None
    print(
        f"sms gateway: http://{host}:{sock.getsockname()[1]}/sms  messages: {Path(args.out) / 'messages.jsonl'}",
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: None)
    server.run(sockets=[sock])
    print("sms gateway stopped", file=sys.stderr, flush=True)
    return 0
