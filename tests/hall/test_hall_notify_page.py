"""到号提醒 on the ticket's phone page (390×844, headless Chromium, a real hall server): the opt-in
posts the number with the printed code; the hall's refusal shows in both languages, the answer
shows the number masked, and the page keeps showing it after a reload."""

from __future__ import annotations

import httpx
import pytest

from onevisit.core.config import NotifyConfig
from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def server(hall_config, db_path, clock, tmp_path):
    notify = NotifyConfig(url=f"file://{tmp_path}/notices.jsonl")
    config = hall_config.model_copy(update={"notify": notify})
    thread = ServerThread(create_app(config, db_path=db_path, clock=clock, poll_seconds=0.2, callout=None))
    yield thread.start()
    thread.stop()


def issue(server) -> dict:
    kiosk = server.app.state.hall.accounts.add_kiosk("kiosk-1")
    r = httpx.post(
        f"{server.url}/api/tickets",
        json={"matters": ["enroll"], "idempotency_key": "k1"},
        headers={"Authorization": f"Bearer {kiosk}"},
    )
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def test_the_phone_page_subscribes_with_the_printed_code(browser, server, screens_dir):
    from playwright.sync_api import expect

    ticket = issue(server)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(f"{server.url}/t/{ticket['number']}?c={ticket['short_code']}#notify")
    form = page.locator("#notify")
    expect(form).to_be_visible(timeout=5000)
    expect(form).to_contain_text("到号提醒")

    page.fill("#phone", "1234567")
    page.click("#notify-btn")
    refused = page.locator("#notify-result .refused")
    expect(refused).to_contain_text("手机号码有误：应为11位，您输入了7位", timeout=5000)
    expect(refused).to_contain_text("Mobile number not valid: it has 11 digits, not 7")
    page.screenshot(path=str(screens_dir / "phone-notify-refused-390x844-zh.png"), full_page=True)

    page.fill("#phone", "138 1234 1234")
    page.click("#notify-btn")
    expect(page.locator("#notify-result .ok")).to_have_text("已开启到号提醒：138****1234", timeout=5000)
    expect(page.locator("#phone")).to_have_value("")
    expect(page.locator("#notify-btn")).to_have_text("更换号码")
    page.screenshot(path=str(screens_dir / "phone-notify-on-390x844-zh.png"), full_page=True)
    subscriptions = server.app.state.hall.notices.of_ticket(ticket["day"], ticket["number"])
    assert [(s.channel, s.masked) for s in subscriptions] == [("sms", "138****1234")]
    assert "13812341234" not in page.content()

    page.reload()  # the hall says the ticket is subscribed, masked
    expect(page.locator("#notify-result .ok")).to_contain_text("138****1234", timeout=5000)
    page.click("#lang")
    expect(page.locator("#notify-result .ok")).to_have_text("Text reminders on: 138****1234")
    page.screenshot(path=str(screens_dir / "phone-notify-on-390x844-en.png"), full_page=True)


def test_a_wrong_code_is_refused_and_a_closed_hall_shows_no_form(browser, server, hall_config, tmp_path):
    from playwright.sync_api import expect

    ticket = issue(server)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    r = httpx.post(
        f"{server.url}/api/public/tickets/{ticket['number']}/notify",
        json={"phone": "13812341234", "c": "WRONG"},
    )
    assert r.status_code == 404 and r.json()["error"]["message_zh"], r.text
    # a hall without notices: the page offers nothing
    plain = ServerThread(
        create_app(
            hall_config, db_path=tmp_path / "plain.db", clock=server.app.state.hall.clock, callout=None
        )
    ).start()
    try:
        other = issue(plain)
        page.goto(f"{plain.url}/t/{other['number']}?c={other['short_code']}#notify")
        expect(page.locator("#content .num")).to_have_text(other["number"], timeout=5000)
        expect(page.locator("#notify")).to_be_hidden()
    finally:
        plain.stop()
