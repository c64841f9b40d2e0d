"""The supervisor's view of every queue through the hall API."""

from __future__ import annotations


def test_supervisor_sees_every_queue(client, tokens, issue):
    issue("enroll")
    issue("benefit")
    q = client.get("/api/queues", headers=tokens.supervisor).json()
    assert q["availability"]["enroll"]["waiting"] == 1
    assert q["availability"]["benefit"]["waiting"] == 1
    assert len(q["status"]["windows"]) == 6
