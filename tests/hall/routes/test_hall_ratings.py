"""好差评 through the hall API: one rating per finished step, stale ratings refused."""

from __future__ import annotations


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


def test_a_window_the_hall_does_not_have_is_refused(client):
    r = client.get("/api/ratings/pending?window=99")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_window"
    assert r.json()["error"]["message_zh"] == "没有99号窗口"
    posted = client.post("/api/ratings", json={"window": 99, "score": 5})
    assert posted.status_code == 404 and posted.json()["error"]["code"] == "unknown_window"
