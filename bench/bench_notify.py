"""到号提醒 benchmark: a call → the "called" notice accepted by the SMS gateway simulator, with 200
subscribed tickets.

The hall app (create_app, real clock, notices to `sms+http://…/sms` signed with a secret) and
`onevisit sms-gateway-sim`'s app each run under uvicorn on a thread of this process. 200 tickets
(spread over the five matters) are issued and subscribed through the kiosk route; then window 1
calls, starts and finishes one ticket after another. Each call is stamped just before its POST; the
gateway stamps the moment it accepts the "called" message for that number. After every finish a
new ticket is issued and subscribed, so 200 subscriptions are active at every call. Also printed:
the watcher's decision time per queue event (NoticeWatch._decide over every active subscription).

    uv run python bench/bench_notify.py [--subscribed 200] [--calls 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from bench_hall import MATTERS, bench_config

SECRET = "bench-gateway-secret"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribed", type=int, default=200)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()

    from onevisit.core.config import NotifyConfig, load_config
    from onevisit.hall.app import create_app
    from onevisit.hall.server import ServerThread
    from onevisit.sim.sms_gateway import create_gateway_app

    folder = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    gateway_app = create_gateway_app(folder / "gateway", SECRET)
    gateway = ServerThread(gateway_app).start()
    state = gateway_app.state.gateway
    accepted: dict[str, float] = {}  # ticket number → when the gateway accepted its "called" notice
    accepted_changed = threading.Condition()
    record = state.record

    def stamped(line: dict) -> None:
        record(line)
        if line.get("template") == "OV_CALLED":
            with accepted_changed:
                accepted[line["params"]["number"]] = time.perf_counter()
                accepted_changed.notify_all()

    state.record = stamped

    config = load_config(bench_config(folder))
    config = config.model_copy(
        update={"base_dir": folder, "notify": NotifyConfig(url=f"sms+{gateway.url}/sms", secret=SECRET)}
    )
    app = create_app(config, db_path=folder / "hall.db", callout=None)
    watch = app.state.notices
    decide = watch._decide
    decide_ms: list[float] = []

    def timed_decide(*a):
        t0 = time.perf_counter()
        try:
            return decide(*a)
        finally:
            decide_ms.append((time.perf_counter() - t0) * 1000)

    watch._decide = timed_decide
    hall = ServerThread(app).start()
    accounts = app.state.hall.accounts
    kiosk_token = accounts.add_kiosk("bench-kiosk")
    accounts.add_user("bench-staff", "staff", "bench-password-1", window=1)
    kiosk = httpx.Client(base_url=hall.url, headers={"Authorization": f"Bearer {kiosk_token}"}, timeout=30)
    token = httpx.post(
        f"{hall.url}/api/auth/login", json={"username": "bench-staff", "password": "bench-password-1"}
    ).json()["token"]
    staff = httpx.Client(base_url=hall.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    issued = 0

    def issue_and_subscribe() -> None:
        nonlocal issued
        issued += 1
        r = kiosk.post(
            "/api/tickets",
            json={"matters": [MATTERS[issued % len(MATTERS)]], "idempotency_key": f"b{issued}"},
        )
        r.raise_for_status()
        number = r.json()["ticket"]["number"]
        phone = f"139{issued:08d}"
        kiosk.post(f"/api/tickets/{number}/notify", json={"phone": phone}).raise_for_status()

    t0 = time.perf_counter()
    for _ in range(args.subscribed):
        issue_and_subscribe()
    setup_s = time.perf_counter() - t0
    decide_ms.clear()

    latencies: list[float] = []
    call_ms: list[float] = []
    for _ in range(args.calls):
        sent = time.perf_counter()
        r = staff.post("/api/windows/1/call")
        r.raise_for_status()
        call_ms.append((time.perf_counter() - sent) * 1000)
        number = r.json()["ticket"]["number"]
        with accepted_changed:
            if not accepted_changed.wait_for(lambda n=number: n in accepted, 30):
                raise SystemExit(f"no 'called' notice for {number} within 30 s")
            latencies.append((accepted[number] - sent) * 1000)
        staff.post("/api/windows/1/start").raise_for_status()
        staff.post("/api/windows/1/finish").raise_for_status()
        issue_and_subscribe()  # keep the subscriptions at --subscribed
    active = len(app.state.hall.notices.active(app.state.hall.clock.now().date().isoformat()))

    print(
        f"到号提醒 bench — {platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}"
    )
    print(
        f"setup: {args.subscribed} tickets issued and subscribed in {setup_s:.1f} s; {active} active at the end"
    )
    print(
        f"call → 'called' notice accepted by the gateway ({len(latencies)} calls): "
        f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )
    print(
        f"POST /call answered: p50 {percentile(call_ms, 0.5):.1f} ms, p99 {percentile(call_ms, 0.99):.1f} ms"
    )
    print(
        f"watcher decision per queue event over {args.subscribed} subscriptions ({len(decide_ms)} events): "
        f"mean {statistics.mean(decide_ms):.2f} ms, p99 {percentile(decide_ms, 0.99):.2f} ms"
    )
    print(f"messages accepted by the gateway: {len(state.messages)}")
    kiosk.close()
    staff.close()
    hall.stop()
    gateway.stop()


if __name__ == "__main__":
    main()
