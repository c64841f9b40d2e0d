"""The /ws event stream: local writes, writes by other processes, auto-skip, and replay on reconnect."""

from __future__ import annotations

import pytest

from onevisit.queue import QueueService
from tests.conftest import both_engines

# On PostgreSQL the hub's poll is 30 s (a safety net): another process's write must reach the
# displays through LISTEN/NOTIFY, within the timeout.
pytestmark = [pytest.mark.timeout(30), both_engines]


def receive_until(ws, kind):
    while True:
        message = ws.receive_json()
        if message["kind"] == kind:
            return message


def test_a_call_reaches_every_connected_client_without_personal_data(client, tokens, issue):
    issue("enroll", id_number="11010519491231002X")
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        client.post("/api/windows/1/call", headers=tokens.staff1)
        for ws in (a, b):
            event = receive_until(ws, "step.called")
            assert (event["number"], event["window"], event["actor"]) == ("A001", 1, "staff:wang")
            assert "changes" not in event["data"]
            assert "110105" not in str(event)


def test_writes_by_another_process_reach_the_displays(client, tokens, issue, hall_config, db_path, clock):
    """A CLI command on the same database is another writer; the hub's poll (SQLite) or a NOTIFY
    (PostgreSQL) picks it up."""
    issue("enroll")
    other = QueueService.open(hall_config, db_path=db_path, clock=clock)
    try:
        with client.websocket_connect("/ws") as ws:
            other.call_next(3, actor="cli")
            event = receive_until(ws, "step.called")
            assert (event["number"], event["window"], event["actor"]) == ("A001", 3, "cli")
    finally:
        other.close()


def test_unanswered_calls_are_auto_skipped_by_the_hall(client, tokens, issue, clock, hall_config):
    issue("enroll")
    with client.websocket_connect("/ws") as ws:
        client.post("/api/windows/1/call", headers=tokens.staff1)
        clock.advance(seconds=hall_config.recall.auto_skip_seconds + 1)
        event = receive_until(ws, "step.skipped")
        assert event["actor"] == "system:auto-skip"
        assert event["data"]["outcome"] == "no_show_timeout"
    assert client.get("/api/status").json()["missed"] == ["A001"]


def test_a_reconnecting_client_gets_what_it_missed(client, tokens, issue):
    issue("enroll")
    issue("enroll")
    with client.websocket_connect("/ws") as ws:
        client.post("/api/windows/1/call", headers=tokens.staff1)
        last = receive_until(ws, "step.called")["id"]
    client.post("/api/windows/1/skip", headers=tokens.staff1)
    client.post("/api/windows/1/call", headers=tokens.staff1)
    with client.websocket_connect(f"/ws?since={last}") as ws:
        hello = ws.receive_json()
        assert (hello["kind"], hello["resync"]) == ("stream.hello", False)
        assert ws.receive_json()["kind"] == "step.skipped"
        replayed = ws.receive_json()
        assert (replayed["kind"], replayed["number"]) == ("step.called", "A002")


def test_rating_prompt_survives_a_restart(hall_config, clock, db_path, tokens, client, issue):
    from fastapi.testclient import TestClient

    from onevisit.hall.app import create_app

    issue("enroll")
    for action in ("call", "start", "finish"):
        client.post(f"/api/windows/1/{action}", headers=tokens.staff1)
    client.__exit__(None, None, None)  # the first server stops
    again = create_app(hall_config, db_path=db_path, clock=clock, poll_seconds=0.05, callout=None)
    with TestClient(again) as c2:
        prompt = c2.get("/api/ratings/pending?window=1").json()["prompt"]
        assert prompt["number"] == "A001"
        assert c2.post("/api/ratings", json={"window": 1, "score": 5}).status_code == 201
