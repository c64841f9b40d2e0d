"""The one wait estimate as people meet it in Chromium: the citizen's phone page (390×844) and the
supervisor's queue table (1366×768) say what the API says, worded once ("约…分钟"), never 0 with
people ahead. The kiosk side of the same number: tests/kiosk/test_kiosk_waits.py."""

from __future__ import annotations

import httpx
import pytest

from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_phone_page_and_supervisor_show_the_apis_wait(browser, hall_config, db_path, clock, screens_dir):
    from playwright.sync_api import expect

    app = create_app(hall_config, db_path=db_path, clock=clock, poll_seconds=0.2, callout=None)
    server = ServerThread(app, port=0).start()
    hall = server.app.state.hall
    hall.accounts.add_user("boss", "supervisor", "pw-boss-1")
    try:
        numbers = [hall.service.issue(["benefit"]).ticket.number for _ in range(4)]
        for _ in range(2):  # two services "done" in seconds: not enough to trust
            hall.service.call_next(6, "staff")
            hall.service.start(6, "staff")
            clock.advance(seconds=2)
            hall.service.finish(6, "staff")
        last = hall.service.ticket(numbers[-1])
        answer = httpx.get(
            f"{server.url}/api/public/tickets/{last.number}", params={"c": last.short_code}
        ).json()
        wait_zh = answer["position"]["wait_zh"]
        assert answer["position"]["ahead"] == 1 and wait_zh and wait_zh != "约0分钟"

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{server.url}/t/{last.number}?c={last.short_code}")
        expect(phone.locator(".grid .wait")).to_have_text(wait_zh, timeout=5000)
        phone.screenshot(path=str(screens_dir / "phone-wait.png"))

        newcomer = next(
            m for m in httpx.get(f"{server.url}/api/availability").json()["matters"] if m["code"] == "benefit"
        )
        boss = browser.new_page(viewport={"width": 1366, "height": 768})
        boss.goto(f"{server.url}/supervisor")
        boss.fill("#username", "boss")
        boss.fill("#password", "pw-boss-1")
        boss.click("#login-form button[type=submit]")
        row = boss.locator("#queues tr", has_text=hall_config.matter("benefit").name_zh)
        expect(row.locator("td.wait")).to_have_text(newcomer["wait_zh"], timeout=5000)
        boss.screenshot(path=str(screens_dir / "supervisor-wait.png"))
    finally:
        server.stop()
