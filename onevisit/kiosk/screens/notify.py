"""到号提醒 after the ticket: the mobile number on the kiosk's own big keypad, checked as typed
(onevisit.core.phone: 11 digits starting 13–19), or a WeChat QR that opens the ticket's phone page
at its opt-in form (`status_url#notify`). The hall keeps the number encrypted for this ticket only
(docs/notify.md); the kiosk forgets it once the hall answered, and shows it only masked."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from onevisit.core.errors import OneVisitError
from onevisit.core.phone import phone_problem
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen, QrImage

MOBILE_DIGITS = 11


def grouped_phone(typed: str) -> str:
    """`13812341234` → `138 1234 1234`: the 3-4-4 grouping printed on cards and said aloud."""
    return " ".join(part for part in (typed[:3], typed[3:7], typed[7:]) if part)


class NotifyScreen(KioskScreen):
    title_key = "notify.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.typed = ""
        self.error: OneVisitError | None = None  # the hall's refusal (or no answer) of the last press
        self.working = False
        self.spoken_problem: str | None = None

    def wipe(self) -> None:
        self.typed, self.error, self.working, self.spoken_problem = "", None, False, None
        self.dirty = True

    def build_body(self, body):
        app = self.app
        ticket = app.session.ticket or {}
        card = Card()
        card.add_widget(
            self.label(
                f"{app.t('ticket.number')}  {ticket.get('number', '—')}",
                role="title",
                align="center",
                bold=True,
                tone="accent",
            )
        )
        card.add_widget(self.label(app.t("notify.intro"), align="center"))
        card.add_widget(self.label(app.t("notify.type"), role="title", align="center"))
        self.display = self.label("", role="title", align="center", bold=True)
        self.display.font_size = app.fs("title") * 1.5
        card.add_widget(self.display)
        self.count = self.label("", role="small", tone="muted", align="center")
        card.add_widget(self.count)
        self.message = BoxLayout(orientation="vertical", size_hint_y=None, height=0)
        self.message.bind(minimum_height=self.message.setter("height"))
        card.add_widget(self.message)
        body.add_widget(card)

        # the identify keypad's shape: landscape puts it in the fixed right-hand column
        key_h = app.bh(1.0 if self.landscape else 1.2)
        keypad = GridLayout(cols=3, spacing=dp(14), size_hint_y=None, height=4 * key_h + 3 * dp(14))
        self.keys: dict[str, KButton] = {}
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "CLEAR", "0", "DEL"):
            text = {"DEL": app.t("identify.delete"), "CLEAR": app.t("identify.clear")}.get(key, key)
            b = KButton(text=text, kind="secondary" if key in ("CLEAR", "DEL") else "primary", role="title")
            b.hfactor = key_h / app.bh(1.0)
            b.bind(on_release=lambda _w, k=key: self.press(k))
            self.keys[key] = b
            keypad.add_widget(b)
        (self.footer if self.landscape else body).add_widget(keypad)

        status_url = app.session.status_url
        if status_url:
            wechat = Card()
            wechat.add_widget(self.label(app.t("notify.wechat"), role="title", align="center"))
            holder = AnchorLayout(size_hint_y=None, height=dp(260) * app.scale)
            # the phone page opens at its opt-in form; the printed code proves the ticket is theirs
            holder.add_widget(QrImage(f"{status_url}#notify", 240 * app.scale))
            wechat.add_widget(holder)
            body.add_widget(wechat)
        body.add_widget(self.label(app.t("notify.privacy"), role="small", tone="muted", align="center"))

        row = BoxLayout(spacing=dp(14), size_hint_y=None, height=key_h)
        back = KButton(text=app.t("notify.back"), kind="secondary")
        back.hfactor = key_h / app.bh(1.0)
        back.bind(on_release=lambda *_: app.back())
        self.confirm = KButton(text=app.t("notify.confirm"))
        self.confirm.hfactor = key_h / app.bh(1.0)
        self.confirm.bind(on_release=lambda *_: self.submit())
        self.keys["BACK"], self.keys["OK"] = back, self.confirm
        row.add_widget(back)
        row.add_widget(self.confirm)
        self.footer.add_widget(row)
        self.update()

    def press(self, key: str) -> None:
        self.error = None
        if key == "DEL":
            self.typed = self.typed[:-1]
        elif key == "CLEAR":
            self.typed = ""
        elif key.isdigit() and len(self.typed) < MOBILE_DIGITS:
            self.typed += key
        self.update()

    @property
    def problem(self) -> OneVisitError | None:
        return self.error or phone_problem(self.typed)

    @property
    def complete(self) -> bool:
        return len(self.typed) == MOBILE_DIGITS and phone_problem(self.typed) is None

    def update(self) -> None:
        app = self.app
        self.display.text = grouped_phone(self.typed) or "—"
        self.count.text = app.t("notify.typed", count=len(self.typed))
        self.message.clear_widgets()
        problem = self.problem
        if problem is not None:
            for lbl in self.error_labels(problem):
                lbl.halign = "center"
                self.message.add_widget(lbl)
        elif self.working:
            self.message.add_widget(self.label(app.t("notify.working"), role="title", align="center"))
        elif self.complete:
            self.message.add_widget(
                self.label(app.t("notify.ok"), role="title", tone="ok", align="center", bold=True)
            )
        self.confirm.disabled = not self.complete or self.working
        if problem is not None and problem.code != self.spoken_problem:
            app.say(problem.zh, problem.en)
        self.spoken_problem = problem.code if problem is not None else None

    def submit(self) -> None:
        app = self.app
        hall, ticket = app.devices.hall, app.session.ticket
        if hall is None or ticket is None or not self.complete:
            return
        number, phone = ticket["number"], self.typed

        def done(result) -> None:
            self.working = False
            app.session.notify = result
            self.typed, self.error = "", None  # the kiosk keeps no full number once the hall has it
            if self.manager and self.manager.current == self.name:
                app.back()

        def fail(error: OneVisitError) -> None:
            self.working, self.error = False, error
            if self.manager and self.manager.current == self.name:
                self.update()

        self.working = True
        self.update()
        # a double tap is one request (kiosk/actions.py); a retry after no answer is harmless too:
        # the hall keeps one number per ticket and channel and replaces it on a repeat
        app.act("notify", (number, phone), lambda _key: hall.notify(number, phone), done, fail)
