"""The hall's day as people meet it, in headless Chromium at the sizes they use: the window console
at 1366×768, the citizen's phone at 390×844, the TV at 1920×1080 and 1366×768, the rating tablet at
1280×800. A real server on a free port; every wait is Playwright's wait on a condition."""

from __future__ import annotations

import httpx
import pytest

from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

LONG_NOTE = (
    "请核对2019年1月至2020年6月的欠费记录😀，补缴后回本窗口继续办理待遇核定👍🏻。"
    "材料：身份证复印件、户口本、退休审批表、银行卡。" * 4
)


def _start(config, db_path, clock, port=0) -> ServerThread:
    app = create_app(config, db_path=db_path, clock=clock, poll_seconds=0.2, callout=None)
    return ServerThread(app, port=port).start()


def _issue(url, kiosk, key, *matters, **extra):
    r = httpx.post(
        f"{url}/api/tickets",
        json={"matters": list(matters), "idempotency_key": key, **extra},
        headers={"Authorization": f"Bearer {kiosk}"},
    )
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def _login_page(page, url, path, name, password):
    page.goto(f"{url}{path}")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#login-btn" if path.startswith("/staff") else "#login-form button[type=submit]")


def _inside_viewport(page, selector):
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_window_console_at_1366x768_and_the_phone_page(browser, hall_config, db_path, clock, screens_dir):
    from playwright.sync_api import expect

    server = _start(hall_config, db_path, clock)
    store = server.app.state.hall.accounts
    store.add_user("wang", "staff", "pw-wang-1", window=1)
    kiosk = store.add_kiosk("kiosk-1")
    url = server.url
    try:
        claim = _issue(url, kiosk, "k1", "benefit")
        clock.advance(seconds=125)
        _issue(url, kiosk, "k2", "contrib", declared="veteran", tag="人脸认证三次未通过")
        staff = browser.new_page(viewport={"width": 1366, "height": 768})
        staff.on("dialog", lambda d: d.accept())
        _login_page(staff, url, "/staff", "wang", "pw-wang-1")

        # The waiting list in call order: the veteran first, priority in words, not codes.
        rows = staff.locator("#queue li")
        expect(rows).to_have_count(2, timeout=5000)
        expect(rows.nth(0)).to_contain_text("B001")
        expect(rows.nth(0)).to_contain_text("军人/退役军人")
        expect(rows.nth(0)).to_contain_text("人脸认证三次未通过")
        expect(rows.nth(1)).to_contain_text("C001")
        expect(rows.nth(1)).to_contain_text("已等 2 分钟")
        assert "veteran" not in staff.locator("#queue").inner_text()

        # 叫指定号 from the list, then 转出 with the way back and a long note full of emoji.
        rows.nth(1).locator("button.call-this").click()
        expect(staff.locator("#current .number")).to_have_text("C001", timeout=3000)
        staff.click("button[data-action=start]")
        expect(staff.locator("button[data-action=transfer]")).to_be_enabled(timeout=3000)
        staff.click("button[data-action=transfer]")
        staff.select_option("#t-matter", "contrib")
        staff.check("#t-return")
        staff.fill("#t-reason", "需补缴")
        staff.fill("#t-note", LONG_NOTE[:500])
        staff.click("#t-submit")
        expect(staff.locator("#message")).to_contain_text(
            "C001 已转出，办完后回到 待遇申领/核定", timeout=3000
        )

        # The same window serves contributions: it calls C001 back and sees the note, emoji removed,
        # in a box that scrolls; the buttons stay on the screen.
        staff.locator("#queue li[data-number=C001] button.call-this").click()
        expect(staff.locator("#current .number")).to_have_text("C001", timeout=3000)
        expect(staff.locator("#current .itinerary li").nth(0)).to_contain_text("已转出（需补缴）")
        expect(staff.locator("#current .itinerary li").nth(2)).to_contain_text("待办")
        note = staff.locator("#current .note-text").first
        expect(note).to_contain_text("请核对2019年1月")
        assert "😀" not in note.inner_text() and "👍" not in note.inner_text()
        for action in ("call", "skip", "start", "finish", "transfer", "pause"):
            assert _inside_viewport(staff, f"button[data-action={action}]"), action
        staff.screenshot(path=str(screens_dir / "staff-1366x768-transfer-note.png"))

        # 完成 says where the citizen goes next.
        staff.click("button[data-action=start]")
        expect(staff.locator("button[data-action=finish]")).to_be_enabled(timeout=3000)
        staff.click("button[data-action=finish]")
        expect(staff.locator("#message")).to_have_text(
            "C001 已转入 待遇申领/核定，请到 1、2、5、6 号窗口等候", timeout=3000
        )
        staff.screenshot(path=str(screens_dir / "staff-1366x768-next.png"))

        # The citizen's phone: 已转出（需补缴）, never 已完成, and back in the benefit queue.
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{url}/t/C001?c={claim['short_code']}")
        items = phone.locator(".itinerary li")
        expect(items).to_have_count(3, timeout=5000)
        expect(items.nth(0)).to_contain_text("已转出（需补缴）")
        expect(items.nth(1)).to_contain_text("已完成")
        expect(items.nth(2)).to_contain_text("等候中")
        expect(phone.locator(".itinerary li.now")).to_have_count(1)
        assert phone.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        phone.screenshot(path=str(screens_dir / "phone-390x844-transferred.png"), full_page=True)

        # Cancel a ticket from the console.
        staff.locator("#queue li[data-number=B001] button.call-this").click()
        expect(staff.locator("#current .number")).to_have_text("B001", timeout=3000)
        staff.click("#cancel-current")
        expect(staff.locator("#message")).to_have_text("B001 已取消", timeout=3000)
        assert server.app.state.hall.service.ticket("B001").state == "cancelled"

        # The server goes away: after a few seconds a plain banner says the screen may be stale.
        server.stop()
        banner = staff.locator("#conn")
        expect(banner).to_be_visible(timeout=10000)
        expect(banner).to_have_text("连接中断，显示内容可能不是最新")
        staff.screenshot(path=str(screens_dir / "staff-1366x768-connection-lost.png"))
    finally:
        server.stop()
