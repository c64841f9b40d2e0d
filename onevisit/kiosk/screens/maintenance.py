"""Maintenance, behind the hidden corner and the technician PIN: devices, test print, paper, logs.
Logs shown here have ID numbers masked; no citizen data is reachable from this screen."""

from __future__ import annotations

import hmac

from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout

from onevisit.kiosk.screens.common import Card, KButton, KioskScreen, QrImage


class MaintenanceScreen(KioskScreen):
    title_key = "maint.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pin = ""
        self.unlocked = False
        self.wrong = False
        self.note = ""

    preview = None
    camera_view = None

    def wipe(self) -> None:
        self.pin, self.unlocked, self.wrong, self.note = "", False, False, ""
        self.stop_camera()
        self.dirty = True

    def on_leave(self, *args):
        self.stop_camera()

    def stop_camera(self) -> None:
        if self.preview is not None:
            self.preview.stop()
            self.preview = None
        if self.camera_view is not None:
            self.camera_view.stop()
            self.camera_view = None

    def toggle_camera(self) -> None:
        """The technician sees what the camera sees (framing, light) without starting a check."""
        if self.preview is not None:
            self.stop_camera()
        elif self.app.devices.camera_url:
            from onevisit.devices.camera import open_camera
            from onevisit.kiosk.face import CameraPreview

            url = self.app.devices.camera_url
            cam = self.app.config_.camera
            self.preview = CameraPreview(lambda: open_camera(url, cam.width, cam.height)).start()
        self.refresh()

    def build_body(self, body):
        if not self.unlocked:
            self._pin_pad(body)
        else:
            self._panel(body)

    def _pin_pad(self, body):
        app = self.app
        card = Card()
        card.add_widget(self.label(app.t("maint.pin"), role="title", align="center"))
        card.add_widget(self.label("●" * len(self.pin) or "—", role="title", align="center"))
        if self.wrong:
            card.add_widget(self.label(app.t("maint.pin.wrong"), tone="danger", align="center", bold=True))
        body.add_widget(card)
        grid = GridLayout(cols=3, spacing=dp(12), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "DEL", "0", "OK"):
            text = {"DEL": app.t("identify.delete"), "OK": app.t("identify.confirm")}.get(key, key)
            b = KButton(text=text, role="title", kind="secondary" if key == "DEL" else "primary")
            b.bind(on_release=lambda _w, k=key: self.press(k))
            grid.add_widget(b)
        body.add_widget(grid)

    def press(self, key: str) -> None:
        if key == "DEL":
            self.pin = self.pin[:-1]
        elif key == "OK":
            expected = self.app.config_.kiosk.technician_pin
            self.unlocked = hmac.compare_digest(self.pin, expected)
            self.wrong = not self.unlocked
            self.pin = ""
        elif len(self.pin) < 8:
            self.pin += key
            self.wrong = False
        self.refresh()

    def device_rows(self) -> list[tuple[str, str, str]]:
        app = self.app
        d = app.devices
        rows = []
        hall_ok = d.hall is not None and app.hall_online
        rows.append(("hall", d.hall.base_url if d.hall else "-", "ok" if hall_ok else "error"))
        p = d.printer.status()
        rows.append(("printer", p.get("detail", ""), p.get("state", "missing")))
        error = d.card_reader_error
        detail = f" {error.zh} {error.en}" if error else ""
        if d.card_reader is None:
            rows.append(("card reader", "-" + detail, "error" if error else "missing"))
        else:
            rows.append(("card reader", d.card_reader.url + detail, "error" if error else "ok"))
        if not d.camera_url:
            rows.append(("camera", "-", "missing"))
        else:
            error = self.preview.error if self.preview is not None else None
            rows.append(
                ("camera", d.camera_url + (f" {error.en}" if error else ""), "error" if error else "ok")
            )
        voice = d.voice
        if voice is not None:
            rows.append(("voice", f"{voice.engine.name}, {len(voice.spoken)} prompts", "ok"))
        return rows

    def _panel(self, body):
        app = self.app
        card = Card()
        card.add_widget(self.label(app.t("maint.status"), role="title", bold=True))
        for name, detail, state in self.device_rows():
            word = app.t({"ok": "dev.ok", "missing": "dev.missing"}.get(state, "dev.error"))
            tone = {"ok": "ok", "missing": "muted"}.get(state, "danger")
            card.add_widget(self.label(f"{name}: {word}  ({detail})", tone=tone))
        body.add_widget(card)
        if self.note:
            body.add_widget(self.label(self.note, tone="muted"))
        row = GridLayout(cols=4 if self.landscape else 2, spacing=dp(14), size_hint_y=None)
        row.bind(minimum_height=row.setter("height"))
        tp = KButton(text=app.t("maint.test_print"))
        tp.bind(on_release=lambda *_: self._test_print())
        paper = KButton(text=app.t("maint.paper"), kind="secondary")
        paper.bind(on_release=lambda *_: self._paper())
        leave = KButton(text=app.t("maint.exit"), kind="secondary")
        leave.bind(on_release=lambda *_: app.go_home())
        camera = KButton(
            text=app.t("maint.camera_off" if self.preview is not None else "maint.camera"), kind="secondary"
        )
        camera.disabled = not app.devices.camera_url
        camera.bind(on_release=lambda *_: self.toggle_camera())
        self.camera_button = camera
        for b in (tp, paper, camera, leave):
            row.add_widget(b)
        body.add_widget(row)
        if self.preview is not None:
            from kivy.uix.anchorlayout import AnchorLayout

            from onevisit.kiosk.screens.camera_view import CameraView

            if self.camera_view is not None:
                self.camera_view.stop()
            holder = AnchorLayout(size_hint_y=None, height=dp(420))
            self.camera_view = CameraView(self.preview.latest_frame)
            holder.add_widget(self.camera_view)
            body.add_widget(holder)
            if self.preview.error is not None:
                body.add_widget(self.label(self.preview.error.en, tone="danger"))
        body.add_widget(self._board_test_card())
        logs = Card()
        logs.add_widget(self.label(app.t("maint.logs"), role="title", bold=True))
        lines = list(app.recent_log.lines)[-20:] or ["(empty)"]
        logs.add_widget(self.label("\n".join(lines), role="small", tone="muted"))
        body.add_widget(logs)

    def _board_test_card(self) -> Card:
        """The boards hang on the hall server's bus, and a kiosk token may not drive them (it can
        only issue and look up), so the test runs on the hall's /maintenance page under the
        technician's own login: the kiosk hands the technician's phone that page."""
        from kivy.uix.anchorlayout import AnchorLayout

        app = self.app
        url = f"{app.config_.hall.public_url.rstrip('/')}/maintenance"
        card = Card()
        card.add_widget(self.label(app.t("maint.board_test"), role="title", bold=True))
        card.add_widget(self.label(app.t("maint.board_how")))
        holder = AnchorLayout(size_hint_y=None, height=dp(200))
        holder.add_widget(QrImage(url, 190))
        card.add_widget(holder)
        card.add_widget(self.label(url, role="small", tone="muted", align="center"))
        return card

    def _test_print(self) -> None:
        app = self.app

        def done(outcome):
            self.note = f"test print: {outcome.state} {outcome.en}"
            self.refresh()

        app.run_bg(
            app.devices.printer.test_print,
            done,
            lambda e: done(type("O", (), {"state": "failed", "en": e.en})),
        )

    def _paper(self) -> None:
        self.app.devices.printer.paper_replaced()
        self.note = "paper replaced"
        self.refresh()
