"""/city on a TV (1920×1080, 1366×768) and the city ticket page on a phone, in headless Chromium."""

from __future__ import annotations

import datetime as dt
import json

from onevisit.core.clock import FixedClock
from onevisit.region.source import HallSource

DAY = "2026-11-23"


def test_region_city_page(region, make_hall, browser, screens_dir):
    halls = [make_hall(i, visits=50) for i in range(3)]
    for i, hall in enumerate(halls):
        clock = FixedClock(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10 if i == 1 else 0))
        hall.shipper(hall_clock=clock).ship_once()
    for width, height in ((1920, 1080), (1366, 768)):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{region.url}/city?day={DAY}#token={region.supervisor}")
        page.wait_for_selector("body[data-loaded='1']")
        rows = page.locator("#halls tbody tr")
        assert rows.count() == 3
        assert "第0大厅" in rows.nth(0).inner_text()
        assert page.locator(".alarm").count() == 1
        assert "时钟异常" in rows.nth(1).inner_text()
        # nothing wider than the screen: a TV shows every column
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(screens_dir / f"region-city-{width}x{height}.png"))
        page.close()


def test_region_city_page_asks_for_a_token(region, browser):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{region.url}/city#token=wrong")
    page.wait_for_selector("#login:not([hidden])")
    assert "监管令牌" in page.inner_text("#login")
    assert "访问令牌" in page.inner_text("#error")
    page.close()


def test_region_ticket_page(region, make_hall, browser, screens_dir):
    hall = make_hall(0, visits=30)
    hall.shipper().ship_once()
    issued = next(
        r for r in HallSource(hall.db).rows_above("events", 0, 10**6) if r["kind"] == "ticket.issued"
    )
    code = next(
        c["insert"]["short_code"] for c in json.loads(issued["data"])["changes"] if c["t"] == "tickets"
    )
    page = browser.new_page(viewport={"width": 390, "height": 844})
    response = page.goto(f"{region.url}/t/{hall.code}/{DAY}/{issued['number']}?c={code}")
    assert response.status == 200
    text = page.inner_text("main")
    assert issued["number"] in text and "数据" in text and "authoritative" in text
    # the matter by the city's standard names, not its code
    matter = next(m for m in hall.config.matters if m.code == issued["matter"])
    assert matter.name_zh in text and matter.name_en in text
    page.screenshot(path=str(screens_dir / "region-ticket-390x844.png"))
    # a wrong code reads as an unknown ticket
    response = page.goto(f"{region.url}/t/{hall.code}/{DAY}/{issued['number']}?c=WRONG")
    assert response.status == 404 and "未找到" in page.inner_text("main")
    page.close()
