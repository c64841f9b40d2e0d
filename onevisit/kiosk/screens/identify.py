"""Identify: the ID card on the reader, or the number on our own big keypad, checked as typed."""

from __future__ import annotations

import logging

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from onevisit.core.errors import OneVisitError
from onevisit.devices.cardreader import CardRead
from onevisit.kiosk.id_entry import IdEntry
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen

log = logging.getLogger(__name__)


class IdentifyScreen(KioskScreen):
    title_key = "identify.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.entry = IdEntry()
        self.reader_error: OneVisitError | None = None
        self.spoken_problem: str | None = None  # said once when it appears, not on every key

    def wipe(self) -> None:
        self.entry = IdEntry(today=self.app.today())
        self.reader_error = None
        self.spoken_problem = None
        self.dirty = True

    def on_pre_enter(self, *args):
        super().on_pre_enter(*args)
        self.app.speak("voice.identify")

    def build_body(self, body):
        app = self.app
        self.entry._today = app.today()
        reader_card = Card()
        # A reader that failed is a technician's matter (maintenance screen, logs): the citizen is
        # simply asked to type, never told about hardware.
        has_reader = app.devices.card_reader is not None and app.devices.card_reader_error is None
        reader_card.add_widget(
            self.label(
                app.t("identify.card" if has_reader else "identify.card.none"),
                role="title",
                align="center",
                bold=True,
            )
        )
        if has_reader:
            reader_card.add_widget(self.label(app.t("identify.or_type"), tone="muted", align="center"))

        entry_card = Card()
        self.display = self.label(self.entry.grouped or "—", role="title", align="center", bold=True)
        self.display.font_size = app.fs("title") * 1.15
        entry_card.add_widget(self.display)
        self.count = self.label(
            app.t("identify.typed", count=len(self.entry.text)), role="small", tone="muted", align="center"
        )
        entry_card.add_widget(self.count)
        self.message = BoxLayout(orientation="vertical", size_hint_y=None, height=0)
        self.message.bind(minimum_height=self.message.setter("height"))
        entry_card.add_widget(self.message)

        # landscape: the keypad sits in the fixed right-hand column, at the MIIT minimum size
        key_h = app.bh(1.0 if self.landscape else 1.2)
        keypad = GridLayout(cols=3, spacing=dp(14), size_hint_y=None)
        self.keys: dict[str, KButton] = {}
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "DEL"):
            text = app.t("identify.delete") if key == "DEL" else key
            b = KButton(text=text, kind="secondary" if key in ("X", "DEL") else "primary", role="title")
            b.hfactor = key_h / app.bh(1.0)
            b.bind(on_release=lambda _w, k=key: self.press(k))
            self.keys[key] = b
            keypad.add_widget(b)
        keypad.height = 4 * key_h + 3 * dp(14)
        actions = BoxLayout(spacing=dp(14), size_hint_y=None, height=key_h)
        clear = KButton(text=app.t("identify.clear"), kind="secondary")
        clear.hfactor = key_h / app.bh(1.0)
        clear.bind(on_release=lambda *_: self.press("CLEAR"))
        self.confirm = KButton(text=app.t("identify.confirm"))
        self.confirm.hfactor = key_h / app.bh(1.0)
        self.confirm.bind(on_release=lambda *_: self.submit())
        self.keys["CLEAR"], self.keys["OK"] = clear, self.confirm
        actions.add_widget(clear)
        actions.add_widget(self.confirm)

        body.add_widget(reader_card)
        body.add_widget(entry_card)
        if self.landscape:
            self.footer.add_widget(keypad)
        else:
            body.add_widget(keypad)
        self.footer.add_widget(actions)
        self.update()

    def press(self, key: str) -> None:
        self.reader_error = None
        self.entry.press(key)
        self.update()

    def update(self) -> None:
        app = self.app
        self.display.text = self.entry.grouped or "—"
        self.count.text = app.t("identify.typed", count=len(self.entry.text))
        self.message.clear_widgets()
        problem = self.reader_error or self.entry.problem()
        if problem is not None:
            for lbl in self.error_labels(problem):
                self.message.add_widget(lbl)
        elif self.entry.complete is not None:
            self.message.add_widget(
                self.label(app.t("identify.ok"), role="title", tone="ok", align="center", bold=True)
            )
        self.confirm.disabled = self.entry.complete is None
        if problem is not None and problem.code != self.spoken_problem:
            app.say(problem.zh, problem.en)
        self.spoken_problem = problem.code if problem is not None else None

    @property
    def problem(self) -> OneVisitError | None:
        return self.reader_error or self.entry.problem()

    def submit(self) -> None:
        number = self.entry.complete
        if number is None:
            return
        self.app.session.identified(number)
        self.entry.clear()
        self.app.identified()

    def on_card(self, card: CardRead) -> None:
        self.reader_error = None
        self.app.session.identified(card.id_number, card)
        self.entry.clear()
        self.app.identified()

    def show_error(self, error: OneVisitError) -> None:
        if error.code == "card_reader_unavailable":
            log.warning("card reader unavailable: %s", error.en)
            self.app.devices.card_reader_error = error
            self.refresh()  # the card now asks to type; the fault shows on the maintenance screen
            return
        self.reader_error = error
        if self.manager and self.manager.current == self.name:
            self.update()
