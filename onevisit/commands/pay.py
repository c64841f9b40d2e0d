"""`onevisit pay-sim --listen HOST:PORT --notify URL [--secret S]`: the simulated payment platform
(onevisit/sim/pay/simulator.py, docs/payment.md) for the demo, the tests and training."""

from __future__ import annotations

import argparse
import signal
import sys

from onevisit.core.errors import OneVisitError


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "pay-sim", parents=[common], help="a simulated payment platform (QR page, signed notifications)"
    )
    p.add_argument(
        "--listen", default="127.0.0.1:8620", metavar="HOST:PORT", help="default 127.0.0.1:8620; port 0: any"
    )
    p.add_argument("--notify", metavar="URL", help="the hall's notify URL (default: payment.notify_url)")
    p.add_argument("--secret", metavar="S", help="the shared signing secret (default: payment.secret)")
    p.add_argument(
        "--public-url", metavar="URL", help="the base of pay URLs in QR codes (default: the listen address)"
    )
    p.set_defaults(handler=cmd_pay_sim)


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
        if not host or not 0 <= number <= 65535:
            raise ValueError(text)
    except ValueError:
        raise OneVisitError(
            "bad_listen", "监听地址无效", f"--listen must be HOST:PORT, got {text!r}"
        ) from None
    return host.strip("[]"), number


def cmd_pay_sim(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM; prints `payment simulator: http://HOST:PORT` once listening."""
    import uvicorn

    from onevisit.commands.main import load
    from onevisit.hall.server import bind
    from onevisit.sim.pay.simulator import PaySim

    config = load(args)
    secret = args.secret or config.payment.secret
    if len(secret) < 16:
        raise OneVisitError(
            "payment_secret", "签名密钥太短", "--secret (or payment.secret) must have at least 16 characters"
        )
    host, port = _listen(args.listen)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise OneVisitError(
            "port_in_use", "端口无法使用", f"cannot listen on {host}:{port}: {exc.strerror}"
        ) from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}"
    sim = PaySim(
        secret=secret, notify_url=args.notify or config.payment.notify_url, public_url=args.public_url or url
    )
    if not sim.notify_url:
        print("note: no --notify URL: orders without their own notify_url tell nobody", file=sys.stderr)
    print(f"payment simulator: {url}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(sim.app(), log_level="warning", timeout_graceful_shutdown=3, access_log=False)
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: None)
    server.run(sockets=[sock])
    sim.stop()
    print("payment simulator stopped", flush=True)
    return 0
