"""社保卡: the card's state and production progress in plain words, and 临时挂失 at the kiosk.

挂失 needs a second factor beyond the ID card: the last four digits of the phone number on record
(records' `Person.phone_tail`), three tries, then a window. The loss goes to records at once
(`report_card_loss`, idempotent there), then a receipt is printed; a failed print leaves the loss
in force and offers a reprint. Reversal (解除挂失) is a window's act and is not offered here.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging

from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import mask_name
from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen

log = logging.getLogger(__name__)

#: Wrong phone-tail entries before the kiosk sends the citizen to a window (as the face check's 3).
TAIL_TRIES = 3


class CardScreen(KioskScreen):
    title_key = "card.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.wipe_state()

    def wipe_state(self) -> None:
        self.person = None
        self.card = None  # records.backend.CardStatus
        self.error: OneVisitError | None = None
        self.stage = "status"  # status | verify | reported
        self.tail = ""
        self.tries_left = TAIL_TRIES
        self.receipt: str | None = None  # None | printing | printed | failed:<reason>

    def wipe(self) -> None:
        self.wipe_state()
        self.dirty = True

    def on_pre_enter(self, *args):
        app = self.app
        if app.devices.records is not None and app.session.id_number is not None and self.card is None:
            self.load()
        super().on_pre_enter(*args)

    def load(self) -> None:
        app = self.app
        backend = app.devices.records
        number = app.session.id_number

        def work(_key: str):
            return backend.find_person(number), backend.card_status(number)

        def done(data):
            self.person, self.card = data
            app.report(ss.CARD_QUERIED, state=self.card.state)
            self.refresh()

        def fail(error):
            self.error = error
            self.refresh()

        app.act("card", "status", work, done, fail)

    # ---- what the citizen sees -----------------------------------------------------------------
    def build_body(self, body):
        app = self.app
        if app.devices.records is None:
            self.unavailable(body, "unavailable.card", offer_ticket="card_unavailable")
            return
        if self.error is not None:
            for lbl in self.error_labels(self.error):
                body.add_widget(lbl)
            self.footer.add_widget(self.button(app.t("card.to_window"), self.route_to_window))
            return
        if self.card is None:
            body.add_widget(self.label(app.t("take.working"), role="title", align="center"))
            return
        if self.stage == "verify":
            self.build_verify(body)
        elif self.stage == "reported":
            self.build_reported(body)
        else:
            self.build_status(body)

    def _state_words(self) -> str:
        zh, en = self.card.words
        return zh if self.app.lang == "zh" else en

    def _who(self) -> Card:
        who = Card()
        who.add_widget(
            self.label(f"{mask_name(self.person.name)}  {self.person.gender}", role="title", bold=True)
        )
        who.add_widget(self.label(self.person.id_masked, tone="muted"))
        return who

    def build_status(self, body) -> None:
        app, card = self.app, self.card
        body.add_widget(self._who())
        state = Card()
        state.add_widget(self.label(app.t("card.state"), tone="muted"))
        tone = "danger" if card.state == "lost" else "ok" if card.state in ("active", "ready") else "text"
        state.add_widget(self.label(self._state_words(), role="title", tone=tone, bold=True))
        if card.card_tail:
            state.add_widget(self.label(app.t("card.tail", tail=card.card_tail)))
        if card.state == "ready" and card.branch:
            state.add_widget(self.label(app.t("card.collect", branch=card.branch), bold=True))
        elif card.branch and card.state != "active" and card.state != "lost":
            state.add_widget(self.label(app.t("card.branch", branch=card.branch)))
        if card.state == "lost" and card.lost_at is not None:
            state.add_widget(self.label(app.t("card.lost_at", at=f"{card.lost_at:%Y-%m-%d %H:%M}")))
            state.add_widget(self.label(app.t("card.lost_hint"), role="small", tone="muted"))
        body.add_widget(state)
        steps = Card()
        steps.add_widget(self.label(app.t("card.progress"), role="title", bold=True))
        for step in card.progress:
            steps.add_widget(self.label(f"{step.on:%Y-%m-%d}   {app.t(f'card.step.{step.state}')}"))
        body.add_widget(steps)
        if card.state == "active":
            self.footer.add_widget(self.label(app.t("card.report_hint"), role="small", tone="muted"))
            self.footer.add_widget(self.button(app.t("card.report"), self.start_report, kind="danger"))

    def build_verify(self, body) -> None:
        app = self.app
        body.add_widget(self._who())
        if not self.person.phone_tail:
            body.add_widget(self.label(app.t("card.no_phone"), role="title", tone="danger", bold=True))
            self.footer.add_widget(self.button(app.t("card.to_window"), self.route_to_window))
            return
        entry = Card()
        entry.add_widget(self.label(app.t("card.verify"), role="title", bold=True))
        entry.add_widget(self.label(app.t("card.verify_why"), role="small", tone="muted"))
        shown = "  ".join(self.tail.ljust(4, "_"))
        entry.add_widget(self.label(shown, role="title", align="center", bold=True))
        entry.add_widget(
            self.label(
                app.t("card.verify.typed", count=len(self.tail)), role="small", tone="muted", align="center"
            )
        )
        if self.tries_left <= 0:
            entry.add_widget(self.label(app.t("card.verify.failed"), role="title", tone="danger", bold=True))
            body.add_widget(entry)
            self.footer.add_widget(self.button(app.t("card.to_window"), self.route_to_window))
            return
        if self.tries_left < TAIL_TRIES:
            entry.add_widget(
                self.label(app.t("card.verify.wrong", left=self.tries_left), tone="danger", bold=True)
            )
        body.add_widget(entry)
        key_h = app.bh(1.0 if self.landscape else 1.2)
        keypad = GridLayout(cols=3, spacing=dp(14), size_hint_y=None)
        self.keys: dict[str, KButton] = {}
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "", "0", "DEL"):
            if not key:
                keypad.add_widget(KButton(text="", kind="secondary", disabled=True, opacity=0))
                continue
            text = app.t("identify.delete") if key == "DEL" else key
            b = KButton(text=text, kind="secondary" if key == "DEL" else "primary", role="title")
            b.hfactor = key_h / app.bh(1.0)
            b.bind(on_release=lambda _w, k=key: self.press(k))
            self.keys[key] = b
            keypad.add_widget(b)
        keypad.height = 4 * key_h + 3 * dp(14)
        (self.footer if self.landscape else body).add_widget(keypad)
        self.confirm = self.button(app.t("card.confirm"), self.submit_tail, kind="danger")
        self.confirm.disabled = len(self.tail) != 4
        self.footer.add_widget(self.confirm)

    def build_reported(self, body) -> None:
        app, card = self.app, self.card
        body.add_widget(self._who())
        done = Card()
        done.add_widget(self.label(app.t("card.reported"), role="title", tone="ok", bold=True))
        if card.card_tail:
            done.add_widget(self.label(app.t("card.tail", tail=card.card_tail)))
        if card.lost_at is not None:
            done.add_widget(self.label(app.t("card.lost_at", at=f"{card.lost_at:%Y-%m-%d %H:%M}")))
        done.add_widget(self.label(app.t("card.lost_hint"), role="small", tone="muted"))
        body.add_widget(done)
        if self.receipt == "printing":
            self.footer.add_widget(self.label(app.t("card.receipt_printing"), role="title", align="center"))
        elif self.receipt == "printed":
            self.footer.add_widget(
                self.label(app.t("card.receipt_done"), role="title", tone="ok", align="center")
            )
        elif self.receipt is not None:
            reason = self.receipt.partition(":")[2]
            self.footer.add_widget(
                self.label(app.t("card.receipt_failed", reason=reason), tone="danger", bold=True)
            )
            self.footer.add_widget(self.button(app.t("card.reprint"), self.print_receipt, kind="secondary"))
            self.footer.add_widget(
                self.button(app.t("card.to_window"), self.route_to_window, kind="secondary")
            )

    # ---- what the citizen does -----------------------------------------------------------------
    def start_report(self) -> None:
        self.stage, self.tail = "verify", ""
        self.refresh()

    def press(self, key: str) -> None:
        if key == "DEL":
            self.tail = self.tail[:-1]
        elif len(self.tail) < 4:
            self.tail += key
        self.refresh()

    def submit_tail(self) -> None:
        if len(self.tail) != 4 or self.tries_left <= 0:
            return
        if not hmac.compare_digest(self.tail, self.person.phone_tail):
            self.tries_left -= 1
            self.tail = ""
            log.info("card loss: phone tail did not match (%d tries left)", self.tries_left)
            self.refresh()
            return
        self.report_loss()

    def report_loss(self) -> None:
        app = self.app
        backend = app.devices.records
        number = app.session.id_number
        channel = app.config_.kiosk.name
        self.footer.clear_widgets()
        self.footer.add_widget(self.label(app.t("card.working"), role="title", align="center"))

        def work(_key: str):
            return backend.report_card_loss(number, dt.datetime.now().astimezone(), channel)

        def done(card):
            self.card, self.stage = card, "reported"
            app.report(ss.CARD_LOSS_REPORTED, channel=channel)
            self.refresh()
            self.print_receipt()

        def fail(error):
            self.error = error
            self.refresh()

        # records is idempotent too, but a double tap must not even ask twice
        app.act("card-loss", "report", work, done, fail)

    def print_receipt(self) -> None:
        from onevisit.kiosk.receipt import card_loss_receipt

        card, person = self.card, self.person
        self.print_slip(
            "card-receipt",
            str(card.lost_at),
            lambda: card_loss_receipt(
                self.app.config_,
                id_masked=person.id_masked,
                name_masked=mask_name(person.name),
                card_tail=card.card_tail,
                lost_at=card.lost_at or dt.datetime.now().astimezone(),
            ),
            ref=f"card-loss-{person.id_masked[-4:]}",
        )

    def route_to_window(self) -> None:
        if self.error is not None:
            tag = f"card:{self.error.code}"
        elif self.stage == "verify" and not (self.person and self.person.phone_tail):
            tag = "card:no_phone_on_file"
        elif self.stage == "verify":
            tag = "card:second_factor_failed"
        else:
            tag = "card:receipt_print_failed"
        self.app.take_number_for_window(tag, purpose="card")
