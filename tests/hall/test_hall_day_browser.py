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
        box, words = (
            staff.locator("#t-return").bounding_box(),
            staff.locator("label.check span").bounding_box(),
        )
        assert (
            box["x"] + box["width"] <= words["x"] and abs(box["y"] - words["y"]) < words["height"]
        )  # one line
        staff.check("#t-return")
        staff.fill("#t-reason", "需补缴")
        staff.fill("#t-note", LONG_NOTE[:500])
        staff.click("#t-submit")
        expect(staff.locator("#message")).to_contain_text(
            "C001 已转出，办完后回到 待遇申领/核定", timeout=3000
        )
        staff.click("#lang")  # the message follows the language, as the rest of the console does
        expect(staff.locator("#message")).to_have_text(
            "C001 transferred; comes back to Benefit claims and assessment afterwards"
        )
        staff.click("#lang")

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
        expect(staff.locator("#queue li[data-number=C001]")).to_contain_text(
            "1 号窗口转出后回到本业务：需补缴"
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
        # Add a matter to the visit (the citizen also needs a card), then cancel the whole ticket.
        for button in ("#add-matter-btn", "#cancel-current"):  # words readable on the white card
            words, card = staff.locator(button).evaluate(
                "b => [getComputedStyle(b).color, getComputedStyle(b.closest('.card')).backgroundColor]"
            )
            assert words != card, (button, words)
        staff.select_option("#add-matter", "card")
        staff.click("#add-matter-btn")
        expect(staff.locator("#message")).to_have_text("B001 已加办 社保卡 挂失/补换/进度", timeout=3000)
        expect(staff.locator("#current .itinerary li")).to_have_count(2)
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


LONG_NAME = "城乡居民基本养老保险待遇申领与资格核定"


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_hall_tv_headline_missed_long_names_and_lost_connection(
    browser, hall_config, db_path, clock, screens_dir, size
):
    from playwright.sync_api import expect

    matters = [
        m.model_copy(update={"name_zh": LONG_NAME}) if m.code == "benefit" else m for m in hall_config.matters
    ]
    server = _start(hall_config.model_copy(update={"matters": matters}), db_path, clock)
    store = server.app.state.hall.accounts
    store.add_user("zhao", "supervisor", "pw-zhao-1")
    kiosk = store.add_kiosk("kiosk-1")
    url = server.url
    token = httpx.post(f"{url}/api/auth/login", json={"username": "zhao", "password": "pw-zhao-1"}).json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    width, height = size
    try:
        for i in range(5):
            _issue(url, kiosk, f"k{i}", "enroll")
        tv = browser.new_page(viewport={"width": width, "height": height})
        tv.goto(f"{url}/display")
        expect(tv.locator("#matters .matter")).to_have_count(5, timeout=5000)
        # Nobody touches a TV: no language button (config hall.display.language_button = false).
        expect(tv.locator("#lang")).to_be_hidden()

        for _ in range(4):  # A001…A004 called at window 3; A004 heads the screen
            assert httpx.post(f"{url}/api/windows/3/call", headers=auth).status_code == 200
            assert httpx.post(f"{url}/api/windows/3/skip", headers=auth).status_code == 200
            clock.advance(seconds=1)
        httpx.post(f"{url}/api/tickets/A001/checkin", headers=auth)
        httpx.post(f"{url}/api/tickets/A002/checkin", headers=auth)
        httpx.post(f"{url}/api/tickets/A003/checkin", headers=auth)
        assert httpx.post(f"{url}/api/windows/3/call/A003", headers=auth).status_code == 200
        assert httpx.post(f"{url}/api/windows/1/call/A002", headers=auth).status_code == 200
        expect(tv.locator("#latest-call")).to_contain_text("A002", timeout=3000)
        # A004 was marked 过号: listed under 过号 only, not in the headline or the recent calls.
        expect(tv.locator("#missed")).to_contain_text("A004")
        expect(tv.locator("#recent")).to_contain_text("A003")
        assert "A004" not in tv.locator("#latest").inner_text()
        assert "A004" not in tv.locator("#recent").inner_text()
        # Called and then marked 过号 while the TV watches: it leaves the headline at once.
        assert httpx.post(f"{url}/api/windows/1/skip", headers=auth).status_code == 200
        expect(tv.locator("#latest-call")).not_to_contain_text("A002", timeout=3000)
        expect(tv.locator("#latest-call")).to_contain_text("A003")
        expect(tv.locator("#missed")).to_contain_text("A002")

        # Long matter names fit: nothing cut off, nothing wider than its card or the screen.
        expect(tv.locator("#matters .matter .name").nth(2)).to_have_text(LONG_NAME)
        overflowing = tv.evaluate(
            """() => [...document.querySelectorAll('#matters .matter, #matters .matter .name, #latest-call')]
                .filter((e) => e.scrollWidth > e.clientWidth).map((e) => e.textContent)"""
        )
        assert overflowing == []
        assert tv.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        tv.screenshot(path=str(screens_dir / f"tv-{width}x{height}.png"))

        server.stop()
        banner = tv.locator("#conn")
        expect(banner).to_be_visible(timeout=10000)
        expect(banner).to_have_text("连接中断，显示内容可能不是最新")
        tv.screenshot(path=str(screens_dir / f"tv-{width}x{height}-connection-lost.png"))
    finally:
        server.stop()


def test_rating_tablet_at_1280x800_refuses_a_window_the_hall_does_not_have(
    browser, hall_config, db_path, clock, screens_dir
):
    from playwright.sync_api import expect

    server = _start(hall_config, db_path, clock)
    try:
        tablet = browser.new_page(viewport={"width": 1280, "height": 800})
        tablet.goto(f"{server.url}/rate?window=99")
        expect(tablet.locator("#idle")).to_contain_text("没有99号窗口", timeout=5000)
        expect(tablet.locator("#scores button")).to_have_count(0)
        tablet.screenshot(path=str(screens_dir / "rate-1280x800-window-99.png"))
        tablet.goto(f"{server.url}/rate?window=3")
        expect(tablet.locator("#idle")).to_have_text("欢迎您，办理完成后请为我们的服务评价", timeout=5000)
    finally:
        server.stop()


def test_supervisor_at_1366x768_acts_windows_tickets_appointments(
    browser, hall_config, db_path, clock, screens_dir
):
    from playwright.sync_api import expect

    server = _start(hall_config, db_path, clock)
    hall = server.app.state.hall
    hall.accounts.add_user("wang", "staff", "pw-wang-1", window=1)
    hall.accounts.add_user("zhao", "supervisor", "pw-zhao-1")
    kiosk = hall.accounts.add_kiosk("kiosk-1")
    url = server.url
    try:
        # wang is logged in at window 1 (a console elsewhere); nobody at the others.
        assert httpx.post(
            f"{url}/api/auth/login", json={"username": "wang", "password": "pw-wang-1"}
        ).is_success
        _issue(url, kiosk, "k1", "enroll")
        clock.advance(seconds=100)
        _issue(url, kiosk, "k2", "enroll")

        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("dialog", lambda d: d.accept())
        held = []
        # The first live answer is held back; later ones pass.
        page.route("**/api/supervisor/live", lambda route: route.continue_() if held else held.append(route))
        with page.expect_request("**/api/supervisor/live"):
            _login_page(page, url, "/supervisor", "zhao", "pw-zhao-1")
        # While the first answer is on its way the panels say so, instead of standing empty.
        expect(page.locator("#board")).to_be_visible(timeout=5000)
        expect(page.locator("#wins")).to_have_text("加载中…")
        expect(page.locator("#queues")).to_contain_text("加载中…")
        page.wait_for_function("true")  # one round trip: the held request has reached its handler
        assert len(held) == 1
        held[0].continue_()

        win1 = page.locator(".win[data-window='1']")
        expect(win1).to_contain_text("在岗：wang", timeout=5000)
        expect(win1).to_contain_text("空闲")
        expect(page.locator(".win[data-window='3']")).to_contain_text("无人登录")
        # Minutes as whole numbers.
        # the one estimator's words, as the kiosk and the phone page say them (core.waits)
        expect(page.locator("#queues")).to_contain_text("约8分钟")
        # Each figure column's header is aligned as its figures are (a number stands under its name).
        expect(page.locator("#bymatter td.num").first).to_be_visible(timeout=5000)
        for body in ("#queues", "#bymatter"):
            aligns = page.locator(body).evaluate(
                "b => [...b.rows[0].cells].map((c, i) => [getComputedStyle(c).textAlign,"
                " getComputedStyle(b.closest('table').tHead.rows[0].cells[i]).textAlign])"
            )
            assert all(cell == head for cell, head in aligns), (body, aligns)
        assert "." not in page.locator("#queues").inner_text()

        # Close and reopen a window.
        page.locator(".win[data-window='4'] button.danger").click()
        # The card's state line, not its 关闭 button, says so.
        expect(page.locator(".win[data-window='4'] .a").first).to_have_text("关闭", timeout=3000)
        assert hall.service.window_status(4).state == "closed"
        page.locator(".win[data-window='4'] button:not(.danger)").click()
        expect(page.locator(".win[data-window='4'] .a").first).to_have_text("无人登录", timeout=3000)

        # Move A002 ahead of A001, then A001 to another matter (转出), then cancel it.
        page.fill("#find-number", "a002")
        page.click("#find-form button")
        expect(page.locator("#ticket-box")).to_contain_text("A002 · 等候中", timeout=3000)
        page.select_option("#move-matter", "enroll")
        page.select_option("#move-placement", "front")
        page.fill("#move-reason", "窗口叫错号，补办")
        page.click("#move-form button[type=submit]")
        expect(page.locator("#ticket-result")).to_have_text("A002 已移到 参保登记/变更", timeout=3000)
        assert [r["number"] for r in hall.service.waiting_list(3)] == ["A002", "A001"]
        page.fill("#find-number", "A001")
        page.click("#find-form button")
        expect(page.locator("#ticket-box")).to_contain_text("A001", timeout=3000)
        page.select_option("#move-matter", "contrib")
        page.fill("#move-reason", "选错业务")
        page.click("#move-form button[type=submit]")
        expect(page.locator("#ticket-box")).to_contain_text("已转出（选错业务）", timeout=3000)
        page.click("#cancel-ticket")
        expect(page.locator("#ticket-result")).to_have_text("A001 已取消", timeout=3000)
        assert hall.service.ticket("A001").state == "cancelled"
        assert {e.actor for e in hall.service.events_since(0) if e.kind == "step.transferred"} == {
            "supervisor:zhao"
        }

        # Appointments: add one (the ID leaves the form; only the masked form is shown), cancel it.
        page.fill("#appt-id", "510107195808083156")
        page.select_option("#appt-matter", "benefit")
        page.fill("#appt-time", "10:00")
        page.click("#appt-form button")
        expect(page.locator("#appt-result")).to_have_text(
            "已添加预约：510107********3156 10:00", timeout=3000
        )
        expect(page.locator("#appt-id")).to_have_value("")
        row = page.locator("#appts tr").first
        expect(row).to_contain_text("待遇申领/核定")
        expect(row).to_contain_text("已预约")
        assert "195808083" not in page.content()
        page.screenshot(path=str(screens_dir / "supervisor-1366x768.png"), full_page=True)
        row.locator("button").click()
        expect(row).to_contain_text("已取消", timeout=3000)
        # A bad ID is refused in words, and nothing is booked.
        page.fill("#appt-id", "510107195808083157")
        page.fill("#appt-time", "11:00")
        page.click("#appt-form button")
        expect(page.locator("#appt-result.error")).to_contain_text("身份证", timeout=3000)
        assert len(hall.appointments.day()) == 1
    finally:
        server.stop()
