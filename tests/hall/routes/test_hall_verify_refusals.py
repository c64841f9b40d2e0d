"""/verify's refusals through the real hall app: the JSON error shape of /api/verify-cert, and the
page showing the hall's own reason (not a generic failure) on a phone, in Chinese and in English.

tests/records/test_records_verify_route.py covers the verdicts themselves on a bare router.
"""

from __future__ import annotations

import pytest

from onevisit.hall.app import create_app
from onevisit.hall.routes.verify import MAX_IMAGE_BYTES
from onevisit.hall.server import ServerThread

TOO_LARGE = b"\x89PNG" + b"\0" * MAX_IMAGE_BYTES  # one byte over the limit; never decoded


def test_refusals_are_the_halls_error_shape(client):
    big = client.post("/api/verify-cert/image", files={"file": ("big.png", TOO_LARGE, "image/png")})
    assert big.status_code == 413
    assert big.json() == {
        "error": {
            "code": "image_too_large",
            "message_zh": "图片太大（最大8MB）",
            "message_en": "The image is larger than 8 MB",
        }
    }
    junk = client.post("/api/verify-cert/image", files={"file": ("x.png", b"not an image", "image/png")})
    assert junk.status_code == 400 and junk.json()["error"]["code"] == "not_an_image"
    empty = client.post("/api/verify-cert", json={})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "nothing_to_verify"
    extra = client.post("/api/verify-cert", json={"payload": "x", "extra": 1})
    assert extra.status_code == 422 and extra.json()["error"]["code"] == "invalid_request"
    for r in (big, junk, empty, extra):
        assert "detail" not in r.json()


@pytest.fixture
def server(hall_config, db_path, clock):
    app = create_app(hall_config, db_path=db_path, clock=clock, callout=None)
    with ServerThread(app) as running:
        yield running


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_page_shows_the_refusal_reason_on_a_phone(server, browser, screens_dir):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server.url}/verify")
    page.set_input_files("#image", files=[{"name": "big.png", "mimeType": "image/png", "buffer": TOO_LARGE}])
    page.click("button[type=submit]")
    expect(page.locator("#reason")).to_have_text("图片太大（最大8MB）", timeout=10000)
    expect(page.locator("#verdict")).to_have_text("无效")
    expect(page.locator("#result")).to_have_class("bad")
    page.screenshot(path=str(screens_dir / "verify-too-large.png"), full_page=True)

    page.goto(f"{server.url}/verify?lang=en")
    page.set_input_files(
        "#image", files=[{"name": "x.png", "mimeType": "image/png", "buffer": b"not an image"}]
    )
    page.click("button[type=submit]")
    expect(page.locator("#reason")).to_have_text("The file is not an image we can read", timeout=10000)
    expect(page.locator("#verdict")).to_have_text("INVALID")

    page.set_input_files("#image", files=[])
    page.click("button[type=submit]")  # an empty form: nothing to verify
    expect(page.locator("#reason")).to_have_text(
        "Give the QR text, or the serial number and verification code", timeout=10000
    )
    page.screenshot(path=str(screens_dir / "verify-nothing-en.png"), full_page=True)
