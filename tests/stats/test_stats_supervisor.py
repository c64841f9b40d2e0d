"""/supervisor and its API on the real hall app: role boundaries, live alerts, figures, charts, and
the kiosks' self-service report."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from onevisit.hall.app import create_app
from onevisit.hall.stores import accounts

PASSWORD = "correct-horse"


@pytest.fixture
def hall(config, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "_SCRYPT_N", 2**10)  # cheaper hashing in tests
    config = config.model_copy(update={"base_dir": tmp_path})
    app = create_app(
        config,
        db_path=tmp_path / "hall.db",
        clock=clock,
        poll_seconds=0.05,
        expire_seconds=0.05,
        callout=None,
    )
    with TestClient(app) as client:
        store = app.state.hall.accounts
        store.add_user("wang", "staff", PASSWORD, window=1)
        store.add_user("zhao", "supervisor", PASSWORD)
        store.add_user("chen", "technician", PASSWORD)
        kiosk = store.add_kiosk("kiosk-1")

        def login(name):
            r = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            return {"Authorization": f"Bearer {r.json()['token']}"}

        client.h = {  # type: ignore[attr-defined]
            "staff": login("wang"),
            "supervisor": login("zhao"),
            "technician": login("chen"),
            "kiosk": {"Authorization": f"Bearer {kiosk}"},
            "none": {},
        }
        client.service = app.state.hall.service  # type: ignore[attr-defined]
        yield client


READS = ["/api/supervisor/live", "/api/supervisor/figures", "/api/supervisor/charts/hourly.png"]


@pytest.mark.parametrize("path", READS)
@pytest.mark.parametrize(
    ("who", "status"), [("none", 401), ("staff", 403), ("technician", 403), ("kiosk", 403)]
)
def test_only_a_supervisor_reads_the_board(hall, path, who, status):
    r = hall.get(path, headers=hall.h[who])
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] and r.json()["error"]["message_zh"]


def test_page_is_served(hall):
    r = hall.get("/supervisor")
    assert r.status_code == 200 and "值班长看板" in r.text


def test_live_board_raises_an_alert_with_a_comprehensive_window(hall, clock):
    for i in range(14):
        r = hall.post(
            "/api/tickets", json={"matters": ["benefit"], "idempotency_key": f"k{i}"}, headers=hall.h["kiosk"]
        )
        assert r.status_code == 201
    assert hall.post("/api/windows/2/close", headers=hall.h["supervisor"]).status_code == 200
    assert hall.post("/api/windows/1/call", headers=hall.h["staff"]).status_code == 200
    r = hall.get("/api/supervisor/live", headers=hall.h["supervisor"])
    assert r.status_code == 200
    body = r.json()
    assert body["threshold_minutes"] == 30
    alert = body["alerts"][0]
    assert alert["matter"] == "benefit" and alert["wait_minutes"] > 30
    assert alert["suggestion"]["window"] == 2 and alert["suggestion"]["action"] == "open"
    windows = {w["number"]: w for w in body["windows"]}
    assert windows[1]["activity"] == "busy" and windows[1]["current_number"] == "C001"
    assert windows[2]["activity"] == "closed" and windows[2]["comprehensive"]
    # Who is logged in where, from the hall's login sessions; an open window with nobody is not 空闲.
    assert windows[1]["logged_in"] == ["wang"]
    assert windows[3]["activity"] == "unstaffed" and windows[3]["logged_in"] == []


def test_figures_and_charts_of_today(hall, clock):
    r = hall.post("/api/tickets", json={"matters": ["card"], "idempotency_key": "a"}, headers=hall.h["kiosk"])
    assert r.status_code == 201
    clock.advance(120)
    for action in ("call", "start"):
        assert hall.post(f"/api/windows/1/{action}", headers=hall.h["staff"]).status_code == 200
    clock.advance(300)
    assert hall.post("/api/windows/1/finish", headers=hall.h["staff"]).status_code == 200
    body = hall.get("/api/supervisor/figures", headers=hall.h["supervisor"]).json()
    assert body["hall"]["visits"] == 1 and body["hall"]["served"] == 1
    assert body["hall"]["wait_max_min"] == 2.0 and body["hall"]["service_p50_min"] == 5.0
    assert body["staff"][0]["key"] == "staff:wang"
    r = hall.get("/api/supervisor/charts/queue.png", headers=hall.h["supervisor"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size[0] > 400
    assert hall.get("/api/supervisor/charts/nope.png", headers=hall.h["supervisor"]).status_code == 422
    assert (
        hall.get("/api/supervisor/figures?date=2026-13-01", headers=hall.h["supervisor"]).status_code == 422
    )


def test_kiosk_reports_self_service_and_it_counts(hall):
    r = hall.post(
        "/api/selfservice",
        json={"kind": "selfservice.certificate_printed", "data": {"note": "id 11010519491231002X"}},
        headers=hall.h["kiosk"],
    )
    assert r.status_code == 201, r.text
    bad = hall.post("/api/selfservice", json={"kind": "selfservice.bogus"}, headers=hall.h["kiosk"])
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_selfservice_kind"
    assert hall.post("/api/selfservice", json={"kind": "selfservice.records_queried"}).status_code == 401
    staff = hall.post(
        "/api/selfservice", json={"kind": "selfservice.records_queried"}, headers=hall.h["staff"]
    )
    assert staff.status_code == 403
    body = hall.get("/api/supervisor/figures", headers=hall.h["supervisor"]).json()
    assert body["selfservice"] == {"selfservice.certificate_printed": 1}
    assert body["selfservice_completions"] == 1
