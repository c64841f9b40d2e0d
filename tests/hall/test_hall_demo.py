"""`onevisit demo` as a user runs it: starts, prints working accounts and URLs, stops on Ctrl-C."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from onevisit.commands.main import main
from onevisit.core.config import load_config
from onevisit.core.identity import parse_id
from onevisit.records.http_backend import HttpRecordsBackend

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_and_stops_cleanly(tmp_path):
    repo_config = __import__("onevisit.core.config", fromlist=["DEFAULT_CONFIG"]).DEFAULT_CONFIG
    config = tmp_path / "config.toml"
    shutil.copy(repo_config, config)
    # Silent voice keeps the test quiet and quick; everything else is the demo as shipped.
    config.write_text(config.read_text(encoding="utf-8").replace('engine = "espeak"', 'engine = "silent"'))
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "demo",
            "--config",
            str(config),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        banner = "".join(lines)
        assert f"http://127.0.0.1:{port}/display" in banner, banner
        password = re.search(r"staff\s+staff3\s+(\S+)", banner).group(1)
        token = re.search(r"Kiosk token \(demo-kiosk\): (\S+)", banner).group(1)
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/healthz").json() == {"ok": True}
        _pay_resident_pension(url, token, banner)
        # Opening hours hold at any hour: the demo clock starts at 09:00.
        issued = httpx.post(
            f"{url}/api/tickets",
            json={"matters": ["card"], "idempotency_key": "demo-1"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert issued.status_code == 201, issued.text
        login = httpx.post(f"{url}/api/auth/login", json={"username": "staff3", "password": password})
        staff = {"Authorization": f"Bearer {login.json()['token']}"}
        # 到号提醒: the demo's notices reach its SMS gateway simulator (number masked there).
        subscribed = httpx.post(
            f"{url}/api/tickets/D001/notify",
            json={"phone": "13912345678"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert subscribed.status_code == 201, subscribed.text
        assert httpx.post(f"{url}/api/windows/3/call", headers=staff).json()["ticket"]["number"] == "D001"
        gateway = re.search(r"SMS gateway\s+(http://127\.0\.0\.1:\d+)/sms", banner).group(1)
        sent = httpx.get(f"{gateway}/messages", params={"wait_for": 2, "timeout": 20}, timeout=30).json()
        assert [m["template"] for m in sent] == ["OV_NEAR", "OV_CALLED"]
        assert {m["to"] for m in sent} == {"139****5678"}
        # Window 3's emulated 呼叫器, pressed as the banner says: 呼叫 finishes D001 (then none wait).
        control = re.search(r"onevisit boards press (127\.0\.0\.1:\d+) ADDRESS KEY", banner).group(1)
        with ws_connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
            assert main(["boards", "press", control, "21", "call"]) == 0
            event = json.loads(ws.recv(timeout=20))
            while event["kind"] != "step.finished":
                event = json.loads(ws.recv(timeout=20))
        assert (event["number"], event["window"], event["actor"]) == ("D001", 3, "keypad:21+staff:staff3")
        assert (tmp_path / "var" / "demo" / "hall.db").is_file()
        # 刘德明's 09:30 booking is in the banner (masked) and checks in at once on the demo clock.
        assert "09:30  510107********3156" in banner and "510107195808083156" not in banner
        checked = httpx.post(
            f"{url}/api/appointments/checkin",
            json={"id_number": "510107195808083156", "idempotency_key": "demo-appt"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert checked.status_code == 201, checked.text
        assert checked.json()["slot"].endswith("09:30+08:00")
        # Records are a service of their own, and the demo's config points the kiosk at it.
        records_url = re.search(r"Records service (http://127\.0\.0\.1:\d+)", banner).group(1)
        demo_config = load_config(tmp_path / "var" / "demo" / "config.toml")
        assert (demo_config.records.type, demo_config.records.url) == ("http", records_url)
        with HttpRecordsBackend.from_config(demo_config) as records:
            assert records.find_person(parse_id("510107195808083156")).name == "刘德明"
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, rest
    assert "stopping" in rest
    messages = (tmp_path / "var" / "demo" / "sms" / "messages.jsonl").read_text(encoding="utf-8")
    assert "139****5678" in messages and "13912345678" not in messages


def _pay_resident_pension(url: str, token: str, banner: str) -> None:
    """The demo runs pay-sim and the hall settles from its notification: 周玉梅 pays this year."""
    import datetime as dt

    from onevisit.sim.records.demo_backend import demo_id

    assert "缴费平台 Payment simulator http://" in banner
    kiosk = {"Authorization": f"Bearer {token}"}
    who = demo_id("resident_pension").value
    made = httpx.post(
        f"{url}/api/payments/orders",
        json={"id_number": who, "year": dt.date.today().year, "amount": "500"},
        headers={**kiosk, "Idempotency-Key": "demo-pay-1"},
        timeout=30,
    )
    assert made.status_code == 200, made.text
    order = made.json()
    assert "支付成功" in httpx.post(order["pay_url"]).text
    # the notification travels pay-sim → hall on its own thread: ask until it has (bounded)
    for _ in range(300):
        state = httpx.get(f"{url}/api/payments/orders/{order['order_id']}", headers=kiosk).json()["state"]
        if state != "open":
            break
    assert state == "paid"
