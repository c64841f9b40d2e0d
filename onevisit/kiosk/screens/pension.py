"""居民养老缴费: choose the year's level, a QR for the citizen's phone, the result, a receipt.

The levels and what is paid come from records (`resident_pension_year`); the order is the hall's
(`POST /api/payments/orders`, one idempotency key per press), and so is its settlement: this
screen only shows the QR and polls the hall every `POLL_SECONDS` for the order's state. If the
result does not come within `[payment] wait_seconds`, or the citizen cancels or leaves, the kiosk
asks the hall to cancel (closed on the platform, cancelled in records — or settled, if it was paid
meanwhile). A kiosk that dies here leaves the order to the hall, which settles it from the
platform's notification (docs/payment.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.uix.anchorlayout import AnchorLayout

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import mask_name
from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen, QrImage

log = logging.getLogger(__name__)

#: How often the screen asks the hall for the order's state while the QR shows.
POLL_SECONDS = 2.0


class PensionScreen(KioskScreen):
    title_key = "pension.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._poller = None
        self.wipe_state()

    def wipe_state(self) -> None:
        self.person = None
        self.year_info = None  # records.backend.ResidentPensionYear
        self.error: OneVisitError | None = None
        self.choice = None  # the chosen ContributionLevel
        self.order: dict[str, Any] | None = None  # the hall's answer
        self.stage = "choose"  # choose | qr | paid | failed | abandoned | cancelled
        self.qr_since = 0.0
        self.receipt: str | None = None
        self._polling = False

    def wipe(self) -> None:
        self.abandon("left")  # going home (or idle) with a QR up: the order must not stay half-done
        self.wipe_state()
        self.dirty = True

    def on_pre_enter(self, *args):
        app = self.app
        if (
            self.usable
            and app.session.id_number is not None
            and self.year_info is None
            and self.error is None
        ):
            self.load()
        super().on_pre_enter(*args)

    @property
    def usable(self) -> bool:
        return self.app.devices.records is not None and self.app.devices.hall is not None

    def load(self) -> None:
        app = self.app
        backend, number, year = app.devices.records, app.session.id_number, app.today().year

        def work(_key: str):
            return backend.find_person(number), backend.resident_pension_year(number, year)

        def done(data):
            self.person, self.year_info = data
            self.refresh()

        def fail(error):
            self.error = error
            self.refresh()

        app.act("pension", year, work, done, fail)

    # ---- what the citizen sees -----------------------------------------------------------------
    def build_body(self, body):
        app = self.app
        if not self.usable:
            self.unavailable(body, "unavailable.pension", offer_ticket="pension_unavailable")
            return
        if self.error is not None:
            for lbl in self.error_labels(self.error):
                body.add_widget(lbl)
            self.footer.add_widget(self.button(app.t("card.to_window"), self.route_to_window))
            return
        if self.year_info is None:
            body.add_widget(self.label(app.t("take.working"), role="title", align="center"))
            return
        who = Card()
        who.add_widget(
            self.label(f"{mask_name(self.person.name)}  {self.person.gender}", role="title", bold=True)
        )
        who.add_widget(self.label(self.person.id_masked, tone="muted"))
        who.add_widget(self.label(app.t("pension.year", year=self.year_info.year), tone="muted"))
        body.add_widget(who)
        getattr(self, f"build_{self.stage}", self.build_ended)(body)

    def build_choose(self, body) -> None:
        app, info = self.app, self.year_info
        if not info.due:
            body.add_widget(
                self.label(
                    app.t("pension.paid", year=info.year, amount=f"{info.paid:.2f}"),
                    role="title",
                    tone="ok",
                    bold=True,
                )
            )
            return
        body.add_widget(self.label(app.t("pension.choose"), role="title", bold=True))
        self.level_buttons: dict[str, KButton] = {}
        for level in info.levels:
            card = Card()
            b = KButton(
                text=app.t("pension.level", amount=f"{level.amount:.0f}"),
                kind="selected" if self.choice == level else "secondary",
            )
            b.bind(on_release=lambda _w, lv=level: self.choose(lv))
            self.level_buttons[f"{level.amount:.0f}"] = b
            card.add_widget(b)
            card.add_widget(
                self.label(
                    level.meaning_zh if app.lang == "zh" else level.meaning_en, role="small", tone="muted"
                )
            )
            body.add_widget(card)
        if self.choice is not None:
            self.pay_button = self.button(
                app.t("pension.pay", amount=f"{self.choice.amount:.2f}"), self.place_order
            )
            self.footer.add_widget(self.pay_button)

    def build_qr(self, body) -> None:
        app, order = self.app, self.order
        card = Card()
        card.add_widget(
            self.label(app.t("pension.scan", amount=order["amount"]), role="title", bold=True, align="center")
        )
        holder = AnchorLayout(size_hint_y=None, height=dp(420))
        holder.add_widget(QrImage(order["pay_url"], 400))
        card.add_widget(holder)
        card.add_widget(self.label(app.t("pension.scan_hint"), tone="muted", align="center"))
        self.wait_label = self.label(app.t("pension.waiting", seconds=self.seconds_left()), align="center")
        card.add_widget(self.wait_label)
        card.add_widget(
            self.label(
                app.t("pension.order", order=order["order_id"]), role="small", tone="muted", align="center"
            )
        )
        body.add_widget(card)
        self.footer.add_widget(
            self.button(app.t("pension.cancel"), lambda: self.abandon("cancelled"), kind="secondary")
        )

    def build_paid(self, body) -> None:
        app, order = self.app, self.order
        done = Card()
        done.add_widget(
            self.label(
                app.t("pension.done", year=order["year"], amount=order["amount"]),
                role="title",
                tone="ok",
                bold=True,
            )
        )
        done.add_widget(
            self.label(app.t("pension.order", order=order["order_id"]), role="small", tone="muted")
        )
        body.add_widget(done)
        if self.receipt == "printing":
            self.footer.add_widget(
                self.label(app.t("pension.receipt_printing"), role="title", align="center")
            )
        elif self.receipt == "printed":
            self.footer.add_widget(
                self.label(app.t("pension.receipt_done"), role="title", tone="ok", align="center")
            )
        elif self.receipt is not None:
            reason = self.receipt.partition(":")[2]
            self.footer.add_widget(
                self.label(app.t("pension.receipt_failed", reason=reason), tone="danger", bold=True)
            )
            self.footer.add_widget(
                self.button(app.t("pension.reprint"), self.print_receipt, kind="secondary")
            )

    def build_ended(self, body) -> None:
        """failed, abandoned (time ran out) or cancelled by the citizen: nothing half-done."""
        app = self.app
        body.add_widget(self.label(app.t(f"pension.{self.stage}"), role="title", tone="danger", bold=True))
        self.footer.add_widget(self.button(app.t("pension.again"), self.start_over, kind="secondary"))
        self.footer.add_widget(self.button(app.t("card.to_window"), self.route_to_window))

    def seconds_left(self) -> int:
        waited = self.app.monotonic() - self.qr_since
        return max(0, round(self.app.config_.payment.wait_seconds - waited))

    # ---- what the citizen does -----------------------------------------------------------------
    def choose(self, level) -> None:
        self.choice = level
        self.refresh()

    def place_order(self) -> None:
        app, level, number = self.app, self.choice, self.app.session.id_number
        hall, year = app.devices.hall, self.year_info.year
        amount = f"{level.amount:.2f}"
        self.footer.clear_widgets()
        self.footer.add_widget(self.label(app.t("pension.working"), role="title", align="center"))

        def work(key: str):
            return hall.payment_order(number.value, year, amount, key)

        def done(order):
            self.order, self.stage, self.qr_since = order, "qr", app.monotonic()
            self.refresh()
            self.start_polling()

        def fail(error):
            self.error = error
            self.refresh()

        # one order per press: the hall derives the order id from this key, so a retry is the same order
        app.act("pension-order", (year, amount), work, done, fail)

    def start_polling(self) -> None:
        self.stop_polling()
        if self.app.background:
            self._poller = Clock.schedule_interval(lambda _dt: self.poll(), POLL_SECONDS)

    def stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    def poll(self) -> None:
        """Ask the hall once; past `wait_seconds` give up (the hall cancels)."""
        app = self.app
        if self.stage != "qr" or self._polling:
            return
        app.idle.touch()  # a citizen paying on their phone is not idle: the payment wait governs
        if self.seconds_left() <= 0:
            self.abandon("abandoned")
            return
        if getattr(self, "wait_label", None) is not None:
            self.wait_label.text = app.t("pension.waiting", seconds=self.seconds_left())
        order_id, hall = self.order["order_id"], app.devices.hall
        self._polling = True

        def done(order):
            self._polling = False
            self.settled(order)

        def fail(error):  # the hall unreachable for a moment: keep waiting, the hall settles anyway
            self._polling = False
            log.info("payment order %s: poll failed (%s)", order_id, error.code)

        app.run_bg(lambda: hall.payment_status(order_id), done, fail)

    def settled(self, order: dict[str, Any]) -> None:
        if self.stage != "qr" or order.get("state") == "open":
            return
        self.order = order
        self.stop_polling()
        if order["state"] == "paid":
            self.stage = "paid"
            self.app.report(ss.PENSION_PAID, year=order["year"], amount=order["amount"])
            self.refresh()
            self.print_receipt()
        else:
            self.stage = "failed"
            self.refresh()

    def abandon(self, why: str) -> None:
        """Cancel an open order at the hall: `why` cancelled (the citizen), abandoned (time ran
        out) or left (home/idle). Paid meanwhile → shown as paid."""
        if self.stage != "qr" or self.order is None:
            return
        app, hall, order_id = self.app, self.app.devices.hall, self.order["order_id"]
        self.stop_polling()
        self.stage = why if why != "left" else "cancelled"

        def done(order):
            log.info("payment order %s: %s at the kiosk → %s", order_id, why, order["state"])
            if why != "left" and order["state"] == "paid":
                self.stage = "qr"
                self.settled(order)
            elif why != "left":
                self.refresh()

        def fail(error):
            # the hall did not answer: the order is still the hall's, settled by its notification
            # or sorted out at a window — so say that, not "cancelled"
            log.warning("payment order %s: cancel failed (%s)", order_id, error.code)
            if why != "left":
                self.error = error
                self.refresh()

        app.run_bg(lambda: hall.payment_cancel(order_id), done, fail)
        if why != "left":
            self.refresh()

    def start_over(self) -> None:
        self.order, self.choice, self.stage, self.receipt = None, None, "choose", None
        self.year_info = None
        self.load()

    def print_receipt(self) -> None:
        from onevisit.kiosk.receipt import pension_payment_receipt

        order, person = self.order, self.person
        settled = order.get("settled_at")
        self.print_slip(
            "pension-receipt",
            order["order_id"],
            lambda: pension_payment_receipt(
                self.app.config_,
                id_masked=person.id_masked,
                name_masked=mask_name(person.name),
                year=int(order["year"]),
                amount=order["amount"],
                order_id=order["order_id"],
                paid_at=dt.datetime.fromisoformat(settled) if settled else dt.datetime.now().astimezone(),
            ),
            ref=order["order_id"],
        )

    def route_to_window(self) -> None:
        tag = f"pension:{self.error.code}" if self.error is not None else f"pension:payment_{self.stage}"
        self.app.take_number_for_window(tag, purpose="pension")
