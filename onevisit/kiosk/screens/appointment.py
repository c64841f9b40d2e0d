"""预约签到: the identified citizen's booking for today is checked in, and the ticket screen shows
the number (printed, QR, spoken, as for any ticket).

The check-in starts as soon as the screen opens: the citizen has already shown the ID, there is
nothing more to choose. A refusal (too early, lapsed, no booking) is said in the citizen's
language with the other under it, next to a big button to take an ordinary number instead.
"""

from __future__ import annotations

import logging

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from onevisit.core.errors import OneVisitError
from onevisit.kiosk.hall_client import HallUnavailable
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen

log = logging.getLogger(__name__)


class AppointmentScreen(KioskScreen):
    title_key = "appointment.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.working = False
        self.error: OneVisitError | None = None

    def wipe(self) -> None:
        self.working = False
        self.error = None
        self.dirty = True

    def on_pre_enter(self, *args):
        self.dirty = True
        super().on_pre_enter(*args)
        session = self.app.session
        if (
            session.id_number is not None
            and session.ticket is None
            and self.error is None
            and not self.working
        ):
            self.submit()

    def build_body(self, body):
        app = self.app
        session = app.session
        card = Card()
        card.add_widget(self.label(app.t("appointment.prompt"), role="title", align="center", bold=True))
        if session.id_number is not None:
            card.add_widget(
                self.label(
                    app.t("appointment.person", masked=session.id_number.masked), tone="muted", align="center"
                )
            )
        card.add_widget(self.label(app.t("appointment.rules", **self._rules()), role="small", align="center"))
        body.add_widget(card)

        self.status = BoxLayout(orientation="vertical", size_hint_y=None, height=0, spacing=dp(10))
        self.status.bind(minimum_height=self.status.setter("height"))
        # portrait: the answer right under the citizen's ID; landscape: beside it, above the buttons
        (self.footer if self.landscape else body).add_widget(self.status)
        self.retry = KButton(text=app.t("take.retry"), kind="secondary", hfactor=1.2)
        self.retry.bind(on_release=lambda *_: self.submit())
        # the way out of every refusal: an ordinary number, one touch, the ID already known
        self.take = KButton(text=app.t("appointment.take_instead"), hfactor=1.4, role="title")
        self.take.bind(on_release=lambda *_: self.take_number())
        self.view_ticket = KButton(text=app.t("appointment.view_ticket"), hfactor=1.4, role="title")
        self.view_ticket.bind(on_release=lambda *_: app.go("ticket"))
        self.update()

    def _rules(self) -> dict[str, int]:
        rules = self.app.config_.appointments
        return {"early": rules.early_minutes, "late": rules.late_minutes}

    def update(self) -> None:
        app = self.app
        self.status.clear_widgets()
        for button in (self.retry, self.take, self.view_ticket):
            if button.parent is not None:
                button.parent.remove_widget(button)
        self.heading_refresh()
        if self.working:
            self.status.add_widget(self.label(app.t("appointment.working"), role="title", align="center"))
        elif app.session.ticket is not None:
            number = app.session.ticket.get("number", "")
            self.status.add_widget(
                self.label(app.t("appointment.done", number=number), role="title", tone="ok", align="center")
            )
            self.footer.add_widget(self.view_ticket)
        elif self.error is not None:
            if isinstance(self.error, HallUnavailable):
                self.status.add_widget(self.label(app.t("net.down"), role="title", tone="danger", bold=True))
                if app.lang != "zh":  # a Chinese reader gets one language (KioskScreen.error_labels)
                    self.status.add_widget(self.label(app.t_other("net.down"), role="small", tone="danger"))
                self.footer.add_widget(self.retry)
            else:
                for lbl in self.error_labels(self.error):
                    self.status.add_widget(lbl)
            self.footer.add_widget(self.take)

    def heading_refresh(self) -> None:
        """ "Looking up your booking" only while it is looked up; after an answer, what it is about."""
        card = next((w for w in self.body.children if isinstance(w, Card)), None)
        if card is None or not card.children:
            return
        heading = card.children[-1]
        key = "appointment.prompt" if self.working or self.error is None else "appointment.heading"
        heading.text = self.app.t(key)

    def submit(self) -> None:
        app = self.app
        session = app.session
        hall = app.devices.hall
        if self.working or session.id_number is None:
            return
        if hall is None:
            self.error = HallUnavailable("no hall configured")
            self.update()
            return
        id_number = session.id_number.value
        self.working = True
        self.error = None
        self.update()
        # one key per press, kept across a network retry (the retry is the same press); a refusal
        # is an answer, so a later press is new (kiosk/actions.py)
        app.act(
            "appointment",
            id_number,
            lambda key: hall.checkin_appointment(id_number, key),
            self._checked_in,
            self._failed,
        )

    def _checked_in(self, result: dict) -> None:
        self.working = False
        session = self.app.session
        session.got_ticket(result)
        session.appointment = {
            "slot": result.get("slot"),
            "already_open": bool(result.get("already_open")),
        }
        log.info(
            "appointment checked in: ticket %s%s",
            session.ticket.get("number"),
            " (open ticket kept)" if result.get("already_open") else "",
        )
        self.app.go("ticket")

    def _failed(self, error: OneVisitError) -> None:
        self.working = False
        self.error = error
        log.info("appointment check-in refused: %s", error.code)
        self.app.say(error.zh, error.en)
        if self.manager and self.manager.current == self.name:
            self.update()

    def take_number(self) -> None:
        """An ordinary number for the same citizen: the ID is kept, the matters are chosen next."""
        session = self.app.session
        session.purpose = "take"
        self.error = None
        self.app.go("take")
