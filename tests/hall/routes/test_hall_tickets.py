"""Tickets through the hall API: issue (idempotent, no ID number kept), refusals, check-in, add matter, cancel."""

from __future__ import annotations

import pytest

from tests.conftest import both_engines
from tests.hall.hall_events import events

pytestmark = both_engines


def test_issue_is_idempotent_and_hides_the_id_number(client, tokens):
    body = {"matters": ["enroll", "card"], "idempotency_key": "kiosk-1:42", "id_number": "11010519491231002X"}
    first = client.post("/api/tickets", json=body, headers=tokens.kiosk)
    assert first.status_code == 201
    data = first.json()
    assert data["created"] is True
    assert data["ticket"]["number"] == "A001"
    assert data["ticket"]["person_masked"] == "110105********002X"
    assert "11010519491231002X" not in first.text
    assert data["status_url"] == f"http://127.0.0.1:8600/t/A001?c={data['ticket']['short_code']}"
    assert data["position"]["ahead"] == 0 and data["position"]["windows"] == [1, 2, 3]
    again = client.post("/api/tickets", json=body, headers=tokens.kiosk)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["ticket"]["number"] == "A001"
    assert len(events(client, "ticket.issued")) == 1
    assert events(client, "ticket.issued")[0].actor == "kiosk:kiosk-1"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"matters": [], "idempotency_key": "a"}, 422, "invalid_request", "matters"),
        ({"matters": ["enroll"]}, 422, "invalid_request", "idempotency_key"),
        ({"matters": ["enroll"], "idempotency_key": "a", "colour": "red"}, 422, "invalid_request", "colour"),
        ({"matters": "enroll", "idempotency_key": "a"}, 422, "invalid_request", "matters"),
        ({"matters": ["nope"], "idempotency_key": "a"}, 422, "unknown_matter", None),
        ({"matters": ["enroll", "enroll"], "idempotency_key": "a"}, 422, "duplicate_matter", None),
        (
            {"matters": ["enroll"], "idempotency_key": "a", "id_number": "110105194912310021"},
            400,
            "id_check_digit",
            None,
        ),
        (
            {"matters": ["enroll"], "idempotency_key": "a", "declared": "vip"},
            422,
            "bad_priority_declaration",
            None,
        ),
    ],
)
def test_bad_issue_requests_are_refused_with_a_named_reason_and_write_nothing(
    client, tokens, body, status, code, field
):
    r = client.post("/api/tickets", json=body, headers=tokens.kiosk)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]
    if field:
        assert field in [f["field"] for f in error["details"]["fields"]]
        assert field in error["message_en"]
    assert events(client) == []


def test_malformed_json_is_invalid_request(client, tokens):
    r = client.post(
        "/api/tickets", content=b"{not json", headers={**tokens.kiosk, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_unknown_path_is_a_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_skip_then_checkin_at_the_kiosk(client, tokens, issue):
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    skipped = client.post("/api/windows/1/skip", headers=tokens.staff1).json()["ticket"]
    assert skipped["state"] == "missed"
    assert client.get("/api/status").json()["missed"] == ["A001"]
    r = client.post("/api/tickets/A001/checkin", headers=tokens.kiosk)
    assert r.status_code == 200
    assert r.json()["ticket"]["state"] == "waiting"
    again = client.post("/api/tickets/A001/checkin", headers=tokens.kiosk)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ticket_not_missed"


def test_add_matter_and_cancel(client, tokens, issue):
    issue("enroll")
    r = client.post("/api/tickets/A001/matters", json={"matter": "medical"}, headers=tokens.staff1)
    assert [s["matter"] for s in r.json()["ticket"]["steps"]] == ["enroll", "medical"]
    r = client.post("/api/tickets/A001/cancel", headers=tokens.supervisor)
    assert r.json()["ticket"]["state"] == "cancelled"
    r = client.post("/api/tickets/A001/cancel", headers=tokens.supervisor)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "ticket_closed"
