"""`onevisit kiosk --screenshots DIR`: every screen with demo data, rendered offscreen to PNG.

The app is built without `App.run()`; frames are pumped by hand (EventLoop.idle) until the layout
settles, then the window is read back. Each screen is shown in the state a reviewer needs to see.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def pump(frames: int = 4) -> None:
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def render_all(app, out_dir: Path, suffix: str) -> list[Path]:
    from kivy.core.window import Window

    from onevisit.devices.cardreader.frames import CardReadError
    from onevisit.identity import parse_id
    from onevisit.kiosk.demo import demo_availability, demo_ticket
    from onevisit.kiosk.hall_client import HallUnavailable
    from onevisit.kiosk.printing import PrintOutcome

    out_dir.mkdir(parents=True, exist_ok=True)
    config = app.config_
    written: list[Path] = []

    def shot(name: str) -> None:
        pump()
        path = out_dir / f"{name}-{suffix}.png"
        app.root_widget.export_to_png(str(path))
        written.append(path)

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
    app.session.ticket = result["ticket"]
    app.session.position = result["position"]
    app.session.status_url = result["status_url"]
    app.session.created = True
    ticket = app.screen("ticket")
    ticket.printed_for = result["ticket"]["number"]
    ticket.outcome = PrintOutcome("done")
    app.go("ticket")
    shot("ticket")
    ticket.outcome = PrintOutcome("paper_out", "打印纸用完", "out of paper")
    ticket.refresh()
    shot("ticket-paper-out")

    from onevisit.records.demo_backend import demo_id

    app.go_home()
    app.session.identified(demo_id("gap"))
    app.go("certificate")
    shot("certificate-choose")
    app.screen("certificate").preview()
    shot("certificate-preview")
    app.session.identified(demo_id("gap"))
    app.go("records")
    shot("records")
    for name in ("face", "appointment"):
        app.go_home()
        app.go(name)
        shot(name)
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
