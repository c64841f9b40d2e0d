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


def test_maintenance_on_a_phone_at_390px_chinese_first(hall, browser, screens_dir):
    """The kiosk's QR sends technicians here on their phones: nothing wider than the screen, and
    fault lines in Chinese first, the device's own English detail after."""
    httpx.post(
        f"{hall.url}/api/kiosks/heartbeat",
        json={
            "kiosk": "kiosk-1",
            "devices": {
                "printer": {
                    "state": "error",
                    "code": "paper_out",
                    "paper": "out",
                    "detail": "DLE EOT 4 reports roll end sensor",
                    "url": "virtual://127.0.0.1:9100/a-very-long-printer-address-without-spaces",
                },
                "card_reader": {"state": "error", "code": "card_garbled", "detail": "bad checksum"},
            },
        },
        headers={"Authorization": f"Bearer {hall.kiosk_token}"},
    ).raise_for_status()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{hall.url}/maintenance")
    page.fill("#username", "tech")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    printer = page.locator(".kiosk tr[data-device$='printer']")
    text = printer.inner_text()
    assert text.index("缺纸") < text.index("roll end sensor")  # Chinese first
    assert "paper_out" not in page.locator("#kiosks").inner_text()
    errors = page.locator(".kiosk tr[data-device$='card_reader'] .errs li").first
    assert "读卡器数据异常 — bad checksum" in errors.inner_text()
    assert "card_garbled" not in page.locator("#events").inner_text()
    # The buttons a technician needs are on the screen, not off to the side.
    for name in ("测试打印", "已更换纸卷"):
        box = page.locator("button", has_text=name).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(screens_dir / "maintenance-390x844.png"), full_page=True)
