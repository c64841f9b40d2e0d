"""过号重排: a citizen who missed the call types the ticket number and rejoins the queue."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from onevisit.core.errors import OneVisitError
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen
from onevisit.queue.numbers import MAX_DIGITS


class RecheckScreen(KioskScreen):
    title_key = "recheck.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.number = ""
        self.result: str | None = None
        self.error: OneVisitError | None = None

    def wipe(self) -> None:
        self.number, self.result, self.error = "", None, None
        self.dirty = True

    def build_body(self, body):
        app = self.app
        card = Card()
        card.add_widget(self.label(app.t("recheck.prompt"), role="title", align="center"))
        self.display = self.label(self.number or "—", role="title", align="center", bold=True, tone="accent")
        self.display.font_size = app.fs("title") * 1.6
        card.add_widget(self.display)
        self.message = BoxLayout(orientation="vertical", size_hint_y=None, height=0)
        self.message.bind(minimum_height=self.message.setter("height"))
        card.add_widget(self.message)
        body.add_widget(card)
        # landscape: letters, digits and the button in the fixed right-hand column
        pad = self.footer if self.landscape else body
        letters = sorted({m.prefix for m in app.config_.matters})
        key_f = 1.0 if self.landscape else 1.1
        lgrid = GridLayout(cols=len(letters), spacing=dp(12), size_hint_y=None, height=app.bh(key_f))
        for letter in letters:
            b = KButton(text=letter, kind="secondary", role="title", hfactor=key_f)
            b.bind(on_release=lambda _w, k=letter: self.press(k))
            lgrid.add_widget(b)
        pad.add_widget(lgrid)
        keypad = GridLayout(cols=4 if self.landscape else 3, spacing=dp(12), size_hint_y=None)
        keypad.bind(minimum_height=keypad.setter("height"))
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "DEL"):
            b = KButton(
                text=app.t("identify.delete") if key == "DEL" else key,
                role="title",
                hfactor=key_f,
                kind="secondary" if key == "DEL" else "primary",
            )
            b.bind(on_release=lambda _w, k=key: self.press(k))
            keypad.add_widget(b)
        pad.add_widget(keypad)
        self.confirm = KButton(text=app.t("recheck.confirm"), hfactor=key_f)
        self.confirm.bind(on_release=lambda *_: self.submit())
        self.footer.add_widget(self.confirm)
        self.update()

    def press(self, key: str) -> None:
        self.error, self.result = None, None
        if key == "DEL":
            self.number = self.number[:-1]
        elif key.isalpha():
            self.number = key
        elif self.number and len(self.number) <= MAX_DIGITS:  # A1000 and beyond when caps pass 999
            self.number += key
        self.update()

    def update(self) -> None:
        self.display.text = self.number or "—"
        self.message.clear_widgets()
        if self.error is not None:
            for lbl in self.error_labels(self.error):
                self.message.add_widget(lbl)
        elif self.result:
            self.message.add_widget(
                self.label(self.result, role="title", tone="ok", align="center", bold=True)
            )
        self.confirm.disabled = len(self.number) < 2

    def submit(self) -> None:
        app = self.app
        hall = app.devices.hall
        if hall is None:
            return
        number = self.number

        def done(result):
            ahead = (result.get("position") or {}).get("ahead", 0)
            # the number as printed (A001), not as typed (A1): what the board will call
            shown = (result.get("ticket") or {}).get("number") or number
            self.error = None
            self.result = app.t("recheck.done", number=shown, ahead=ahead)
            self.update()

        def fail(error):
            self.error = error
            self.update()

        # a double tap re-queued and then said "没有过号": the second press shows the first's answer
        app.act("recheck", number, lambda key: hall.checkin(number, idempotency_key=key), done, fail)
