"""/maintenance lists the window keypads with the boards: a dead 评价器 is an alert, in both languages."""

from __future__ import annotations

import pytest

from onevisit.sim.boards.emulator import BoardEmulator
from onevisit.sim.demo.config import with_updates
from tests.hall.maintenance.conftest import PASSWORD, start_hall

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_technician_sees_keypads_and_the_dead_one(tech_config, tmp_path, browser, screens_dir):
    config = with_updates(
        tech_config,
        {
            "boards": {
                "poll_seconds": 0.05,
                "keypads": [
                    {"address": 21, "kind": "caller", "window": 3, "transfer_matter": "contrib"},
                    {"address": 31, "kind": "rater", "window": 3},
                ],
            }
        },
    )
    emulator = BoardEmulator(config.boards.port, keypads={21: "caller", 31: "rater"}, dead={31}).start()
    server, hall = start_hall(config, tmp_path)
    try:
        assert emulator.wait_keypads(lambda k: k[21].text == "---- 候0")
        assert hall.maintenance.wait_for(
            lambda: any(a["device"] == "keypad:31" for a in hall.maintenance.alerts()), 20
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{hall.url}/maintenance")
        page.fill("#username", "tech")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_selector("tr[data-device='keypad:21']")
        assert "---- 候0" in page.inner_text("tr[data-device='keypad:21']")
        assert "呼叫器 21" in page.inner_text("tr[data-device='keypad:21']")
        assert "评价器 31" in page.inner_text("tr[data-device='keypad:31']")
        assert "呼叫器/评价器离线" in page.inner_text(".alert[data-code='keypad_offline']")
        page.screenshot(path=str(screens_dir / "maintenance-keypads-zh.png"), full_page=True)
        page.click("#lang")
        page.wait_for_selector("text=Keypad offline")
        assert "caller 21 (window 3)" in page.inner_text("tr[data-device='keypad:21']")
        page.screenshot(path=str(screens_dir / "maintenance-keypads-en.png"), full_page=True)
    finally:
        server.stop()
        emulator.stop()
