"""The face check's steps as an elderly citizen meets them: "无需认证（有效期至…）" before any camera
step, why an attempt failed shown during the next one, the prompt right by the picture. Demo
records without face photos: nothing here runs the face models."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from onevisit.kiosk.face import FaceCertifier, FaceRun
from tests.kiosk.conftest import pump, texts, wait_until


@pytest.fixture
def face_kiosk(kiosk, tmp_path):
    from onevisit.commands.kiosk import demo_records_config, open_kiosk_records

    saved = kiosk.config_
    kiosk.config_ = demo_records_config(saved, tmp_path)
    kiosk.devices.records = open_kiosk_records(kiosk.config_)
    picture = tmp_path / "camera.jpg"
    cv2.imwrite(str(picture), np.full((480, 640, 3), 150, np.uint8))
    url = f"frames://{picture}?loop=1"
    kiosk.devices.camera_url = url
    kiosk.devices.verification = FaceCertifier(kiosk.config_, kiosk.devices.records, url)
    yield kiosk
    kiosk.go_home()
    wait_until(lambda: kiosk.busy == 0)
    kiosk.devices.records = None
    kiosk.config_ = saved


def test_already_certified_is_told_before_any_camera_step(face_kiosk):
    from onevisit.sim.records.demo_backend import demo_id

    app = face_kiosk
    screen = app.screen("face")
    app.session.identified(demo_id("pensioner_certified"))
    app.go("face")
    wait_until(lambda: screen.result is not None)
    pump(2)
    shown = texts(screen)
    assert "无需认证（有效期至" in shown
    assert screen.preview is None and screen.view is None  # the camera was never opened
    assert "开始认证" not in shown


def test_a_due_check_opens_the_camera_after_asking(face_kiosk):
    from onevisit.sim.records.demo_backend import demo_id

    app = face_kiosk
    screen = app.screen("face")
    app.session.identified(demo_id("pensioner_due"))
    app.go("face")
    wait_until(lambda: not screen.asking and screen.preview is not None)
    assert screen.result is None and "开始认证" in texts(screen)


def test_why_the_last_attempt_failed_shows_by_the_picture_during_the_next(face_kiosk):
    from onevisit.sim.records.demo_backend import demo_id

    app = face_kiosk
    screen = app.screen("face")
    app.session.identified(demo_id("pensioner_due"))
    app.go("face")
    wait_until(lambda: not screen.asking)
    screen._stop_preview()
    run = FaceRun(app.devices.verification, app.session.id_number, print, print, None, None)
    run.released = True  # never started: nothing to release
    run.progress.state, run.progress.prompt_zh, run.progress.prompt_en = "running", "请眨眼", "Please blink"
    # the flow's own event, through the run's own handler
    run._event({"type": "pension_certification.attempt_failed", "attempt": 1, "reason": "challenge_timeout"})
    screen.run = run
    try:
        screen.refresh()
        pump(2)
        assert (
            screen.failed_label.text.startswith("第1次未通过：") and "请再试一次" in screen.failed_label.text
        )
        assert "第2次" in screen.progress_label.text
        # portrait: the prompt card sits right under the camera picture, not at the screen's foot
        card = screen.prompt_label.parent
        column = list(reversed(screen.body.children))
        assert card in column and column.index(card) == column.index(screen.view.parent) + 1
    finally:
        screen.run = None
