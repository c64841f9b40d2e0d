"""Technicians' side: what a heartbeat, the /maintenance overview, redaction and doctor cost.

    uv run python bench/bench_maintenance.py

A hall server on a free port (no boards, silent voice) with 50 kiosks posting heartbeats; a real
virtual printer for one kiosk's full round (status query + POST); figures printed as a table.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from onevisit.core import logs
from onevisit.core.config import load_config
from onevisit.devices.printer import Printer
from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from onevisit.hall.stores import accounts
from onevisit.kiosk.hall_client import HallClient
from onevisit.kiosk.heartbeat import DeviceProbe, KioskHeartbeat
from onevisit.sim.printer.virtual import VirtualPrinter

KIOSKS = 50


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[int(len(values) * 0.95) - 1]
    return f"median {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def main() -> None:
    logging.disable(logging.WARNING)
    accounts._SCRYPT_N = 2**10  # account set-up only; nothing measured depends on it
    tmp = Path(tempfile.mkdtemp())
    config = load_config().model_copy(update={"base_dir": tmp})
    app = create_app(config, db_path=tmp / "hall.db", callout=None)
    store = app.state.hall.accounts
    store.add_user("tech", "technician", "bench-pass")
    tokens = [store.add_kiosk(f"kiosk-{i}") for i in range(KIOSKS)]
    rows = []
    with ServerThread(app) as server, VirtualPrinter(tmp / "printer") as vp:
        url = server.url
        devices = {
            "printer": {"state": "ok", "paper": "ok", "url": "tcp://10.0.0.9"},
            "camera": {"state": "ok", "url": "camera://0", "detail": "640x480"},
            "card_reader": {"state": "ok", "url": "serial:///dev/ttyUSB0", "detail": "no card"},
        }
        with httpx.Client(base_url=url) as http:
            times = []
            for round_ in range(6):
                for i, token in enumerate(tokens):
                    body = {"kiosk": f"kiosk-{i}", "devices": devices, "version": "0.1.0"}
                    if round_ == 3 and i % 10 == 0:  # a state change now and then: an event row
                        body["devices"] = {
                            **devices,
                            "printer": {"state": "warning", "code": "paper_near_end"},
                        }
                    started = time.perf_counter()
                    http.post(
                        "/api/kiosks/heartbeat", json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                    times.append(time.perf_counter() - started)
            rows.append((f"POST heartbeat ({KIOSKS} kiosks x 6, hall side)", ms(times)))
            per_second = len(times) / sum(times)
            rows.append(("heartbeats handled per second (one client)", f"{per_second:.0f}/s"))
            tech = {
                "Authorization": "Bearer "
                + http.post("/api/auth/login", json={"username": "tech", "password": "bench-pass"}).json()[
                    "token"
                ]
            }
            times = []
            for _ in range(30):
                started = time.perf_counter()
                http.get("/api/maintenance/overview", headers=tech).raise_for_status()
                times.append(time.perf_counter() - started)
            rows.append((f"GET overview ({KIOSKS} kiosks, {KIOSKS * 3} devices)", ms(times)))
        client = HallClient(url, tokens[0], kiosk="kiosk-0")
        printer = Printer(config.printer, url=vp.url)
        beat = KioskHeartbeat(client, DeviceProbe(printer=printer, printer_url=vp.url))
        times = []
        for _ in range(30):
            started = time.perf_counter()
            beat.beat_once()
            times.append(time.perf_counter() - started)
        rows.append(("kiosk beat_once (DLE EOT x4 + POST)", ms(times)))
        client.close()
        m = app.state.maintenance
        started = time.perf_counter()
        for _ in range(100):
            m.check_once()
        rows.append(
            ("monitor check (50 kiosks, no boards)", f"{(time.perf_counter() - started) * 10:.2f} ms")
        )
    line = "card 11010519491231002X read for name=张三丰 at kiosk-3; printer paper near end"
    started = time.perf_counter()
    for _ in range(20000):
        logs.redact(line)
    rows.append(("redact one log line", f"{(time.perf_counter() - started) / 20000 * 1e6:.1f} µs"))
    width = max(len(r[0]) for r in rows)
    for name, figure in rows:
        print(f"{name:<{width}}  {figure}")


if __name__ == "__main__":
    main()
