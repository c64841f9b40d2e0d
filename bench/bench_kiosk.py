"""Kiosk figures: cold start to the home screen, and touch-to-ticket with the virtual printer.

Cold start runs `onevisit kiosk`'s own path in a fresh process each time (Kivy import, offscreen
window, font, kv rules, every screen built, first home frame drawn). Touch-to-ticket touches "get
my number" on the take screen and stops when the ticket screen shows "printed": the hall round
trip (a real hall server over HTTP) plus the ESC/POS job to a running virtual printer.

    uv run python bench/bench_kiosk.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

COLD = r"""
import time, os
t0 = time.perf_counter()
from onevisit.kiosk.kivy_setup import prepare
prepare((1080, 1920), offscreen=True)
from onevisit.core.config import load_config
from onevisit.kiosk.app import KioskApp, KioskDevices
from onevisit.kiosk.printing import KioskPrinter
from kivy.base import EventLoop
from kivy.core.window import Window
config = load_config()
app = KioskApp(config, KioskDevices(hall=None, printer=KioskPrinter(None, config)))
EventLoop.ensure_window()
Window.add_widget(app.build())
for _ in range(2):
    EventLoop.idle()
print(time.perf_counter() - t0)
"""


def cold_start(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        env = dict(os.environ, KIVY_HOME=tempfile.mkdtemp(), KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1")
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", COLD], cwd=REPO, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if res.returncode:
            raise SystemExit(res.stderr)
        out.append((float(res.stdout.strip().splitlines()[-1]), wall))
    return out


def touch_to_ticket(runs: int) -> tuple[list[float], list[float]]:
    """A touch on "get my number" → POST /api/tickets to a real hall server (create_app under
    uvicorn on a free port, kiosk token from the hall's own accounts) → ticket screen → ESC/POS
    job accepted by a running virtual printer. Also the hall round trip alone, for the breakdown."""
    sys.path.insert(0, str(REPO))
    from onevisit.kiosk.kivy_setup import prepare

    prepare((1080, 1920), offscreen=True)
    import datetime as dt
    import socket
    import threading
    from zoneinfo import ZoneInfo

    import uvicorn
    from kivy.base import EventLoop
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from onevisit.core.clock import FixedClock
    from onevisit.core.config import load_config
    from onevisit.hall.app import create_app
    from onevisit.kiosk.app import KioskApp, KioskDevices
    from onevisit.kiosk.hall_client import HallClient
    from onevisit.kiosk.printing import KioskPrinter
    from onevisit.sim.printer.virtual import VirtualPrinter

    config = load_config()
    tmp = Path(tempfile.mkdtemp())
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    hall_app = create_app(config, db_path=tmp / "hall.db", clock=clock, callout=None)
    token = hall_app.state.hall.accounts.add_kiosk("bench")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(hall_app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)  # a benchmark script, not a test: waiting for the server to bind
    hall = HallClient(f"http://127.0.0.1:{port}", token, kiosk="bench")
    times, round_trips = [], []
    with VirtualPrinter(tmp / "paper") as vp:
        app = KioskApp(
            config, KioskDevices(hall=hall, printer=KioskPrinter(vp.url, config)), realtime_idle=False
        )
        EventLoop.ensure_window()
        Window.add_widget(app.build())
        for _ in range(runs):
            app.go_home()
            app.session.purpose = "take"
            app.session.matters = ["enroll"]
            app.go("take")
            while app.busy:
                EventLoop.idle()
            EventLoop.idle()
            confirm = app.screen("take").confirm
            x, y = confirm.to_window(*confirm.center)
            t0 = time.perf_counter()
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()
            screen = app.screen("ticket")
            while app.sm.current != "ticket" or screen.outcome is None or screen.outcome.state == "printing":
                EventLoop.idle()
            EventLoop.idle()
            times.append(time.perf_counter() - t0)
            assert screen.outcome.ok, screen.outcome
        vp.wait_for_jobs(runs, timeout=30)
        for i in range(runs):
            t0 = time.perf_counter()
            hall.take_ticket(["contrib"], f"bench-rt-{i}")
            round_trips.append(time.perf_counter() - t0)
    server.should_exit = True
    return times, round_trips


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold = cold_start(args.runs)
    inner = [c[0] for c in cold]
    wall = [c[1] for c in cold]
    print(
        f"cold start to home screen (in process): median {statistics.median(inner):.2f} s, "
        f"min {min(inner):.2f} s, max {max(inner):.2f} s over {len(inner)} runs"
    )
    print(f"cold start incl. interpreter start:     median {statistics.median(wall):.2f} s")
    ticket, rt = touch_to_ticket(args.runs * 4)
    print(
        f"touch-to-ticket (touch -> hall HTTP issue -> ticket screen -> virtual printer): "
        f"median {statistics.median(ticket) * 1000:.0f} ms, "
        f"p90 {sorted(ticket)[int(len(ticket) * 0.9) - 1] * 1000:.0f} ms over {len(ticket)} tickets"
    )
    print(
        f"hall round trip alone (POST /api/tickets, new key): median {statistics.median(rt) * 1000:.0f} ms, "
        f"p90 {sorted(rt)[int(len(rt) * 0.9) - 1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
