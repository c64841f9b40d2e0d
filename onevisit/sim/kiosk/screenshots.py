"""`onevisit kiosk --screenshots DIR`: every screen with demo data, rendered offscreen to PNG.

The app is built without `App.run()`; frames are pumped by hand (EventLoop.idle) until the layout
settles, then the window is read back. Each screen is shown in the state a reviewer needs to see.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def pump(frames: int = 4) -> None:
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def settle(app, condition, frames: int = 600) -> None:
    """Pump frames until `condition()` holds: the app may run its calls in the background (the
    tests' kiosk does; the screenshot command does not)."""
    import time

    deadline = time.monotonic() + 30
    for _ in range(frames):
        if condition() or time.monotonic() > deadline:
            return
        pump(1)


def render_all(
    app, out_dir: Path, suffix: str, after_shot: Callable[[str], None] | None = None
) -> list[Path]:
    """Every screen and state with demo answers, as PNG files named `{state}-{suffix}.png`.

    after_shot(state) runs once each state is on screen: the zh-mode walk test reads every label
    there. Demo answers only: no hall, no live card reader, records from the seeded demo set.
    """
    from kivy.core.window import Window

    from onevisit.core.identity import parse_id
    from onevisit.devices.cardreader.frames import CardReadError
    from onevisit.kiosk.hall_client import HallUnavailable
    from onevisit.kiosk.printing import PrintOutcome
    from onevisit.sim.kiosk.demo_answers import demo_availability, demo_ticket

    out_dir.mkdir(parents=True, exist_ok=True)
    config = app.config_
    written: list[Path] = []

    def shot(name: str, widget=None) -> None:
        """widget: what to read back when it is not the screen (a full-screen view over it)."""
        pump()
        path = out_dir / f"{name}-{suffix}.png"
        (widget or app.root_widget).export_to_png(str(path))
        written.append(path)
        if after_shot is not None:
            after_shot(name)

    app.availability = demo_availability(config)
    app.hall_online = True
    app.go_home()
    shot("home")

    app.start("take")
    identify = app.screen("identify")
    for key in "11010519491231002":
        identify.press(key)
    identify.press("1")  # wrong check digit: the message shows
    shot("identify-wrong-digit")
    identify.entry.clear()
    for key in "1101052":
        identify.press(key)
    shot("identify-impossible-date")
    identify.entry.clear()
    identify.press("9")  # a foreigner's permanent residence card: "not supported here", at once
    shot("identify-foreign-card")

    app.session.identified(parse_id("11010519491231002X", today=app.today()))
    app.session.matters = ["benefit", "medical"]
    app.session.declared = None
    app.go("take")
    shot("take")
    take = app.screen("take")
    take.error = HallUnavailable("demo")
    take.update()
    shot("take-network-down")
    take.error = None

    result = demo_ticket(config)
    app.session.got_ticket(result)
    ticket = app.screen("ticket")
    ticket.printed_for = result["ticket"]["number"]
    ticket.outcome = PrintOutcome("done")
    app.go("ticket")
    shot("ticket")
    ticket.outcome = PrintOutcome("paper_out", "打印纸用完", "out of paper")
    ticket.refresh()
    shot("ticket-paper-out")
    ticket.outcome = PrintOutcome("done")
    # 到号提醒: a number being typed (checked), a wrong start said at once, then subscribed
    app.go("notify")
    notify = app.screen("notify")
    for key in "13812341234":
        notify.press(key)
    shot("notify")
    notify.press("CLEAR")
    for key in "125":
        notify.press(key)
    shot("notify-bad-number")
    notify.wipe()
    app.session.notify = {"number": "C012", "channel": "sms", "to": "138****1234", "ahead": 3}
    app.back()
    shot("ticket-notify-on")

    from onevisit.sim.records.demo_backend import demo_id

    app.go_home()
    app.session.identified(demo_id("gap"))
    app.go("certificate")
    shot("certificate-choose")
    if config.hall.public_url_problem:  # certificates are refused on a loopback address
        from onevisit.sim.demo.config import demo_public_url, with_updates

        app.config_ = with_updates(config, {"hall": {"public_url": demo_public_url(config.hall.port)}})
    certificate = app.screen("certificate")
    certificate.preview()
    settle(app, lambda: certificate.issued is not None or certificate.error is not None)
    shot("certificate-preview")
    certificate.open_viewer()
    shot("certificate-full-view", certificate.viewer)
    certificate.viewer.dismiss()
    pump()
    app.config_ = config
    app.session.identified(demo_id("gap"))
    app.go("records")
    shot("records")
    _card_shots(app, shot)
    _pension_shots(app, shot)
    _face_shots(app, out_dir, shot)
    _appointment_shots(app, shot)
    app.go_home()
    saved, app.devices.records = app.devices.records, None
    app.go("certificate")
    shot("certificate-unavailable")
    app.devices.records = saved
    app.go_home()
    app.go("guide")
    shot("guide")
    app.go_home()
    app.go("recheck")
    recheck = app.screen("recheck")
    for key in ("C", "0", "1", "2"):
        recheck.press(key)
    shot("recheck")

    app.go_home()
    app.go("identify")
    app.advance_idle(config.kiosk.idle_seconds - config.kiosk.idle_warning_seconds + 3)
    shot("idle-warning")

    app.go_home()
    app.go("maintenance")
    maint = app.screen("maintenance")
    maint.unlocked = True
    maint.refresh()
    shot("maintenance")
    app.go_home()
    _ = (Window, CardReadError)
    return written


def _card_shots(app, shot) -> None:
    """社保卡: a card being made, a lost card, the phone-tail check (one wrong try), and a loss
    reported with its receipt printed. The loss is shown, not made: records stay as seeded."""
    from onevisit.kiosk.printing import PrintOutcome
    from onevisit.sim.records.demo_backend import demo_id

    for key, name in (("new_worker", "card-in-production"), ("pensioner_certified", "card-lost")):
        app.go_home()
        app.session.purpose = "card"
        app.session.identified(demo_id(key))
        app.go("card")
        shot(name)
    app.go_home()
    app.session.purpose = "card"
    app.session.identified(demo_id("long_history"))
    app.go("card")
    shot("card-active")
    screen = app.screen("card")
    screen.start_report()
    screen.tries_left = 2
    for key in "30":
        screen.press(key)
    shot("card-verify")
    import dataclasses
    import datetime as dt

    lost_at = dt.datetime.now().astimezone().replace(second=0, microsecond=0)
    screen.card = dataclasses.replace(screen.card, state="lost", lost_at=lost_at)
    screen.stage, screen.receipt = "reported", "printed"
    screen.refresh()
    shot("card-reported")
    screen.receipt = "failed:" + PrintOutcome("paper_out", "打印纸已用完", "out of paper").zh
    screen.refresh()
    shot("card-receipt-failed")
    app.go_home()


def _pension_shots(app, shot) -> None:
    """居民养老缴费: levels with a choice, the QR, paid with the receipt printed, and a payment that
    failed. The order is the demo's, shown not made: the hall is not asked (no hall here)."""
    from onevisit.kiosk.hall_client import HallClient
    from onevisit.sim.records.demo_backend import demo_id

    saved = app.devices.hall
    app.devices.hall = HallClient("http://127.0.0.1:9")  # "there is a hall": never called here
    try:
        app.go_home()
        app.session.purpose = "pension"
        app.session.identified(demo_id("resident_pension"))
        app.go("pension")
        screen = app.screen("pension")
        if screen.year_info is None or not screen.year_info.levels:
            return  # a records database seeded in a paid year: nothing to choose
        screen.choose(screen.year_info.levels[3])
        shot("pension-choose")
        year = screen.year_info.year
        screen.order = {
            "order_id": f"RP{year}1129A1B2C3D4E5F60718",
            "year": year,
            "amount": f"{screen.choice.amount:.2f}",
            "state": "open",
            "pay_url": f"http://127.0.0.1:8620/pay/RP{year}1129A1B2C3D4E5F60718",
            "settled_at": None,
        }
        screen.stage, screen.qr_since = "qr", app.monotonic()
        screen.refresh()
        shot("pension-qr")
        screen.stage, screen.receipt = "paid", "printed"
        screen.refresh()
        shot("pension-paid")
        screen.stage = "failed"
        screen.refresh()
        shot("pension-failed")
        screen.stage = "choose"  # nothing to cancel on the way home
    finally:
        app.devices.hall.close()
        app.devices.hall = saved
        app.go_home()


def _appointment_shots(app, shot) -> None:
    """预约签到: checked in (the ticket with its slot), and refused for being early."""
    from onevisit.core.identity import parse_id
    from onevisit.kiosk.printing import PrintOutcome
    from onevisit.sim.kiosk.demo_answers import demo_appointment_refusal, demo_appointment_ticket

    config = app.config_
    app.go_home()
    app.session.purpose = "appointment"
    app.session.identified(parse_id("330106197503142310", today=app.today()))
    screen = app.screen("appointment")
    screen.error = demo_appointment_refusal()  # set before entering: no check-in is attempted
    app.go("appointment")
    shot("appointment-too-early")

    app.go_home()
    result = demo_appointment_ticket(config)
    app.session.purpose = "appointment"
    app.session.identified(parse_id("510107195808083156", today=app.today()))
    app.session.got_ticket(result)
    app.session.appointment = {"slot": result["slot"], "already_open": False}
    ticket = app.screen("ticket")
    ticket.printed_for = result["ticket"]["number"]
    ticket.outcome = PrintOutcome("done")
    app.go("ticket")
    shot("appointment-ticket")
    app.session.created = False
    app.session.appointment = {"slot": result["slot"], "already_open": True}
    ticket.refresh()
    shot("appointment-open-ticket")
    app.go_home()


def _demo_camera_frame(out_dir: Path, config) -> Path:
    """A kiosk-distance picture for the preview: a shared face photo when present, else a grey
    card saying so (screens are reviewed, not certified, in screenshot mode)."""
    import cv2
    import numpy as np

    path = out_dir / ".demo-records" / "camera.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        from onevisit.devices.camera import load_image
        from onevisit.sim.camera.puppet import kiosk_view
        from onevisit.sim.records.demo_backend import default_faces_dir

        photo = default_faces_dir(config) / "face_recognition/examples/obama.jpg"
        frame = kiosk_view(load_image(photo))
    except Exception:  # no shared photos on this machine
        frame = np.full((480, 640, 3), 150, np.uint8)
    cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return path


def _face_shots(app, out_dir: Path, shot) -> None:
    """Instructions with the live picture, a check in progress, a pass, and three failures."""
    from onevisit.devices.camera import open_camera
    from onevisit.kiosk.face import FaceCertifier, FaceRun
    from onevisit.verification.flow import AttemptLog, FlowResult

    saved = (app.devices.camera_url, app.devices.verification)
    url = f"frames://{_demo_camera_frame(out_dir, app.config_)}?loop=1"
    app.devices.camera_url = url
    app.devices.verification = FaceCertifier(app.config_, app.devices.records, url)
    screen = app.screen("face")
    try:
        app.go_home()
        app.start("face")
        from onevisit.sim.records.demo_backend import demo_id

        app.session.identified(demo_id("pensioner_due"))
        app.go("face")
        settle(app, lambda: not screen.asking)
        for _ in range(40):
            pump(1)
            if screen.view is not None and screen.view.frames_shown:
                break
        shot("face")
        screen._stop_preview()
        run = FaceRun(app.devices.verification, app.session.id_number, print, print, None, None)
        run.released = True  # never started: nothing to release
        camera = open_camera(url)
        run.latest.put(camera.read())
        camera.close()
        p = run.progress
        p.state, p.attempt, p.action, p.actions = "running", 2, 1, 2
        p.prompt_zh, p.prompt_en = "请向左转头", "Please turn your head to the left"
        from onevisit.verification.flow import reason_text

        p.failed_zh, p.failed_en = reason_text("challenge_timeout")  # why try 1 did not pass
        screen.run = run
        screen.refresh()
        pump(3)
        screen.view.update()
        shot("face-running")
        screen.run = None
        masked = app.session.id_number.masked
        until = "2027-11-23"
        screen.result = FlowResult(
            "passed", masked, [AttemptLog(1, ["blink", "turn_left"], passed=True)], certified_until=until
        )
        screen.refresh()
        shot("face-passed")
        attempts = [
            AttemptLog(1, ["blink", "nod"], reason="static_face"),
            AttemptLog(2, ["open_mouth", "turn_right"], reason="challenge_timeout"),
            AttemptLog(3, ["blink", "turn_left"], reason="no_match"),
        ]
        screen.result = FlowResult(
            "failed",
            masked,
            attempts,
            reason="no_match",
            window_tag="pension certification failed: The face does not match the photo on file",
        )
        screen.refresh()
        shot("face-failed")
        screen.route_to_window()  # the take screen says why, in the citizen's language
        shot("take-after-face-failed")
    finally:
        screen.result = None
        app.go_home()
        app.devices.camera_url, app.devices.verification = saved
        app.go_home()
        app.go("face")
        shot("face-no-camera")
        app.devices.camera_url = url
        app.devices.verification = FaceCertifier(app.config_, app.devices.records, url)
        app.go_home()
        app.session.identified(demo_id("pensioner_certified"))
        app.go("face")  # told at once, before any camera step
        settle(app, lambda: screen.result is not None or screen.error is not None)
        shot("face-not-due")
        app.go_home()
        app.devices.camera_url, app.devices.verification = saved
