"""Public reads of the hall API: a ticket by its printed code, the hall status without personal data."""

from __future__ import annotations


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


def test_a_missed_number_leaves_the_recent_calls_and_shows_under_missed(client, tokens, issue):
    """过号: A001 no longer heads the TV as "A001 → 1号窗口" while also listed as missed."""
    issue("enroll")
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    client.post("/api/windows/1/skip", headers=tokens.staff1)
    client.post("/api/windows/1/call", headers=tokens.staff1)
    s = client.get("/api/status").json()
    assert [c["number"] for c in s["recent_calls"]] == ["A002"]
    assert s["missed"] == ["A001"]
    # Back after re-check-in and called again: it heads the list again.
    client.post("/api/tickets/A001/checkin", headers=tokens.staff1)
    client.post("/api/windows/1/skip", headers=tokens.staff1)
    client.post("/api/windows/1/call/A001", headers=tokens.staff1)
    assert client.get("/api/status").json()["recent_calls"][0]["number"] == "A001"


def test_status_says_whether_the_tv_shows_a_language_button(client, hall_config):
    assert client.get("/api/status").json()["display"] == {"language_button": False}
    assert hall_config.hall.display.language_button is False
