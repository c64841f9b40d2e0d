"""A window's actions through the hall API: call, start, finish, transfer, recall, pause, open/close."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import both_engines
from tests.hall.hall_events import events

pytestmark = both_engines


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
    # 转出 is its own state: the enrollment was not finished at window 1.
    assert [(s["matter"], s["state"]) for s in steps] == [("enroll", "transferred"), ("benefit", "waiting")]
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


def test_transfer_with_return_and_the_finish_says_where_next(client, tokens, issue):
    """待遇申领 → 缴费 (需补缴) → back to 待遇申领, one number; each 完成 says where the citizen goes."""
    issue("benefit")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    client.post("/api/windows/1/start", headers=tokens.staff1)
    body = {"matter": "contrib", "reason": "需补缴", "return_after": True}
    moved = client.post("/api/windows/1/transfer", json=body, headers=tokens.staff1).json()["ticket"]
    assert [(s["matter"], s["state"]) for s in moved["steps"]] == [
        ("benefit", "transferred"),
        ("contrib", "waiting"),
        ("benefit", "pending"),
    ]
    assert client.post("/api/windows/4/call", headers=tokens.supervisor).json()["ticket"]["number"] == "C001"
    client.post("/api/windows/4/start", headers=tokens.supervisor)
    done = client.post("/api/windows/4/finish", headers=tokens.supervisor).json()
    assert done["ticket"]["number"] == "C001"
    assert done["next"]["matter"] == "benefit"
    assert done["next"]["name_zh"] == "待遇申领/核定"
    assert done["next"]["windows"] == [1, 2, 5, 6]
    back = client.get("/api/windows/6", headers=tokens.supervisor).json()["queue"]
    assert [(q["number"], q["returning"], q["transfer_reason"]) for q in back] == [("C001", True, "需补缴")]
    client.post("/api/windows/6/call", headers=tokens.supervisor)
    client.post("/api/windows/6/start", headers=tokens.supervisor)
    last = client.post("/api/windows/6/finish", headers=tokens.supervisor).json()
    assert last["next"] is None and last["ticket"]["state"] == "done"


def test_console_lists_the_waiting_queue_in_call_order_with_priority_in_words(client, tokens, issue, clock):
    issue("enroll")
    clock.advance(seconds=90)
    issue("card", declared="veteran", tag="人脸认证三次未通过")
    clock.advance(seconds=130)
    issue("contrib", id_number="11010519491231002X")  # born 1949: 年满70周岁
    queue = client.get("/api/windows/1", headers=tokens.staff1).json()["queue"]
    assert [q["number"] for q in queue] == ["D001", "B001", "A001"]
    veteran, elder, regular = queue
    assert (veteran["priority_label_zh"], veteran["tag"]) == ("军人/退役军人", "人脸认证三次未通过")
    assert elder["priority_label_zh"] == "年满70周岁" and elder["priority_reason"] == "age70"
    assert regular["priority_label_zh"] is None
    assert [q["waited_minutes"] for q in queue] == [2, 0, 3]
    # Window 4 serves contributions only.
    assert [q["number"] for q in client.get("/api/windows/4", headers=tokens.supervisor).json()["queue"]] == [
        "B001"
    ]
