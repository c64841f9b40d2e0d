"""Hall server benchmark: ticket issue and status at 20 concurrent clients; call → 200 /ws displays.

Runs `onevisit hall` as a real uvicorn server in a subprocess on a fresh database (its own process,
so the load generator doesn't share its GIL), then:
  1. issue: 20 clients each POST /api/tickets (kiosk token, unique idempotency keys), first back to
     back (saturation), then together offering --rate requests a second on a schedule (200/s by
     default: a busy hall issues about 4,000 tickets a day, well under one a second at its peak);
  2. status: 20 clients each GET /api/tickets/{number} (a kiosk's live lookup);
  3. fan-out: 200 WebSocket clients on /ws; a window calls; time from sending the call until the
     step.called event has reached every one of the 200 (repeated, median and max reported).

    uv run python bench/bench_hall.py [--clients 20] [--per-client 40] [--rate 200] [--displays 200] [--calls 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

REPO = Path(__file__).resolve().parent.parent
MATTERS = ["enroll", "contrib", "benefit", "card", "medical"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_config(folder: Path) -> Path:
    """The repo's config with opening hours off (the bench runs at any hour), daily caps out of the
    way of the run's tickets, no boards, silent voice."""
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace("enforce = true", "enforce = false")
    text = re.sub(r"daily_cap = \d+", "daily_cap = 9999", text)
    text = text.replace('engine = "espeak"', 'engine = "silent"')
    text = text.replace("[boards]\nenabled = true", "[boards]\nenabled = false")
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def prepare_accounts(config_path: Path, db: Path) -> tuple[str, str]:
    from onevisit.core.clock import SystemClock
    from onevisit.core.config import load_config
    from onevisit.db import open_database
    from onevisit.hall.stores.accounts import AccountStore

    config = load_config(config_path)
    hall_db = open_database(db, hall_code=config.hall.code)
    store = AccountStore(hall_db, config, SystemClock(config.hall.timezone))
    store.add_user("bench-super", "supervisor", "bench-password")
    token = store.add_kiosk("bench-kiosk")
    hall_db.dispose()
    return token, "bench-password"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def describe(name: str, latencies: list[float], elapsed: float) -> dict:
    ms = [v * 1000 for v in latencies]
    out = {
        "requests": len(ms),
        "rps": round(len(ms) / elapsed, 1),
        "p50_ms": round(pct(ms, 0.50), 1),
        "p99_ms": round(pct(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
    }
    print(
        f"{name:<20} {out['requests']:>5} req  {out['rps']:>7} req/s  p50 {out['p50_ms']:>6} ms  "
        f"p99 {out['p99_ms']:>6} ms  max {out['max_ms']:>6} ms",
        flush=True,
    )
    return out


class Connection:
    """One keep-alive HTTP/1.1 connection, as a kiosk or staff console holds.

    Deliberately bare: the load generator shares the hall PC's two cores with the server, and a
    full client (httpx spends a millisecond or more of CPU per request) would measure itself.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> Connection:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer, f"{host}:{port}")

    async def request(
        self, method: str, path: str, token: str, body: dict | None = None
    ) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        status_line, _, headers = (await self.reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in headers.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def load(
    url: str, clients: int, per_client: int, make_request, rate: float | None = None
) -> tuple[list[float], float]:
    """`clients` connections. Without a rate each sends back to back (no think time: the server's
    saturation, where latency is the queue in front of it). With a rate the clients together
    offer `rate` requests a second on a fixed schedule, and latency runs from the scheduled
    moment, so a slow answer also delays and is charged to the requests behind it."""
    latencies: list[float] = []
    conns = [await Connection.open(url) for _ in range(clients)]
    started = time.perf_counter()

    async def worker(c: int) -> None:
        for i in range(per_client):
            if rate is None:
                due = time.perf_counter()
            else:
                due = started + (i * clients + c) / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            status, body = await make_request(conns[c], c, i)
            latencies.append(time.perf_counter() - due)
            if status >= 400:
                raise RuntimeError(f"{status} {body.decode()}")

    try:
        await asyncio.gather(*(worker(c) for c in range(clients)))
        return latencies, time.perf_counter() - started
    finally:
        for conn in conns:
            conn.close()


async def fan_out(url: str, displays: int, calls: int, kiosk: str, staff: str) -> list[float]:
    ws_url = url.replace("http://", "ws://") + "/ws"
    conns = [await websockets.connect(ws_url, max_queue=None) for _ in range(displays)]
    results: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for i in range(calls):
                await http.post(
                    "/api/tickets",
                    json={"matters": ["contrib"], "idempotency_key": f"fan-{i}"},
                    headers={"Authorization": f"Bearer {kiosk}"},
                )
                # Window 4 serves contrib only; finish its previous citizen so it may call again.
                auth = {"Authorization": f"Bearer {staff}"}
                await http.post("/api/windows/4/start", headers=auth)
                await http.post("/api/windows/4/finish", headers=auth)
                await asyncio.sleep(0.3)  # let earlier events drain so each round times one call
                for ws in conns:  # drop what arrived before this call
                    while True:
                        try:
                            await asyncio.wait_for(ws.recv(), 0.001)
                        except TimeoutError:
                            break

                async def until_called(ws) -> float:
                    while True:
                        message = json.loads(await ws.recv())
                        if message["kind"] == "step.called" and message["window"] == 4:
                            return time.perf_counter()

                waiters = [asyncio.create_task(until_called(ws)) for ws in conns]
                sent = time.perf_counter()
                r = await http.post("/api/windows/4/call", headers=auth)
                if r.status_code != 200:
                    raise RuntimeError(r.text)
                arrivals = await asyncio.wait_for(asyncio.gather(*waiters), 10)
                results.append(max(arrivals) - sent)
    finally:
        for ws in conns:
            await ws.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=40)
    parser.add_argument(
        "--rate", type=float, default=200, help="requests/s all clients together offer in the paced run"
    )
    parser.add_argument("--displays", type=int, default=200)
    parser.add_argument("--calls", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-hall-") as tmp:
        folder = Path(tmp)
        config = bench_config(folder)
        db = folder / "hall.db"
        kiosk, password = prepare_accounts(config, db)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onevisit.commands.main",
                "hall",
                "--config",
                str(config),
                "--db",
                str(db),
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # an unread pipe would fill with access-log lines and stall it
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("hall server did not start")
                time.sleep(0.1)
            staff = httpx.post(
                f"{url}/api/auth/login", json={"username": "bench-super", "password": password}
            ).json()["token"]
            print(
                f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
            )
            print(f"{args.clients} clients × {args.per_client} requests each; {args.displays} /ws displays")

            def issuing(run: str):
                async def issue(conn, c, i):
                    body = {
                        "matters": [MATTERS[(c + i) % len(MATTERS)]],
                        "idempotency_key": f"{run}-{c}-{i}",
                    }
                    return await conn.request("POST", "/api/tickets", kiosk, body)

                return issue

            lat, elapsed = asyncio.run(load(url, args.clients, args.per_client, issuing("sat")))
            saturated = describe("issue, back to back", lat, elapsed)
            lat, elapsed = asyncio.run(
                load(url, args.clients, args.per_client, issuing("paced"), rate=args.rate)
            )
            paced = describe(f"issue, {args.rate:g}/s offered", lat, elapsed)
            numbers = [
                f"{p}{n:03d}" for p in "ABCDE" for n in range(1, args.clients * args.per_client // 5 + 1)
            ]

            async def lookup(conn, c, i):
                number = numbers[(c * 7 + i) % len(numbers)]
                return await conn.request("GET", f"/api/tickets/{number}", kiosk)

            lat, elapsed = asyncio.run(load(url, args.clients, args.per_client * 2, lookup))
            describe("status, back to back", lat, elapsed)

            fan = asyncio.run(fan_out(url, args.displays, args.calls, kiosk, staff))
            fan_ms = [v * 1000 for v in fan]
            print(
                f"call → all {args.displays} /ws displays: median {statistics.median(fan_ms):.1f} ms, "
                f"max {max(fan_ms):.1f} ms over {len(fan_ms)} calls"
            )
            for what, met in (
                (
                    f"issue p99 ≤ 50 ms, {args.clients} clients offering {args.rate:g}/s",
                    paced["p99_ms"] <= 50,
                ),
                (f"issue p99 ≤ 50 ms, {args.clients} clients back to back", saturated["p99_ms"] <= 50),
                (f"call to all {args.displays} displays ≤ 250 ms", max(fan_ms) <= 250),
            ):
                print(f"target {what}: {'met' if met else 'NOT met'}")
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
