"""Every kiosk screen and state in Chinese mode, standard and elderly: no English sentence and no
internal text (a key, a code word, a device's fault) reaches a Chinese reader.

The walk is the screenshot tool's own (onevisit.sim.kiosk.screenshots.render_all), so a screen
added there is checked here. The field report: after three failed face checks the take screen was
headed "取号到窗口办理：pension certification failed: The requested action was not seen in time".
"""

from __future__ import annotations

import re

import pytest

from tests.kiosk.conftest import pump, texts

CJK = re.compile(r"[\u3400-\u9fff]")
# a word with a lowercase letter: English or a key ("ticket.next"); uppercase-only codes such as
# a number (A012), a serial (SFQ2026…) or a masked ID are what a citizen is meant to read
WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")
ALLOWED_WORDS = {"English"}  # the language button names the language it switches to
TECHNICIAN_ONLY = {"maintenance"}  # behind the hidden corner and a PIN


def leaks(text: str) -> list[str]:
    """The words of `text` a Chinese reader should not meet."""
    plain = re.sub(r"\[/?[a-z]+(=[^\]]*)?\]", "", text)  # Kivy markup tags
    return [w for w in WORD.findall(plain) if len(w) > 1 and w not in ALLOWED_WORDS]


def labels(app) -> list[str]:
    """Every text on the window: the screen and anything open over it (the full-screen view)."""
    from kivy.core.window import Window

    return [t for w in Window.children for t in texts(w).split("\n") if t.strip()]


@pytest.fixture
def demo_kiosk(kiosk, tmp_path):
    """The test kiosk with the screenshot tool's demo records (seeded in tmp_path)."""
    from onevisit.commands.kiosk import demo_records_config, open_kiosk_records

    saved = kiosk.config_
    kiosk.config_ = demo_records_config(saved, tmp_path)
    kiosk.devices.records = open_kiosk_records(kiosk.config_)
    yield kiosk
    kiosk.devices.records = None
    kiosk.config_ = saved


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_every_screen_in_chinese_mode_shows_only_chinese(demo_kiosk, screens_dir, elderly):
    from onevisit.sim.kiosk.screenshots import render_all

    app = demo_kiosk
    app.default_lang, app.default_elderly = "zh", elderly
    app.lang = "zh"
    app.set_elderly(elderly)
    found: dict[str, list[str]] = {}
    seen: list[str] = []

    def check(state: str) -> None:
        seen.append(state)
        if state in TECHNICIAN_ONLY:
            return
        for text in labels(app):
            bad = leaks(text)
            if bad:
                found.setdefault(state, []).append(text)

    render_all(app, screens_dir / "zh-walk", "zh-elderly" if elderly else "zh", after_shot=check)
    assert {
        "home",
        "take",
        "ticket",
        "certificate-preview",
        "certificate-full-view",
        "face-running",
        "face-failed",
        "face-not-due",
        "take-after-face-failed",
    } <= set(seen)
    assert not found, found


def test_the_take_screen_after_failed_face_checks_says_why_in_chinese(demo_kiosk):
    app = demo_kiosk
    face = app.screen("face")
    from onevisit.verification.flow import AttemptLog, FlowResult

    face.result = FlowResult(
        "failed",
        "110105********002X",
        [AttemptLog(n, ["blink", "nod"], reason="challenge_timeout") for n in (1, 2, 3)],
        reason="challenge_timeout",
        window_tag="pension certification failed: The requested action was not seen in time",
    )
    try:
        face.route_to_window()
        pump(3)
        shown = texts(app.screen("take"))
        assert "pension" not in shown and "requested action" not in shown
        assert "自助办理未完成" in shown and "取号到窗口办理" in shown
        # the window still gets the full tag with the ticket
        assert app.session.tag.startswith("pension certification failed")
    finally:
        face.result = None


def test_a_failed_card_reader_is_not_the_citizens_business(kiosk):
    from onevisit.devices.cardreader import CardReadError
    from onevisit.devices.cardreader.readers import SimCardReader

    kiosk.devices.card_reader = SimCardReader()
    kiosk.start("take")
    pump(2)
    assert "身份证放在" in texts(kiosk.screen("identify"))
    kiosk.screen("identify").show_error(
        CardReadError("card_reader_unavailable", "读卡器无法打开（串口无响应）", "card reader unavailable")
    )
    pump(2)
    shown = texts(kiosk.screen("identify"))
    assert "读卡器" not in shown and "reader" not in shown and "串口" not in shown
    assert "请在下方输入18位身份证号码" in shown
    kiosk.go("maintenance")
    rows = kiosk.screen("maintenance").device_rows()
    assert ("card reader", "sim:// 读卡器无法打开（串口无响应） card reader unavailable", "error") in rows


def test_the_hall_name_is_whole_in_elderly_mode_beside_the_countdown(kiosk):
    """It was cut to "示…" in elderly mode; now one or two lines at a size that fits."""
    from kivy.core.text import Label as CoreLabel

    kiosk.set_elderly(True)
    try:
        kiosk.start("take")
        kiosk.idle_left = 57  # the countdown takes its room in the bar too
        pump(3)
        bar = next(w for w in kiosk.root_widget.walk() if "hall_name" in getattr(w, "ids", {}))
        label = bar.ids.hall_name
        assert label.text == kiosk.config_.hall.name
        core = CoreLabel(
            text=label.text,
            font_size=label.font_size,
            font_name=label.font_name,
            text_size=(label.width, None),
        )
        core.refresh()
        lines = [line.words[0].text if line.words else "" for line in core._cached_lines]
        assert len(lines) <= label.max_lines and "".join(lines) == kiosk.config_.hall.name
        assert core.content_height <= label.height
    finally:
        kiosk.idle_left = 0
        kiosk.set_elderly(False)
