"""/maintenance's API: the heartbeat contract, roles, alerts, silent kiosks, commands, the log."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from fastapi.testclient import TestClient

from onevisit.core.clock import FixedClock
from onevisit.hall.app import create_app
from tests.hall.maintenance.conftest import PASSWORD

FULL_ID = "11010519491231002X"


def beat(url, token, devices=None, **extra):
    return httpx.post(
        f"{url}/api/kiosks/heartbeat",
        json={"kiosk": "kiosk-1", "devices": devices or {}, **extra},
        headers={"Authorization": f"Bearer {token}"},
    )


PRINTER_NEAR_END = {
    "state": "warning",
    "code": "paper_near_end",
    "paper": "near_end",
    "url": "tcp://10.0.0.9",
}


def test_roles_kiosk_beats_technician_reads_others_are_refused(hall):
    assert beat(hall.url, hall.kiosk_token).status_code == 200
    assert (
        httpx.post(f"{hall.url}/api/kiosks/heartbeat", json={"kiosk": "x"}, headers=hall.tech).status_code
        == 403
    )
    assert httpx.get(f"{hall.url}/api/maintenance/overview").status_code == 401
    r = httpx.get(f"{hall.url}/api/maintenance/overview", headers=hall.staff3)
    assert r.status_code == 403 and r.json()["error"]["message_zh"]
    kiosk = {"Authorization": f"Bearer {hall.kiosk_token}"}
    assert httpx.get(f"{hall.url}/api/maintenance/overview", headers=kiosk).status_code == 403
    assert (
        httpx.post(f"{hall.url}/api/maintenance/kiosks/kiosk-1/test-print", headers=kiosk).status_code == 403
    )
    assert httpx.get(f"{hall.url}/maintenance").status_code == 200  # the page itself asks for a login


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kiosk": "kiosk-1", "devices": {"printer": {"state": "on fire"}}}, "devices.printer.state"),
        ({"kiosk": "kiosk-1", "devices": {"fax": {"state": "ok"}}}, "devices.fax"),
        (
            {"kiosk": "kiosk-1", "devices": {"printer": {"state": "ok", "detail": "x" * 301}}},
            "devices.printer.detail",
        ),
        ({"kiosk": "kiosk-1", "devices": {}, "surprise": 1}, "surprise"),
        ({"devices": {}}, "kiosk"),
        # past SQLite's integer range: was an OverflowError and a 500 (found by the fuzz test)
        ({"kiosk": "kiosk-1", "devices": {}, "results": [{"id": 2**75, "ok": False}]}, "results[0].id"),
        (
            {"kiosk": "kiosk-1", "devices": {"card_reader": {"state": "ok", "bad_frames": 2**64}}},
            "bad_frames",
        ),
    ],
)
def test_a_bad_heartbeat_is_refused_with_the_field_named_and_changes_nothing(hall, body, field):
    r = httpx.post(
        f"{hall.url}/api/kiosks/heartbeat", json=body, headers={"Authorization": f"Bearer {hall.kiosk_token}"}
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and field in error["message_en"] and error["message_zh"]
    assert hall.overview()["kiosks"][0]["heartbeat"] is None


def test_a_heartbeat_shows_every_device_with_since_and_its_alert(hall):
    devices = {
        "printer": PRINTER_NEAR_END,
        "camera": {
            "state": "error",
            "code": "camera_unavailable",
            "url": "camera://0",
            "detail": "no camera",
        },
        "card_reader": {"state": "ok", "url": "serial:///dev/ttyUSB0", "detail": "no card"},
    }
    r = beat(hall.url, hall.kiosk_token, devices, version="0.1.0")
    assert r.status_code == 200 and r.json()["commands"] == [] and r.json()["kiosk"] == "kiosk-1"
    view = hall.overview()
    [kiosk] = view["kiosks"]
    assert kiosk["heartbeat"]["version"] == "0.1.0"
    states = {d["kind"]: d for d in kiosk["devices"]}
    assert states["printer"]["state"] == "warning" and states["printer"]["info"]["paper"] == "near_end"
    assert states["camera"]["recent_errors"][0]["code"] == "camera_unavailable"
    assert {(a["device"], a["code"], a["severity"]) for a in view["alerts"]} == {
        ("kiosk:kiosk-1/printer", "paper_near_end", "warning"),
        ("kiosk:kiosk-1/camera", "camera_unavailable", "error"),
    }
    assert view["alerts"][0]["code"] == "camera_unavailable"  # errors before warnings
    since = states["printer"]["since"]
    # The same state again keeps its "since"; fixing it clears the alert.
    beat(hall.url, hall.kiosk_token, devices)
    assert {d["kind"]: d for d in hall.overview()["kiosks"][0]["devices"]}["printer"]["since"] == since
    devices["printer"] = {"state": "ok", "paper": "ok"}
    devices["camera"] = {"state": "ok", "url": "camera://0"}
    beat(hall.url, hall.kiosk_token, devices)
    assert hall.overview()["alerts"] == []


def test_no_citizen_data_reaches_the_page(hall):
    leaky = {"state": "error", "code": "card_garbled", "detail": f"card {FULL_ID} name=张三丰"}
    beat(
        hall.url,
        hall.kiosk_token,
        {"card_reader": leaky},
        last_error={"at": "2026-11-23T09:00:00+08:00", "message": f"lookup {FULL_ID} 姓名：张三丰 failed"},
    )
    text = json.dumps(hall.overview(), ensure_ascii=False)
    assert FULL_ID not in text and "张三丰" not in text
    assert "110105********002X" in text and "张*丰" in text


def test_a_kiosk_silent_for_over_a_minute_raises_an_alert_and_a_beat_clears_it(tech_config, tmp_path):
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    app = create_app(tech_config, db_path=tmp_path / "h.db", clock=clock, callout=None)
    with TestClient(app) as client:
        store = app.state.hall.accounts
        store.add_user("tech", "technician", PASSWORD)
        kiosk = {"Authorization": f"Bearer {store.add_kiosk('kiosk-1')}"}
        tech = {
            "Authorization": "Bearer "
            + client.post("/api/auth/login", json={"username": "tech", "password": PASSWORD}).json()["token"]
        }
        m = app.state.maintenance
        m.check_once()
        assert (
            client.get("/api/maintenance/overview", headers=tech).json()["kiosks"][0]["state"]["state"]
            == "unknown"
        )
        client.post("/api/kiosks/heartbeat", json={"kiosk": "kiosk-1", "devices": {}}, headers=kiosk)
        clock.advance(59)
        m.check_once()
        assert client.get("/api/maintenance/overview", headers=tech).json()["alerts"] == []
        clock.advance(2)
        m.check_once()
        [alert] = client.get("/api/maintenance/overview", headers=tech).json()["alerts"]
        assert alert["code"] == "kiosk_silent" and alert["device"] == "kiosk:kiosk-1"
        assert alert["message_zh"] and alert["message_en"] and alert["hint"]
        client.post("/api/kiosks/heartbeat", json={"kiosk": "kiosk-1", "devices": {}}, headers=kiosk)
        assert client.get("/api/maintenance/overview", headers=tech).json()["alerts"] == []


def test_test_print_and_paper_replaced_travel_with_the_heartbeat_until_done(hall):
    r = httpx.post(f"{hall.url}/api/maintenance/kiosks/kiosk-1/test-print", headers=hall.tech)
    assert r.status_code == 202
    command = r.json()["command"]
    # Repeated until the kiosk reports a result: a lost answer loses no command.
    for _ in range(2):
        answer = beat(hall.url, hall.kiosk_token).json()
        assert answer["commands"] == [{"id": command, "action": "test_print"}]
    beat(
        hall.url, hall.kiosk_token, results=[{"id": command, "ok": True, "detail": "self-test page printed"}]
    )
    assert beat(hall.url, hall.kiosk_token).json()["commands"] == []
    [done] = hall.overview()["kiosks"][0]["commands"]
    assert done["state"] == "done" and done["actor"] == "technician:tech"
    assert (
        httpx.post(f"{hall.url}/api/maintenance/kiosks/kiosk-1/paper-replaced", headers=hall.tech).status_code
        == 202
    )
    events = hall.overview()["events"]
    assert any(e["device"] == "kiosk:kiosk-1/printer" and e["detail"] == "paper replaced" for e in events)
    r = httpx.post(f"{hall.url}/api/maintenance/kiosks/nobody/test-print", headers=hall.tech)
    assert r.status_code == 404 and r.json()["error"]["code"] == "kiosk_unknown"


def test_board_actions_without_boards_are_refused_plainly(hall):
    r = httpx.post(f"{hall.url}/api/maintenance/boards/test", json={}, headers=hall.tech)
    assert r.status_code == 409 and r.json()["error"]["code"] == "boards_disabled"


def test_the_day_s_device_log_downloads_redacted(hall, tech_config):
    from onevisit.core import logs

    logs.install(tech_config, "hall")
    try:
        beat(
            hall.url,
            hall.kiosk_token,
            {"printer": {"state": "error", "code": "paper_out", "detail": FULL_ID}},
        )
        day = hall.overview()["now"][:10]
        r = httpx.get(f"{hall.url}/api/maintenance/logs/{day}", headers=hall.tech)
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        got = [json.loads(line) for line in r.text.splitlines()]
        assert any(x.get("device") == "kiosk:kiosk-1/printer" for x in got)  # the log line
        assert any(x.get("event", {}).get("code") == "paper_out" for x in got)  # the stored event
        assert FULL_ID not in r.text
        assert httpx.get(f"{hall.url}/api/maintenance/logs/2026-13-40", headers=hall.tech).status_code in (
            400,
            422,
        )
        assert httpx.get(f"{hall.url}/api/maintenance/logs/{day}", headers=hall.staff3).status_code == 403
    finally:
        import logging

        for handler in list(logging.getLogger().handlers):
            if isinstance(handler, logs._OurFile):
                logging.getLogger().removeHandler(handler)
                handler.close()
