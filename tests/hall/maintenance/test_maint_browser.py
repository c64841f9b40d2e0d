"""The back-office pages in headless Chromium: /maintenance (a technician logs in, sees the alert,
acts; no citizen data) and /supervisor, which share the login gate in common.js."""

from __future__ import annotations

import httpx
import pytest

from tests.hall.maintenance.conftest import PASSWORD

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
]


def test_supervisor_logs_in_sees_the_queues_and_logs_out(hall, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{hall.url}/supervisor")
    page.fill("#username", "tech")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:not(.hidden)")  # a technician is not a supervisor
    assert page.is_visible("#login-form") and not page.is_visible("#board")
    page.fill("#username", "boss")
    page.click("button[type=submit]")
    page.wait_for_selector("#board:not(.hidden)")
    page.wait_for_function("document.querySelector('#queues').innerText.includes('待遇申领')")
    assert page.inner_text("#who") == "boss"
    page.reload()  # the token survives a reload of the page
    page.wait_for_selector("#board:not(.hidden)")
    page.click("#logout")
    page.wait_for_selector("#login-form:not(.hidden)")
    assert not page.is_visible("#board") and page.inner_text("#who") == ""


def test_technician_sees_the_alert_and_marks_paper_replaced(hall, browser, screens_dir):
    leaky = "last card 11010519491231002X name=张三丰"
    httpx.post(
        f"{hall.url}/api/kiosks/heartbeat",
        json={
            "kiosk": "kiosk-1",
            "devices": {
                "printer": {
                    "state": "warning",
                    "code": "paper_near_end",
                    "paper": "near_end",
                    "url": "virtual://127.0.0.1:9100",
                },
                "card_reader": {"state": "error", "code": "card_garbled", "detail": leaky},
            },
        },
        headers={"Authorization": f"Bearer {hall.kiosk_token}"},
    ).raise_for_status()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{hall.url}/maintenance")
    page.fill("#username", "staff3")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error:not(.hidden)")  # staff may not use this page
    page.fill("#username", "tech")
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready='1']")
    alert = page.locator(".alert[data-code='paper_near_end']")
    assert "打印纸即将用完" in alert.inner_text()
    assert page.locator(".alert[data-code='card_garbled']").count() == 1
    body = page.inner_text("body")
    assert "11010519491231002X" not in body and "张三丰" not in body
    page.locator("button", has_text="已更换纸卷").click()
    page.wait_for_selector(".toast.ok")
    page.screenshot(path=str(screens_dir / "maintenance-alerts.png"), full_page=True)
    page.click("#lang")
    page.wait_for_selector("text=Paper near its end")
    events = hall.overview()["events"]
    assert any(e["detail"] == "paper replaced" and e["actor"] == "technician:tech" for e in events)
