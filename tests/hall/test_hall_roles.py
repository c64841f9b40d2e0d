"""Every API operation against every role: who may act, who gets 401, who gets 403."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ROLES = [None, "kiosk", "staff1", "staff2", "supervisor", "technician"]
WINDOW_1 = {"staff1", "supervisor"}
ANY_STAFF = {"staff1", "staff2", "supervisor"}
TRANSFER = {"matter": "card", "placement": "original", "reason": "needs a new card"}
BOOKING = {"id_number": "510107195808083156", "matters": ["benefit"], "slot": "2026-11-23T10:00"}

# (method, path, body, roles allowed). A ticket A001 exists before each request.
OPERATIONS = [
    ("POST", "/api/tickets", {"matters": ["enroll"], "idempotency_key": "roles-1"}, {"kiosk", "supervisor"}),
    ("GET", "/api/tickets/A001", None, {"kiosk"} | ANY_STAFF),
    ("POST", "/api/tickets/A001/checkin", None, {"kiosk"} | ANY_STAFF),
    ("POST", "/api/tickets/A001/matters", {"matter": "card"}, ANY_STAFF),
    ("POST", "/api/tickets/A001/move", TRANSFER, {"supervisor"}),
    ("POST", "/api/tickets/A001/cancel", None, ANY_STAFF),
    ("GET", "/api/windows/1", None, WINDOW_1),
    ("POST", "/api/windows/1/call", None, WINDOW_1),
    ("POST", "/api/windows/1/call/A001", None, WINDOW_1),
    ("POST", "/api/windows/1/recall", None, WINDOW_1),
    ("POST", "/api/windows/1/skip", None, WINDOW_1),
    ("POST", "/api/windows/1/start", None, WINDOW_1),
    ("POST", "/api/windows/1/finish", None, WINDOW_1),
    ("POST", "/api/windows/1/transfer", TRANSFER, WINDOW_1),
    ("POST", "/api/windows/1/pause", None, WINDOW_1),
    ("POST", "/api/windows/1/resume", None, WINDOW_1),
    ("POST", "/api/windows/1/open", None, {"supervisor"}),
    ("POST", "/api/windows/1/close", None, {"supervisor"}),
    ("GET", "/api/queues", None, {"supervisor"}),
    ("GET", "/api/auth/me", None, {"kiosk", "staff1", "staff2", "supervisor", "technician"}),
    ("GET", "/api/ratings/summary", None, {"supervisor"}),
    ("POST", "/api/appointments", BOOKING, {"supervisor"}),
    ("GET", "/api/appointments", None, {"supervisor"}),
    ("POST", "/api/appointments/1/cancel", None, {"supervisor"}),
    ("POST", "/api/appointments/import", {"csv": "id_number,matters,slot\n"}, {"supervisor"}),
    (
        "POST",
        "/api/appointments/checkin",
        {"id_number": "510107195808083156", "idempotency_key": "roles-c"},
        {"kiosk", "supervisor"},
    ),
]


def _case_id(op, role):
    return f"{op[0]} {op[1]} as {role or 'anonymous'}"


CASES = [(op, role) for op in OPERATIONS for role in ROLES]


@pytest.fixture(scope="module")
def hall_once(tmp_path_factory):
    """One hall for the whole table: the role check comes before any state, so sharing is sound."""
    from fastapi.testclient import TestClient

    from onevisit.core.clock import FixedClock
    from onevisit.core.config import load_config
    from onevisit.hall.app import create_app

    base = tmp_path_factory.mktemp("roles")
    config = load_config(Path(__file__).resolve().parents[2] / "config.toml").model_copy(
        update={"base_dir": base}
    )
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    app = create_app(config, db_path=base / "hall.db", clock=clock, callout=None)
    store = app.state.hall.accounts
    with TestClient(app) as client:
        store.add_user("wang", "staff", "pw-wang-1", window=1)
        store.add_user("li", "staff", "pw-li-22", window=2)
        store.add_user("zhao", "supervisor", "pw-zhao-3")
        store.add_user("chen", "technician", "pw-chen-4")
        headers = {"kiosk": {"Authorization": f"Bearer {store.add_kiosk('kiosk-1')}"}}
        for role, (name, pw) in {
            "staff1": ("wang", "pw-wang-1"),
            "staff2": ("li", "pw-li-22"),
            "supervisor": ("zhao", "pw-zhao-3"),
            "technician": ("chen", "pw-chen-4"),
        }.items():
            token = client.post("/api/auth/login", json={"username": name, "password": pw}).json()["token"]
            headers[role] = {"Authorization": f"Bearer {token}"}
        r = client.post(
            "/api/tickets", json={"matters": ["enroll"], "idempotency_key": "a1"}, headers=headers["kiosk"]
        )
        assert r.status_code == 201
        yield client, headers


@pytest.mark.parametrize(("op", "role"), CASES, ids=[_case_id(op, role) for op, role in CASES])
def test_role_boundary(hall_once, op, role):
    client, headers = hall_once
    method, path, body, allowed = op
    r = client.request(method, path, json=body, headers=headers[role] if role else {})
    error = r.json().get("error", {}) if r.headers["content-type"].startswith("application/json") else {}
    if role is None:
        assert r.status_code == 401, r.text
        assert error["code"] == "not_authenticated"
        assert error["message_zh"] and error["message_en"]
    elif role in allowed:
        assert r.status_code not in (401, 403), r.text
    else:
        assert r.status_code == 403, r.text
        expected = "wrong_window" if role == "staff2" and "staff1" in allowed else "forbidden_role"
        assert error["code"] == expected


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/status", "/api/availability", "/api/ratings/pending?window=1"]
)
def test_public_reads_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_staff_of_window_1_cannot_call_for_window_2_and_nothing_happens(client, tokens, issue):
    issue("enroll")
    r = client.post("/api/windows/2/call", headers=tokens.staff1)
    assert r.status_code == 403
    assert r.json()["error"]["details"] == {"window": 2, "own_window": 1}
    # The refused call left the ticket waiting and wrote no event.
    assert client.get("/api/tickets/A001", headers=tokens.staff1).json()["ticket"]["state"] == "waiting"
    assert not [e for e in client.app.state.hall.service.events_since(0) if e.kind == "step.called"]


def test_supervisor_acts_for_any_window_and_is_named_in_the_event(client, tokens, issue):
    issue("contrib")
    r = client.post("/api/windows/4/call", headers=tokens.supervisor)
    assert r.status_code == 200, r.text
    called = [e for e in client.app.state.hall.service.events_since(0) if e.kind == "step.called"]
    assert [(e.actor, e.window, e.number) for e in called] == [("supervisor:zhao", 4, "B001")]


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"Authorization": "Bearer ovs_not-a-real-token"}, "token_invalid"),
        ({"Authorization": "Bearer ovk_not-a-real-token"}, "token_invalid"),
        ({"Authorization": "Basic d2FuZzp4"}, "not_authenticated"),
        ({"Authorization": "Bearer "}, "not_authenticated"),
    ],
)
def test_bad_tokens_are_401(client, tokens, header, code):
    r = client.post("/api/windows/1/call", headers=header)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == code
    assert r.headers["www-authenticate"] == "Bearer"


def test_expired_login_token_is_401(client, tokens, clock, hall_config):
    assert client.get("/api/auth/me", headers=tokens.staff1).status_code == 200
    clock.advance(minutes=hall_config.security.token_minutes - 1)
    assert client.get("/api/auth/me", headers=tokens.staff1).status_code == 200
    clock.advance(minutes=2)
    r = client.post("/api/windows/1/call", headers=tokens.staff1)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_expired"
    # A kiosk's device token lives much longer than a login.
    assert client.get("/api/auth/me", headers=tokens.kiosk).status_code == 200


def test_expired_kiosk_token_is_401(client, tokens, clock, hall_config):
    clock.advance(days=hall_config.security.kiosk_token_days, seconds=1)
    r = client.post(
        "/api/tickets", json={"matters": ["enroll"], "idempotency_key": "x"}, headers=tokens.kiosk
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_expired"


def test_logout_ends_the_token(client, tokens):
    assert client.post("/api/auth/logout", headers=tokens.staff1).status_code == 200
    r = client.get("/api/auth/me", headers=tokens.staff1)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_invalid"


def test_technician_cannot_see_a_citizens_ticket(client, tokens, issue):
    issue("enroll", id_number="11010519491231002X")
    r = client.get("/api/tickets/A001", headers=tokens.technician)
    assert r.status_code == 403
    assert "110105" not in r.text
