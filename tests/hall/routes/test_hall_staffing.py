"""排班建议 on /supervisor: the plan runs in a worker process while the server keeps answering, the
page shows its table and chart, and what the endpoint says when it cannot plan."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from fastapi.testclient import TestClient

from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from onevisit.sim.hallday.plan_report import plan_for_hall
from tests.hall.conftest import PASSWORD, login


def _hall_with_tickets(app, clock, n: int = 24) -> None:
    """`n` tickets this morning, one every five minutes from 09:00, through the hall's queue."""
    service = app.state.hall.service
    matters = ["enroll", "contrib", "benefit", "card", "medical"]
    start = clock.now()
    for i in range(n):
        clock.set(start + dt.timedelta(minutes=5 * i))
        service.issue([matters[i % len(matters)]], source="test")
    clock.set(start + dt.timedelta(minutes=5 * n))


@pytest.fixture
def tokens_for():
    """A supervisor account on `app` and its Authorization header."""

    def make(app, client) -> dict:
        app.state.hall.accounts.add_user("zhao", "supervisor", PASSWORD)
        return login(client, "zhao")

    return make


@pytest.fixture
def planning_app(hall_config, clock, db_path):
    return create_app(hall_config, db_path=db_path, clock=clock, callout=None, planner=plan_for_hall)


@pytest.mark.slow  # a worker process
def test_a_plan_runs_in_the_background_and_the_server_keeps_answering(planning_app, clock, tokens_for):
    with TestClient(planning_app) as client:
        headers = tokens_for(planning_app, client)
        _hall_with_tickets(planning_app, clock)
        r = client.post("/api/supervisor/plan", json={"max_wait_p90": 15}, headers=headers)
        assert r.status_code == 202, r.text
        assert r.json()["state"] == "running"
        # The server answers while the plan is computed in another process.
        assert client.get("/api/supervisor/live", headers=headers).status_code == 200
        again = client.post("/api/supervisor/plan", json={"max_wait_p90": 15}, headers=headers)
        jobs = planning_app.state.staffing
        assert again.status_code == 409 or jobs.finished.is_set()
        assert jobs.finished.wait(timeout=240)
        body = client.get("/api/supervisor/plan", headers=headers).json()
        assert body["state"] == "done", body
        plan = body["plan"]
        assert plan["visits"] == 24 and plan["source"].endswith(clock.now().date().isoformat())
        assert set(plan["schedule"]) == {"9", "10"}
        assert all(r["wait_p90_min"] is None or r["wait_p90_min"] <= 15 for r in plan["hours"])
        png = client.get("/api/supervisor/plan/chart.png", headers=headers)
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_refusals_are_specific(app, client, clock, tokens):
    # The API test app has no planner (the simulator sits above the hall; `onevisit hall` passes it).
    r = client.post("/api/supervisor/plan", json={"max_wait_p90": 15}, headers=tokens.supervisor)
    assert r.status_code == 404 and r.json()["error"]["code"] == "planner_unavailable"
    r = client.post("/api/supervisor/plan", json={"max_wait_p90": 0}, headers=tokens.supervisor)
    assert r.status_code == 422
    r = client.post("/api/supervisor/plan", json={"max_wait_p90": 15}, headers=tokens.staff1)
    assert r.status_code == 403
    assert client.get("/api/supervisor/plan/chart.png", headers=tokens.supervisor).status_code == 404


def test_no_tickets_today_is_refused(planning_app, tokens_for):
    with TestClient(planning_app) as client:
        headers = tokens_for(planning_app, client)
        r = client.post("/api/supervisor/plan", json={"max_wait_p90": 15}, headers=headers)
        assert r.status_code == 409
        error = r.json()["error"]
        assert error["code"] == "no_tickets_today" and "今天还没有取号记录" in error["message_zh"]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_supervisor_page_shows_the_plan(browser, hall_config, db_path, clock, screens_dir):
    from playwright.sync_api import expect

    app = create_app(hall_config, db_path=db_path, clock=clock, callout=None, planner=plan_for_hall)
    server = ServerThread(app).start()
    try:
        app.state.hall.accounts.add_user("zhao", "supervisor", "pw-zhao-1")
        _hall_with_tickets(app, clock)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{server.url}/supervisor")
        page.fill("#username", "zhao")
        page.fill("#password", "pw-zhao-1")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#plan-run")).to_be_enabled(timeout=15000)
        page.fill("#plan-limit", "12")
        page.click("#plan-run")
        expect(page.locator("#plan-state")).to_contain_text("正在模拟", timeout=5000)
        expect(page.locator("#plan-rows tr")).to_have_count(2, timeout=240000)
        expect(page.locator("#plan-img")).to_be_visible(timeout=10000)
        expect(page.locator("#plan-state")).to_contain_text("窗口·小时")
        assert page.locator("#plan-rows tr").first.locator("td").first.inner_text() == "09:00"
        aligns = page.locator("#plan-rows").evaluate(  # a figure stands under its column's name
            "b => [...b.rows[0].cells].map((c, i) => [getComputedStyle(c).textAlign,"
            " getComputedStyle(b.closest('table').tHead.rows[0].cells[i]).textAlign])"
        )
        assert all(cell == head for cell, head in aligns), aligns
        page.locator("#plan").scroll_into_view_if_needed()
        page.screenshot(path=str(screens_dir / "supervisor-plan-1366.png"), full_page=False)
        status = httpx.get(f"{server.url}/healthz")
        assert status.status_code == 200
    finally:
        server.stop()
