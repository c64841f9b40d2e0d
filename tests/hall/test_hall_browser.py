"""End to end in headless Chromium: staff console → hall display, across a server restart.

A real uvicorn server on a free port, the system's Chromium (no browser download), no sleeps: every
wait is Playwright's wait on a condition with a timeout. Screenshots go to the screens_dir folder.
"""

from __future__ import annotations

import httpx
import pytest

from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
]


def _start(hall_config, db_path, clock, port=0) -> ServerThread:
    app = create_app(hall_config, db_path=db_path, clock=clock, poll_seconds=0.2, callout=None)
    return ServerThread(app, port=port).start()


def _issue(url, kiosk_token, key, *matters):
    r = httpx.post(
        f"{url}/api/tickets",
        json={"matters": list(matters), "idempotency_key": key, "tag": "人脸认证三次未通过"},
        headers={"Authorization": f"Bearer {kiosk_token}"},
    )
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def test_staff_call_shows_on_the_display_and_survives_a_restart(
    browser, hall_config, db_path, clock, screens_dir
):
    from playwright.sync_api import expect

    server = _start(hall_config, db_path, clock)
    store = server.app.state.hall.accounts
    store.add_user("wang", "staff", "pw-wang-1", window=3)
    kiosk = store.add_kiosk("kiosk-1")
    url, port = server.url, server.port
    try:
        _issue(url, kiosk, "k1", "enroll", "card")
        _issue(url, kiosk, "k2", "card")

        display = browser.new_page(viewport={"width": 1920, "height": 1080})
        display.goto(f"{url}/display")
        expect(display.locator("#matters .matter")).to_have_count(5, timeout=5000)

        staff = browser.new_page(viewport={"width": 1366, "height": 900})
        staff.goto(f"{url}/staff")
        staff.fill("#username", "wang")
        staff.fill("#password", "pw-wang-1")
        staff.click("#login-btn")
        call = staff.locator("button[data-action=call]")
        expect(call).to_be_enabled(timeout=5000)
        # A double tap: the second click finds the button disabled or reuses the first press's key.
        call.dblclick()
        expect(staff.locator("#current .number")).to_have_text("A001", timeout=3000)
        expect(display.locator("#latest-call")).to_contain_text("A001", timeout=1000)
        expect(display.locator("#latest-call")).to_contain_text("3号窗口")
        called = [e for e in server.app.state.hall.service.events_since(0) if e.kind == "step.called"]
        assert len(called) == 1, "a double tap called a second citizen"

        # The console shows what the citizen tried at the kiosk and the visit's itinerary.
        expect(staff.locator("#current")).to_contain_text("人脸认证三次未通过")
        expect(staff.locator("#current .itinerary li")).to_have_count(2)
        staff.screenshot(path=str(screens_dir / "staff.png"))
        display.screenshot(path=str(screens_dir / "display.png"))
        staff.click("button[data-action=start]")
        expect(staff.locator("button[data-action=finish]")).to_be_enabled(timeout=3000)

        rate = browser.new_page(viewport={"width": 1280, "height": 800})
        rate.goto(f"{url}/rate?window=3")
        expect(rate.locator("#idle")).to_be_visible(timeout=5000)
        staff.click("button[data-action=finish]")
        expect(rate.locator("#scores button")).to_have_count(5, timeout=3000)
        expect(rate.locator("#ask")).to_contain_text("A001")
        rate.screenshot(path=str(screens_dir / "rate.png"))
        rate.click("#scores button[data-score='5']")
        expect(rate.locator("#thanks")).to_be_visible(timeout=3000)
        assert server.app.state.hall.ratings.summary()["windows"][0]["mean"] == 5.0

        ticket = server.app.state.hall.service.ticket("A001")
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{url}/t/A001?c={ticket.short_code}")
        expect(phone.locator(".num")).to_have_text("A001", timeout=5000)
        expect(phone.locator(".itinerary li")).to_have_count(2)
        phone.screenshot(path=str(screens_dir / "ticket.png"))

        # English on the display by address (it has no language button: nobody touches a TV).
        expect(display.locator("#lang")).to_be_hidden()
        display.goto(f"{url}/display?lang=en")
        expect(display.locator("#latest-call")).to_contain_text("Window 3", timeout=5000)
        display.goto(f"{url}/display?lang=zh")
        expect(display.locator("#latest-call")).to_contain_text("3号窗口", timeout=5000)

        # Restart the server on the same port; the display reconnects by itself.
        server.stop()
        expect(display.locator("#conn")).to_be_visible(timeout=5000)
        server = _start(hall_config, db_path, clock, port=port)
        r = httpx.post(
            f"{url}/api/windows/3/call",
            headers={"Authorization": f"Bearer {_login(url)}"},
        )
        assert r.status_code == 200, r.text
        number = r.json()["ticket"]["number"]
        assert number in ("A001", "D001")
        expect(display.locator("#latest-call")).to_contain_text(number, timeout=20000)
        expect(display.locator("#conn")).to_be_hidden()
    finally:
        server.stop()


def _login(url: str) -> str:
    r = httpx.post(f"{url}/api/auth/login", json={"username": "wang", "password": "pw-wang-1"})
    assert r.status_code == 200, r.text
    return r.json()["token"]
