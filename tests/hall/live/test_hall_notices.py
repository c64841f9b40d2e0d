"""到号提醒 end to end: the hall's notices reach the SMS gateway simulator over real HTTP."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading

import httpx
import pytest

from onevisit.core.config import NotifyConfig
from onevisit.devices.notify import Notice, NotifyError
from onevisit.devices.notify.sms_http import HttpSmsNotifier
from onevisit.devices.notify.wechat import WeChatNotifier
from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from onevisit.sim.sms_gateway import create_gateway_app

SECRET = "gateway-shared-secret"
PHONE = "13812341234"


@pytest.fixture
def gateway(tmp_path):
    app = create_gateway_app(tmp_path / "gateway", SECRET)
    server = ServerThread(app).start()
    yield server.url, app.state.gateway
    server.stop()


@pytest.fixture
def notify_config(hall_config, gateway):
    url, _ = gateway
    notify = NotifyConfig(url=f"sms+{url}/sms", secret=SECRET, ahead=3)
    return hall_config.model_copy(update={"notify": notify})


@pytest.fixture
def app(notify_config, clock, db_path):
    """The conftest's hall app, with notices on (the conftest's client/tokens/issue use this)."""
    return create_app(
        notify_config, db_path=db_path, clock=clock, poll_seconds=0.05, expire_seconds=3600, callout=None
    )


class Attempts:
    """Each send attempt's (outbox id, delivered?), recorded after the outbox row was updated."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, bool]] = []
        self._changed = threading.Condition()

    def __call__(self, outbox_id: int, delivered: bool) -> None:
        with self._changed:
            self.seen.append((outbox_id, delivered))
            self._changed.notify_all()

    def wait(self, count: int, timeout: float = 15) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.seen) >= count, timeout)


@pytest.fixture
def attempts(app) -> Attempts:
    recorder = Attempts()
    app.state.notices.on_attempt = recorder
    return recorder


def subscribe(client, tokens, number: str, phone: str = PHONE):
    return client.post(f"/api/tickets/{number}/notify", json={"phone": phone}, headers=tokens.kiosk)


def serve_next(client, headers, window: int = 1) -> dict:
    called = client.post(f"/api/windows/{window}/call", headers=headers)
    assert called.status_code == 200, called.text
    for action in ("start", "finish"):
        r = client.post(f"/api/windows/{window}/{action}", headers=headers)
        assert r.status_code == 200, r.text
    return called.json()


def test_five_ahead_gets_one_near_and_one_called_notice(client, tokens, issue, gateway, app, attempts):
    _, state = gateway
    numbers = [issue("enroll")["ticket"]["number"] for _ in range(6)]
    r = subscribe(client, tokens, numbers[-1], phone="１３８ 1234 1234")  # full-width, spaces
    assert r.status_code == 201, r.text
    assert r.json()["to"] == "138****1234" and PHONE not in r.text
    for _ in range(5):
        serve_next(client, tokens.staff1)
    called = client.post("/api/windows/1/call", headers=tokens.staff1)
    assert called.json()["ticket"]["number"] == numbers[-1]
    assert attempts.wait(2), state.messages
    near, call = state.messages
    assert (near["template"], near["params"]["ahead"], near["to"]) == ("OV_NEAR", "3", "138****1234")
    assert (call["template"], call["params"]) == ("OV_CALLED", {"number": numbers[-1], "window": "1"})
    # Everything that could have made a notice happened before the call: nothing else is queued.
    day = app.state.hall.clock.now().date().isoformat()
    sent = app.state.hall.notices.sent(day)
    assert [(n["kind"], bool(n["delivered_at"])) for n in sent] == [("near", True), ("called", True)]
    assert not any(m.get("duplicate") for m in state.messages)


def test_a_skipped_citizen_is_told_how_to_check_in_again(client, tokens, issue, gateway):
    _, state = gateway
    number = issue("enroll")["ticket"]["number"]
    assert subscribe(client, tokens, number).status_code == 201
    client.post("/api/windows/1/call", headers=tokens.staff1)
    client.post("/api/windows/1/skip", headers=tokens.staff1)
    assert state.wait_for(3, timeout=15), state.messages  # near (0 ahead), called, skipped
    kinds = [m["template"] for m in state.messages]
    assert kinds == ["OV_NEAR", "OV_CALLED", "OV_SKIPPED"]
    assert "过号重排" in state.messages[-1]["params"]["how"]


def test_a_gateway_that_is_down_delays_notices_never_a_call(
    client, tokens, issue, gateway, app, clock, attempts
):
    url, state = gateway
    httpx.post(f"{url}/control", json={"mode": "fail"})
    numbers = [issue("enroll")["ticket"]["number"] for _ in range(3)]
    assert subscribe(client, tokens, numbers[-1]).status_code == 201
    first = client.post("/api/windows/1/call", headers=tokens.staff1)
    assert first.status_code == 200  # the call went out although the gateway refuses
    assert attempts.wait(1) and attempts.seen[-1][1] is False
    assert state.messages == []
    # Still down: the queue goes on.
    assert client.post("/api/windows/1/start", headers=tokens.staff1).status_code == 200
    httpx.post(f"{url}/control", json={"mode": "ok"})
    clock.advance(seconds=2)  # past the first backoff (1 s)
    app.state.notices.wake()
    assert attempts.wait(2), state.messages
    assert state.messages[0]["template"] == "OV_NEAR"
    row = app.state.hall.notices.sent(clock.now().date().isoformat())[0]
    assert row["attempts"] == 2 and row["delivered_at"] and "503" in row["last_error"]


def test_a_slow_gateway_holds_a_notice_while_calls_go_on(client, tokens, issue, gateway):
    url, state = gateway
    httpx.post(f"{url}/control", json={"mode": "delay", "delay_seconds": 3})
    numbers = [issue("enroll")["ticket"]["number"] for _ in range(2)]
    assert subscribe(client, tokens, numbers[0]).status_code == 201
    client.post("/api/windows/1/call", headers=tokens.staff1)  # A001 called: "called" notice in flight
    assert state.holding.wait(15)  # the gateway is holding a notice …
    r = client.post("/api/windows/2/call", headers=tokens.staff2)  # … when window 2 calls the next citizen
    assert r.status_code == 200 and r.json()["ticket"]["number"] == numbers[1]
    assert state.in_flight == 1  # still held: the call did not wait for it
    assert state.wait_for(1, timeout=15)


def test_no_notice_after_the_visit_ends_and_the_number_is_erased(
    client, tokens, issue, gateway, app, db_path
):
    _, state = gateway
    numbers = [issue("enroll")["ticket"]["number"] for _ in range(6)]
    assert subscribe(client, tokens, numbers[-1]).status_code == 201
    r = client.post(f"/api/tickets/{numbers[-1]}/cancel", headers=tokens.supervisor)
    assert r.status_code == 200, r.text
    for _ in range(5):
        serve_next(client, tokens.staff1)
    assert state.messages == []
    conn = sqlite3.connect(db_path)
    row = conn.execute("SELECT address_enc, masked, ended_at FROM notify_subscriptions").fetchone()
    assert row[0] is None and row[1] == "138****1234" and row[2]


def test_a_hall_running_past_midnight_erases_yesterdays_numbers(client, tokens, issue, app, clock, db_path):
    number = issue("enroll")["ticket"]["number"]
    assert subscribe(client, tokens, number).status_code == 201
    app.state.notices.erase_past_days()  # the same day: nothing to erase
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT address_enc FROM notify_subscriptions").fetchone()[0] is not None
    clock.advance(hours=16)  # 01:00 the next day, the server never restarted
    app.state.notices.erase_past_days()  # what the sender does on each pass
    row = conn.execute("SELECT address_enc, masked, ended_at FROM notify_subscriptions").fetchone()
    assert row[0] is None and row[1] == "138****1234" and row[2]


@pytest.mark.parametrize(
    "phone, code",
    [
        ("1381234123", "bad_phone"),
        ("23812341234", "bad_phone"),
        ("138-1234-123x", "bad_phone"),
        ("", "bad_phone"),
    ],
)
def test_a_bad_number_is_refused_bilingually_and_nothing_is_kept(client, tokens, issue, phone, code, db_path):
    number = issue("enroll")["ticket"]["number"]
    r = subscribe(client, tokens, number, phone=phone)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert (
        error["code"] == code and "手机号码" in error["message_zh"] and "Mobile number" in error["message_en"]
    )
    assert sqlite3.connect(db_path).execute("SELECT count(*) FROM notify_subscriptions").fetchone()[0] == 0


def test_the_phone_page_subscribes_with_the_printed_code(client, issue, gateway):
    ticket = issue("enroll")["ticket"]
    wrong = client.post(f"/api/public/tickets/{ticket['number']}/notify", json={"c": "nope", "phone": PHONE})
    assert wrong.status_code in (403, 404)
    ok = client.post(
        f"/api/public/tickets/{ticket['number']}/notify", json={"c": ticket["short_code"], "phone": PHONE}
    )
    assert ok.status_code == 201 and ok.json()["to"] == "138****1234"


def test_no_full_number_in_logs_events_or_the_database_file(
    client, tokens, issue, gateway, app, db_path, caplog, tmp_path
):
    _, state = gateway
    caplog.set_level(logging.DEBUG)
    numbers = [issue("enroll")["ticket"]["number"] for _ in range(2)]
    assert subscribe(client, tokens, numbers[-1]).status_code == 201
    serve_next(client, tokens.staff1)
    client.post("/api/windows/1/call", headers=tokens.staff1)
    assert state.wait_for(2, timeout=15)
    events = app.state.hall.service.events_since(0, 10_000)
    assert PHONE not in json.dumps([e.to_dict(with_changes=True) for e in events], ensure_ascii=False)
    assert PHONE not in caplog.text
    assert PHONE not in (tmp_path / "gateway" / "messages.jsonl").read_text(encoding="utf-8")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(FULL)")
    conn.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PHONE.encode() not in path.read_bytes(), path


def test_the_gateway_refuses_a_bad_signature(gateway):
    url, state = gateway
    good = HttpSmsNotifier(f"{url}/sms", SECRET, "社保服务大厅")
    forged = HttpSmsNotifier(f"{url}/sms", "not-the-secret", "社保服务大厅")
    notice = Notice("sms", PHONE, "near", "OV_NEAR", {"number": "A001", "ahead": "3"})
    with pytest.raises(NotifyError):
        forged.send(notice, "r-1")
    assert state.refused == 1 and state.messages == []
    good.send(notice, "r-2")
    assert state.messages[0]["to"] == "138****1234"


def test_wechat_template_messages_reach_the_simulated_api(gateway):
    url, state = gateway
    notifier = WeChatNotifier(url, "wx-demo", "wechat-demo-secret")
    notifier.send(
        Notice("wechat", "oXyZ-openid-123", "called", "TPL_CALLED", {"number": "A001", "window": "3"})
    )
    assert state.messages[0] == {
        "channel": "wechat",
        "to": "oXyZ…",
        "template": "TPL_CALLED",
        "params": {"number": "A001", "window": "3"},
        "link": "",
        "request_id": None,
    }
    with pytest.raises(NotifyError):
        WeChatNotifier(url, "wx-demo", "wrong-secret").send(Notice("wechat", "oXyZ-1", "near", "T", {}))
