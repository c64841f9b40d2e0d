"""The supervisor imports a booking list from the page at 1366×768, in headless Chromium: a GBK
file from Excel with a bad row shows each refusal by line and field; the fixed .xlsx imports and today's
bookings list shows what came in."""

from __future__ import annotations

import io

import openpyxl
import pytest

from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

LIU = "510107195808083156"
ELDER_FULL_WIDTH = "１１０１０５１９４９１２３１００２X"


def test_supervisor_uploads_a_list_sees_refusals_then_imports(
    browser, hall_config, db_path, clock, screens_dir, tmp_path
):
    from playwright.sync_api import expect

    app = create_app(hall_config, db_path=db_path, clock=clock, poll_seconds=0.2, callout=None)
    server = ServerThread(app, port=0).start()
    app.state.hall.accounts.add_user("zhao", "supervisor", "pw-zhao-1")
    bad = tmp_path / "预约名单.csv"
    bad.write_bytes(
        (
            "身份证号,业务,预约时间,,\r\n"
            f"{LIU},benefit,2026/11/24 9:30,,\r\n"
            f"{ELDER_FULL_WIDTH},养老,2026/11/24 10:00,,\r\n"  # line 3: 养老 is no matter code
            "110105194912310021,enroll,2026年11月24日 10:30,,\r\n"  # line 4: check digit
            f"330106197503142310,enroll,2026/11/24,,\r\n"  # line 5: no time
        ).encode("gbk")
    )
    book = openpyxl.Workbook()
    book.active.append(["身份证号", "业务", "预约时间"])
    book.active.append([LIU, "benefit", "2026/11/24 9:30"])
    book.active.append([ELDER_FULL_WIDTH, "enroll", "2026/11/24 10:00"])
    book.active.append(["330106197503142310", "card", "2026/11/23 10:30"])  # today: listed at once
    good = tmp_path / "预约名单.xlsx"
    out = io.BytesIO()
    book.save(out)
    good.write_bytes(out.getvalue())
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{server.url}/supervisor")
        page.fill("#username", "zhao")
        page.fill("#password", "pw-zhao-1")
        page.click("#login-form button[type=submit]")
        expect(page.locator("#import-go")).to_be_disabled(timeout=5000)
        page.set_input_files("#import-file", str(bad))
        page.click("#import-go")
        problems = page.locator("#import-problems tr")
        expect(problems).to_have_count(3, timeout=5000)
        expect(problems.nth(0)).to_contain_text("第 3 行")
        expect(problems.nth(0)).to_contain_text("业务：没有这项业务：养老")
        expect(problems.nth(1)).to_contain_text("第 4 行")
        expect(problems.nth(1)).to_contain_text("身份证号：")
        expect(problems.nth(2)).to_contain_text("预约时间：")
        expect(page.locator("#import-result")).to_contain_text(
            "预约名单.csv：第3、4、5行有误，未导入任何预约"
        )
        page.locator("#import").scroll_into_view_if_needed()
        page.screenshot(path=str(screens_dir / "supervisor-import-refused.png"))
        assert app.state.hall.appointments.day("2026-11-24") == []

        page.click("#lang")  # the refusals in English too
        expect(page.locator("#import-problems tr").nth(0)).to_contain_text("Line 3")
        expect(page.locator("#import-problems tr").nth(0)).to_contain_text("matters: No such matter")
        expect(page.locator("#import-name")).to_have_text("预约名单.csv")
        page.click("#lang")

        page.set_input_files("#import-file", str(good))
        expect(page.locator("#import-result")).to_have_text("", timeout=2000)  # a new choice clears it
        page.click("#import-go")
        expect(page.locator("#import-result")).to_contain_text("已导入 3 条预约", timeout=5000)
        # Today's bookings list shows today's one without a reload.
        expect(page.locator("#appts tr[data-appointment]")).to_have_count(1, timeout=5000)
        expect(page.locator("#appt-counts")).to_contain_text("已预约 1")
        page.locator("#import").scroll_into_view_if_needed()
        page.screenshot(path=str(screens_dir / "supervisor-import-ok.png"))
        masked = [a.person_masked for a in app.state.hall.appointments.day("2026-11-24")]
        assert masked == ["510107********3156", "110105********002X"]
    finally:
        server.stop()
