"""Kiosk figures: cold start to the home screen, and touch-to-ticket with the virtual printer.

Cold start runs `onevisit kiosk`'s own path in a fresh process each time (Kivy import, offscreen
window, font, kv rules, every screen built, first home frame drawn). Touch-to-ticket taps "get my
number" on the take screen and stops when the ticket screen shows "printed": the queue issue
(the real QueueService behind the hall's HTTP API shape is not on main yet, so the hall round trip
is measured by the hall's own benchmark) plus the ESC/POS job to a running virtual printer.

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
from onevisit.config import load_config
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


def touch_to_ticket(runs: int) -> list[float]:
    sys.path.insert(0, str(REPO))
    from onevisit.kiosk.kivy_setup import prepare

    prepare((1080, 1920), offscreen=True)
    import datetime as dt
    from zoneinfo import ZoneInfo

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from onevisit.clock import FixedClock
    from onevisit.config import load_config
    from onevisit.devices.printer.virtual import VirtualPrinter
    from onevisit.kiosk.app import KioskApp, KioskDevices
    from onevisit.kiosk.printing import KioskPrinter
    from onevisit.queue import QueueService

    config = load_config()
    tmp = Path(tempfile.mkdtemp())
    queue = QueueService.open(
        config,
        db_path=tmp / "hall.db",
        clock=FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))),
    )
    times = []
    with VirtualPrinter(tmp / "paper") as vp:
        app = KioskApp(
            config, KioskDevices(hall=None, printer=KioskPrinter(vp.url, config)), realtime_idle=False
        )
        EventLoop.ensure_window()
        Window.add_widget(app.build())
        for i in range(runs):
            app.go_home()
            app.session.matters = ["enroll"]
            t0 = time.perf_counter()
            result = queue.issue(["enroll"], idempotency_key=f"bench-{i}", source="kiosk:bench")
            app.session.ticket = result.ticket.to_dict()
            app.session.position = queue.position(result.ticket).to_dict()
            app.session.status_url = f"{config.hall.public_url}/t/{result.ticket.number}"
            app.go("ticket")
            screen = app.screen("ticket")
            while screen.outcome is None or screen.outcome.state == "printing":
                EventLoop.idle()
            EventLoop.idle()
            times.append(time.perf_counter() - t0)
            assert screen.outcome.ok, screen.outcome
        vp.wait_for_jobs(runs, timeout=30)
    return times


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
    ticket = touch_to_ticket(args.runs * 4)
    print(
        f"touch-to-ticket (issue + screen + print to virtual printer): median {statistics.median(ticket) * 1000:.0f} ms, "
        f"p90 {sorted(ticket)[int(len(ticket) * 0.9) - 1] * 1000:.0f} ms over {len(ticket)} tickets"
    )


if __name__ == "__main__":
    main()
