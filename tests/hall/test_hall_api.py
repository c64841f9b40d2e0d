"""Every operation of the hall API through HTTP, on a real queue service and SQLite database."""

from __future__ import annotations

import threading

import pytest


def events(client, kind=None):
    out = client.app.state.hall.service.events_since(0, 10_000)
    return [e for e in out if kind is None or e.kind == kind]


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


def test_a_visit_through_two_windows(client, tokens, issue, clock):
    issue("enroll", "card", tag="参保证明打印失败：纸尽")
    # Window 1: call, recall (after the minimum interval), start, finish.
    r = client.post("/api/windows/1/call", headers=tokens.staff1)
    assert r.status_code == 200
    assert r.json()["ticket"]["number"] == "A001"
    assert r.json()["window"]["current_number"] == "A001"
    view = client.get("/api/windows/1", headers=tokens.staff1).json()
    assert view["ticket"]["tag"] == "参保证明打印失败：纸尽"
    assert {m["code"]: m["waiting"] for m in view["waiting"]}["enroll"] == 0
    too_soon = client.post("/api/windows/1/recall", headers=tokens.staff1)
    assert too_soon.status_code == 429
    assert too_soon.json()["error"]["code"] == "recall_too_soon"
    assert too_soon.headers["retry-after"]
    clock.advance(seconds=31)
    assert client.post("/api/windows/1/recall", headers=tokens.staff1).status_code == 200
    assert client.post("/api/windows/1/start", headers=tokens.staff1).json()["ticket"]["state"] == "serving"
    done = client.post("/api/windows/1/finish", json={"outcome": "enrolled"}, headers=tokens.staff1)
    assert done.status_code == 200
    ticket = done.json()["ticket"]
    # One number for the whole visit: the same ticket now waits for its next matter.
    assert ticket["number"] == "A001"
    assert ticket["current_matter"] == "card"
    assert [s["state"] for s in ticket["steps"]] == ["done", "waiting"]
    assert done.json()["window"]["current_number"] is None
    # Window 2 (also serves cards) takes it on and finishes the visit.
    assert client.post("/api/windows/2/call", headers=tokens.staff2).json()["ticket"]["number"] == "A001"
    client.post("/api/windows/2/start", headers=tokens.staff2)
    final = client.post("/api/windows/2/finish", headers=tokens.staff2).json()["ticket"]
    assert final["state"] == "done"
    actors = {(e.kind, e.actor) for e in events(client)}
    assert ("step.finished", "staff:wang") in actors
    assert ("step.finished", "staff:li") in actors


def test_transfer_carries_reason_and_note_to_the_next_window(client, tokens, issue):
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    client.post("/api/windows/1/start", headers=tokens.staff1)
    body = {"matter": "benefit", "placement": "front", "reason": "需核定待遇", "note": "材料已收齐"}
    r = client.post("/api/windows/1/transfer", json=body, headers=tokens.staff1)
    assert r.status_code == 200, r.text
    steps = r.json()["ticket"]["steps"]
    assert [(s["matter"], s["state"]) for s in steps] == [("enroll", "done"), ("benefit", "waiting")]
    assert steps[1]["transfer_reason"] == "需核定待遇"
    assert steps[1]["transfer_note"] == "材料已收齐"
    assert steps[1]["from_window"] == 1
    # Window 5 serves benefits; its staff (here the supervisor) sees the note with the called ticket.
    called = client.post("/api/windows/5/call", headers=tokens.supervisor).json()["ticket"]
    assert called["number"] == "A001"
    view = client.get("/api/windows/5", headers=tokens.supervisor).json()
    assert view["ticket"]["steps"][1]["transfer_note"] == "材料已收齐"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"matter": "benefit", "placement": "front"}, "reason"),
        ({"matter": "benefit", "placement": "sideways", "reason": "x"}, "placement"),
        ({"placement": "front", "reason": "x"}, "matter"),
        ({"matter": "benefit", "reason": "x", "note": "n" * 501}, "note"),
    ],
)
def test_bad_transfer_names_the_field_and_changes_nothing(client, tokens, issue, body, field):
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    before = client.get("/api/tickets/A001", headers=tokens.staff1).json()["ticket"]
    r = client.post("/api/windows/1/transfer", json=body, headers=tokens.staff1)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    assert field in [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert client.get("/api/tickets/A001", headers=tokens.staff1).json()["ticket"] == before


def test_transfer_to_an_unknown_matter_is_refused_by_the_queue_and_changes_nothing(client, tokens, issue):
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    n_events = len(events(client))
    r = client.post(
        "/api/windows/1/transfer", json={"matter": "astrology", "reason": "x"}, headers=tokens.staff1
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "unknown_matter"
    assert len(events(client)) == n_events
    assert client.get("/api/windows/1", headers=tokens.staff1).json()["ticket"]["state"] == "called"


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


def test_call_a_particular_number(client, tokens, issue):
    issue("enroll")
    issue("enroll")
    r = client.post("/api/windows/1/call/A002", headers=tokens.staff1)
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["number"] == "A002"


def test_nothing_waiting_is_a_clear_404(client, tokens):
    r = client.post("/api/windows/1/call", headers=tokens.staff1)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "nothing_waiting"


def test_pause_resume_and_supervisor_open_close(client, tokens, issue):
    issue("contrib")
    assert client.post("/api/windows/1/pause", headers=tokens.staff1).json()["window"]["state"] == "paused"
    r = client.post("/api/windows/1/call", headers=tokens.staff1)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "window_paused"
    assert client.post("/api/windows/1/resume", headers=tokens.staff1).json()["window"]["state"] == "open"
    assert (
        client.post("/api/windows/4/close", headers=tokens.supervisor).json()["window"]["state"] == "closed"
    )
    avail = {m["code"]: m for m in client.get("/api/availability").json()["matters"]}
    assert 4 not in avail["contrib"]["windows"]
    assert avail["contrib"]["materials_zh"] and avail["contrib"]["name_en"]
    assert client.post("/api/windows/4/open", headers=tokens.supervisor).json()["window"]["state"] == "open"
    kinds = [e.kind for e in events(client) if e.kind.startswith("window.")]
    assert kinds == ["window.paused", "window.resumed", "window.closed", "window.opened"]


def test_supervisor_sees_every_queue(client, tokens, issue):
    issue("enroll")
    issue("benefit")
    q = client.get("/api/queues", headers=tokens.supervisor).json()
    assert q["availability"]["enroll"]["waiting"] == 1
    assert q["availability"]["benefit"]["waiting"] == 1
    assert len(q["status"]["windows"]) == 6


def test_public_ticket_status_needs_the_printed_code(client, tokens, issue):
    code = issue("enroll", "card", id_number="11010519491231002X")["ticket"]["short_code"]
    r = client.get(f"/api/public/tickets/A001?c={code}")
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "waiting" and body["current_matter"] == "enroll"
    assert [s["matter"] for s in body["steps"]] == ["enroll", "card"]
    assert "person_masked" not in r.text and "110105" not in r.text
    wrong = client.get("/api/public/tickets/A001?c=WRONG1")
    assert wrong.status_code == 404
    assert wrong.json()["error"]["code"] == "ticket_not_found"
    assert client.get("/api/public/tickets/A001").status_code == 422


def test_status_shows_calls_and_counts_but_no_person(client, tokens, issue):
    issue("enroll", id_number="11010519491231002X")
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    s = client.get("/api/status").json()
    assert s["recent_calls"][0]["number"] == "A001" and s["recent_calls"][0]["window"] == 1
    assert {m["code"]: m["waiting"] for m in s["matters"]}["enroll"] == 1
    assert "staff" not in s["windows"][0]
    assert "110105" not in client.get("/api/status").text
    # The TV shows the hall's clock (here the injected 09:00 in Shanghai), not the browser's.
    assert s["now"] == "2026-11-23T09:00:00+08:00" and s["utc_offset_minutes"] == 480


def test_double_tap_with_one_key_calls_one_citizen(client, tokens, issue):
    issue("enroll")
    issue("enroll")
    headers = {**tokens.staff1, "Idempotency-Key": "press-1"}
    first = client.post("/api/windows/1/call", headers=headers)
    second = client.post("/api/windows/1/call", headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["ticket"]["number"] == second.json()["ticket"]["number"] == "A001"
    assert len(events(client, "step.called")) == 1
    # A new press (new key) is a new request: the window is busy with A001.
    third = client.post("/api/windows/1/call", headers={**tokens.staff1, "Idempotency-Key": "press-2"})
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "window_busy"


def test_concurrent_duplicate_calls_call_one_citizen(app, client, tokens, issue):
    for _ in range(3):
        issue("enroll")
    headers = {**tokens.staff1, "Idempotency-Key": "press-race"}
    results = []
    barrier = threading.Barrier(4)

    def press():
        barrier.wait()
        results.append(client.post("/api/windows/1/call", headers=headers))

    threads = [threading.Thread(target=press) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [r.status_code for r in results] == [200] * 4
    assert {r.json()["ticket"]["number"] for r in results} == {"A001"}
    assert len(events(client, "step.called")) == 1


def finish_and_wait(client, headers, window=1):
    """Finish at the window and wait, like the tablet, for the step.finished event on /ws."""
    with client.websocket_connect("/ws") as ws:
        number = client.post(f"/api/windows/{window}/finish", headers=headers).json()["ticket"]["number"]
        while True:
            event = ws.receive_json()
            if event["kind"] == "step.finished" and event["number"] == number:
                return


def test_one_rating_per_finished_step(client, tokens, issue):
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    client.post("/api/windows/1/start", headers=tokens.staff1)
    assert (
        client.post("/api/ratings", json={"window": 1, "score": 5}).json()["error"]["code"]
        == "nothing_to_rate"
    )
    finish_and_wait(client, tokens.staff1)
    prompt = client.get("/api/ratings/pending?window=1").json()["prompt"]
    assert prompt["number"] == "A001" and prompt["matter"] == "enroll"
    r = client.post("/api/ratings", json={"window": 1, "score": 4, "step_id": prompt["step_id"]})
    assert r.status_code == 201
    assert r.json()["step_id"] == prompt["step_id"]
    again = client.post("/api/ratings", json={"window": 1, "score": 1, "step_id": prompt["step_id"]})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_rated"
    assert client.get("/api/ratings/pending?window=1").json()["prompt"] is None
    summary = client.get("/api/ratings/summary", headers=tokens.supervisor).json()
    assert summary["windows"] == [{"window": 1, "ratings": 1, "mean": 4.0, "bad": 0}]
    bad = client.post("/api/ratings", json={"window": 1, "score": 6})
    assert bad.status_code == 422 and "score" in bad.json()["error"]["message_en"]


def test_a_stale_rating_is_refused(client, tokens, issue):
    issue("enroll")
    issue("enroll")
    for _ in range(2):
        client.post("/api/windows/1/call", headers=tokens.staff1)
        client.post("/api/windows/1/start", headers=tokens.staff1)
        finish_and_wait(client, tokens.staff1)
    prompt = client.get("/api/ratings/pending?window=1").json()["prompt"]
    assert prompt["number"] == "A002"
    r = client.post("/api/ratings", json={"window": 1, "score": 3, "step_id": prompt["step_id"] - 1})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "rating_stale"
