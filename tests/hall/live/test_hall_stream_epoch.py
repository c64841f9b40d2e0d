"""The event stream across a database reset or restore: the epoch tells a client its last id is
from another database, so it resyncs instead of dropping every new event (db/epoch.py)."""

from __future__ import annotations

import shutil

import httpx
import pytest
from fastapi.testclient import TestClient

from onevisit.db.backup import online_backup
from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from tests.hall.conftest import PASSWORD, login

pytestmark = pytest.mark.timeout(60)


def receive_until(ws, kind):
    while True:
        message = ws.receive_json()
        if message["kind"] == kind:
            return message


def hall_app(hall_config, db_path, clock):
    return create_app(hall_config, db_path=db_path, clock=clock, poll_seconds=0.05, callout=None)


def test_hello_and_every_event_carry_the_epoch(client, tokens, issue):
    epoch = client.app.state.hall.service.epoch()
    issue("enroll")
    with client.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
        assert hello == {"kind": "stream.hello", "epoch": epoch, "last_id": hello["last_id"], "resync": False}
        client.post("/api/windows/1/call", headers=tokens.staff1)
        assert receive_until(ws, "step.called")["epoch"] == epoch


@pytest.mark.parametrize("query", ["?since=2&epoch=0123456789abcdef", "?since=999", "?since=999&epoch=SAME"])
def test_a_client_from_another_database_is_told_to_resync_and_gets_no_replay(client, tokens, issue, query):
    """Another epoch, or a last id past the newest one here (an older copy restored): no backlog
    (its ids would be read against the wrong database), `resync` instead."""
    issue("enroll")
    issue("enroll")
    client.post("/api/windows/1/call", headers=tokens.staff1)
    epoch = client.app.state.hall.service.epoch()
    with client.websocket_connect("/ws" + query.replace("SAME", epoch)) as ws:
        hello = ws.receive_json()
        assert (hello["kind"], hello["resync"], hello["epoch"]) == ("stream.hello", True, epoch)
        client.post("/api/windows/2/call", headers=tokens.staff2)
        # the next message is the new call, not a replay of the events after `since`
        event = ws.receive_json()
        assert (event["kind"], event["window"]) == ("step.called", 2)


def test_a_client_of_this_database_gets_its_missed_events(client, tokens, issue):
    issue("enroll")
    epoch = client.app.state.hall.service.epoch()
    with client.websocket_connect(f"/ws?since=0&epoch={epoch}") as ws:
        assert ws.receive_json()["resync"] is False
        assert receive_until(ws, "ticket.issued")["id"] == 1


def test_a_hall_restarted_on_a_restored_backup_has_a_new_epoch(hall_config, tmp_path, clock):
    db_path = tmp_path / "hall.db"  # a file copy restored by hand: SQLite's case
    """Ids after a restore fall back to the backup's; the old (epoch, id) must not match them."""
    with TestClient(hall_app(hall_config, db_path, clock)) as c1:
        store = c1.app.state.hall.accounts
        store.add_user("wang", "staff", PASSWORD, window=1)
        kiosk = {"Authorization": f"Bearer {store.add_kiosk('kiosk-1')}"}
        for key in ("k1", "k2"):
            c1.post("/api/tickets", json={"matters": ["enroll"], "idempotency_key": key}, headers=kiosk)
        online_backup(db_path, tmp_path / "backup.db")
        for key in ("k3", "k4", "k5"):
            c1.post("/api/tickets", json={"matters": ["enroll"], "idempotency_key": key}, headers=kiosk)
        with c1.websocket_connect("/ws") as ws:
            seen = ws.receive_json()
        old_epoch, old_last = seen["epoch"], seen["last_id"]
    shutil.copyfile(tmp_path / "backup.db", db_path)  # the technician's restore
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    with (
        TestClient(hall_app(hall_config, db_path, clock)) as c2,
        c2.websocket_connect(f"/ws?since={old_last}&epoch={old_epoch}") as ws,
    ):
        hello = ws.receive_json()
        assert hello["epoch"] != old_epoch and hello["resync"] is True
        assert hello["last_id"] < old_last
        c2.post("/api/windows/1/call", headers=login(c2, "wang"))
        event = receive_until(ws, "step.called")
        assert event["id"] <= old_last  # what a client keeping its old last id would drop
        assert event["epoch"] == hello["epoch"]


@pytest.mark.slow
def test_the_display_shows_calls_after_the_hall_restarts_on_a_fresh_database(
    browser, hall_config, db_path, clock, tmp_path, screens_dir
):
    """The TV (1920×1080) saw ids up to N on the old database; on the fresh one the first call has
    a small id, and it shows."""
    from playwright.sync_api import expect

    def start(path, port=0):
        server = ServerThread(hall_app(hall_config, path, clock), port=port).start()
        store = server.app.state.hall.accounts
        store.add_user("wang", "staff", PASSWORD, window=1)
        return server, {"Authorization": f"Bearer {store.add_kiosk('kiosk-1')}"}

    def staff(url):
        r = httpx.post(f"{url}/api/auth/login", json={"username": "wang", "password": PASSWORD})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    server, kiosk = start(db_path)
    try:
        url, port = server.url, server.port
        display = browser.new_page(viewport={"width": 1920, "height": 1080})
        display.goto(f"{url}/display")
        expect(display.locator("#conn")).to_be_hidden(timeout=5000)
        auth = staff(url)
        for i in range(4):  # event ids climb to a dozen on the old database
            httpx.post(
                f"{url}/api/tickets", json={"matters": ["enroll"], "idempotency_key": f"o{i}"}, headers=kiosk
            )
            called = httpx.post(f"{url}/api/windows/1/call", headers=auth).json()["ticket"]["number"]
            expect(display.locator("#latest-call")).to_contain_text(called, timeout=5000)
            httpx.post(f"{url}/api/windows/1/skip", headers=auth)
        assert called == "A004"

        server.stop()
        expect(display.locator("#conn")).to_be_visible(timeout=5000)
        server, kiosk = start(tmp_path / "fresh.db", port=port)  # a fresh database, same address
        expect(display.locator("#conn")).to_be_hidden(timeout=20000)
        # the old database's calls are gone from the board once it resynced
        expect(display.locator("#latest-call")).not_to_contain_text("A004", timeout=5000)
        httpx.post(f"{url}/api/tickets", json={"matters": ["enroll"], "idempotency_key": "n1"}, headers=kiosk)
        r = httpx.post(f"{url}/api/windows/1/call", headers=staff(url))
        assert r.status_code == 200, r.text
        assert r.json()["ticket"]["number"] == "A001"
        expect(display.locator("#latest-call")).to_contain_text("A001", timeout=5000)
        expect(display.locator("#latest-call")).to_contain_text("1号窗口")
        display.screenshot(path=str(screens_dir / "display-after-fresh-database.png"))
    finally:
        server.stop()
