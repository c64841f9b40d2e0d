"""The hall feeds every event to the call-out (boards and voice) and serves the /verify router."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onevisit.hall.app import create_app

pytestmark = pytest.mark.timeout(60)


def test_calls_reach_the_boards_content_even_with_the_board_link_down(hall_config, clock, db_path):
    # Boards enabled on a port that does not exist, voice silent: a dead board never stops a call.
    config = hall_config.model_copy(
        update={
            "voice": hall_config.voice.model_copy(update={"engine": "silent"}),
            "boards": hall_config.boards.model_copy(update={"enabled": True, "port": "var/no-such-link"}),
        }
    )
    app = create_app(config, db_path=db_path, clock=clock, poll_seconds=0.05)
    callout = app.state.callout
    assert callout is not None, "onevisit.hall.live.callout is on main; the hall must use it"
    store = app.state.hall.accounts
    store.add_user("wang", "staff", "pw-wang-1", window=3)
    kiosk = store.add_kiosk("k")
    with TestClient(app) as client:
        token = client.post("/api/auth/login", json={"username": "wang", "password": "pw-wang-1"}).json()[
            "token"
        ]
        client.post(
            "/api/tickets",
            json={"matters": ["card"], "idempotency_key": "1"},
            headers={"Authorization": f"Bearer {kiosk}"},
        )
        with client.websocket_connect("/ws") as ws:
            r = client.post("/api/windows/3/call", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200
            while ws.receive_json()["kind"] != "step.called":
                pass
        shown = {address: s.text for address, s in callout.content.current().items()}
        assert any("D001" in text for text in shown.values()), shown


def test_certificate_verify_route_is_served(client):
    r = client.post("/api/verify-cert", json={"payload": "not a certificate"})
    assert r.status_code == 200 and r.json()["valid"] is False  # a verdict, not a server error
    assert client.get("/verify").status_code == 200
