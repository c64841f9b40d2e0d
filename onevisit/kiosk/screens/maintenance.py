"""Maintenance, behind the hidden corner and the technician PIN: devices, test print, paper, logs.
Logs shown here have ID numbers masked; no citizen data is reachable from this screen."""

from __future__ import annotations

import hmac

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from onevisit.kiosk.screens.common import Card, KButton, KioskScreen


class MaintenanceScreen(KioskScreen):
    title_key = "maint.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pin = ""
        self.unlocked = False
        self.wrong = False
        self.note = ""

    def wipe(self) -> None:
        self.pin, self.unlocked, self.wrong, self.note = "", False, False, ""
        self.dirty = True

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
        if d.card_reader is None:
            rows.append(("card reader", "-", "missing"))
        else:
            rows.append(("card reader", d.card_reader.url, "error" if d.card_reader_error else "ok"))
        rows.append(("camera", d.camera_url or "-", "ok" if d.camera_url else "missing"))
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
        row = BoxLayout(spacing=dp(14), size_hint_y=None, height=app.bh())
        tp = KButton(text=app.t("maint.test_print"))
        tp.bind(on_release=lambda *_: self._test_print())
        paper = KButton(text=app.t("maint.paper"), kind="secondary")
        paper.bind(on_release=lambda *_: self._paper())
        leave = KButton(text=app.t("maint.exit"), kind="secondary")
        leave.bind(on_release=lambda *_: app.go_home())
        for b in (tp, paper, leave):
            row.add_widget(b)
        body.add_widget(row)
        logs = Card()
        logs.add_widget(self.label(app.t("maint.logs"), role="title", bold=True))
        lines = list(app.recent_log.lines)[-20:] or ["(empty)"]
        logs.add_widget(self.label("\n".join(lines), role="small", tone="muted"))
        body.add_widget(logs)

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
