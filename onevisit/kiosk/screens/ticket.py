"""The ticket: the number very large, place and wait, windows, printing status, reprint, and the
QR for the phone whenever there is no paper ticket."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout

from onevisit.kiosk.actions import REPRINT_AFTER_SECONDS
from onevisit.kiosk.printing import PrintOutcome
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen, QrImage

OPEN_STATES = ("waiting", "pending", "called", "serving")  # steps still ahead of the citizen


class TicketScreen(KioskScreen):
    title_key = "ticket.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.outcome: PrintOutcome | None = None
        self.printed_for: str | None = None

    def wipe(self) -> None:
        self.outcome = None
        self.printed_for = None
        self.dirty = True

    def on_pre_enter(self, *args):
        ticket = self.app.session.ticket
        if ticket and self.printed_for != ticket["number"]:
            self.printed_for = ticket["number"]
            self.print_ticket()
            position = self.app.session.position or {}
            self.app.speak(
                "voice.ticket",
                number=self.app.spoken_number(ticket["number"]),
                ahead=position.get("ahead", 0),
            )
        self.dirty = True
        super().on_pre_enter(*args)

    def print_ticket(self) -> None:
        app = self.app
        session = app.session
        printer = app.devices.printer
        if not printer.url:
            self.outcome = PrintOutcome("unavailable", "本机暂无打印机", "no printer at this kiosk")
            return
        self.outcome = PrintOutcome("printing")
        ticket, position, url = session.ticket, session.position or {}, session.status_url

        def done(outcome: PrintOutcome) -> None:
            self.outcome = outcome
            if self.manager and self.manager.current == self.name:
                self.refresh()

        def fail(error) -> None:
            done(PrintOutcome("failed", error.zh, error.en))

        # a double tap on 重新打印 prints once; pressed again later it is a deliberate reprint
        app.act(
            "print-ticket",
            ticket["number"],
            lambda _key: printer.print_ticket(ticket, position, url),
            done,
            fail,
            repeat_after=REPRINT_AFTER_SECONDS,
            settled=lambda outcome: outcome.ok,  # paper out: the next press prints again
        )

    def priority_words(self, reason: str | None) -> str:
        """The priority in words ("年满70周岁"), never the code ("age70")."""
        app = self.app
        reason = reason or ""
        if reason.startswith("age"):
            age = "".join(ch for ch in reason if ch.isdigit()) or str(app.config_.priority.age_at_least)
            return app.t("ticket.priority.age", age=age)
        return app.t(f"take.priority.{reason}") if reason else ""

    def later_matters(self, ticket: dict, position: dict) -> list[str]:
        """One line per matter after the current one, with the windows that serve it (config)."""
        app = self.app
        open_steps = [s for s in ticket.get("steps", []) if s.get("state", "waiting") in OPEN_STATES]
        current = position.get("matter") or (open_steps[0]["matter"] if open_steps else None)
        later = [s["matter"] for s in open_steps if s["matter"] != current]
        lines = []
        for code in later:
            windows = [w.number for w in app.config_.windows if code in w.matters]
            lines.append(
                app.t("ticket.later", matter=app.matter_name(code), windows="、".join(map(str, windows)))
            )
        return lines

    def build_body(self, body):
        app = self.app
        session = app.session
        ticket = session.ticket
        if not ticket:
            body.add_widget(self.label(app.t("unavailable"), role="title", tone="danger"))
            return
        position = session.position or {}
        booking = session.appointment
        if booking and not booking.get("already_open") and session.created:
            self.title_text = app.t("appointment.ticket_title")
        if booking and booking.get("already_open"):
            notice = "appointment.open_ticket"
        elif booking and session.created is False:
            notice = "appointment.again"
        else:
            notice = "ticket.existing" if session.created is False else None
        if notice:
            body.add_widget(self.label(app.t(notice), role="title", tone="danger", align="center", bold=True))
        card = Card()
        card.add_widget(self.label(app.t("ticket.number"), role="title", align="center", tone="muted"))
        number = self.label(ticket["number"], role="huge", tone="accent", align="center", bold=True)
        qr_shown = self.outcome is not None and self.outcome.state not in ("printing", "done")
        # with the QR on screen the number gives up some size so place and wait stay in view
        number.font_size = dp(200 if app.landscape else (220 if qr_shown else 300)) * app.scale
        card.add_widget(number)
        matters = "、".join(app.matter_name(s["matter"]) for s in ticket.get("steps", []))
        card.add_widget(self.label(app.t("ticket.matters", matters=matters), align="center"))
        if booking and not booking.get("already_open") and booking.get("slot"):
            slot = f"{app.hall_time(str(booking['slot'])):%H:%M}"
            card.add_widget(
                self.label(
                    app.t("appointment.slot", time=slot), role="title", tone="ok", align="center", bold=True
                )
            )
        if position:
            card.add_widget(
                self.label(
                    app.t("ticket.ahead", ahead=position.get("ahead", 0)),
                    role="title",
                    align="center",
                    bold=True,
                )
            )
            card.add_widget(
                self.label(
                    app.t("ticket.wait", wait=app.wait_text(position)),
                    role="title",
                    align="center",
                )
            )
            windows = position.get("windows") or []
            if windows:
                card.add_widget(
                    self.label(
                        app.t("ticket.windows", windows="、".join(str(w) for w in windows)),
                        role="title",
                        align="center",
                    )
                )
        if ticket.get("priority"):
            card.add_widget(
                self.label(
                    app.t("ticket.priority", why=self.priority_words(ticket.get("priority_reason"))),
                    role="title",
                    tone="ok",
                    align="center",
                    bold=True,
                )
            )
        for line in self.later_matters(ticket, position):
            card.add_widget(self.label(line, align="center"))
        if ticket.get("person_masked"):
            card.add_widget(self.label(ticket["person_masked"], role="small", tone="muted", align="center"))
        body.add_widget(card)

        outcome = self.outcome
        status = Card()
        if outcome is None or outcome.state == "printing":
            status.add_widget(self.label(app.t("ticket.print.printing"), role="title", align="center"))
        elif outcome.ok:
            status.add_widget(
                self.label(app.t("ticket.print.done"), role="title", tone="ok", align="center", bold=True)
            )
        else:
            if outcome.state == "paper_out":
                text = app.t("ticket.print.paper_out")
            elif outcome.state == "unavailable":
                text = app.t("ticket.print.failed", reason=outcome.zh if app.lang == "zh" else outcome.en)
            else:
                text = app.t("ticket.print.failed", reason=outcome.zh if app.lang == "zh" else outcome.en)
            status.add_widget(self.label(text, role="title", tone="danger", align="center", bold=True))
            if session.status_url:
                if outcome.state != "paper_out":  # paper out already says "scan the code"
                    status.add_widget(self.label(app.t("ticket.qr"), align="center"))
                # landscape's column is 1080 px tall: at 280 dp × 1.3 (elderly) the QR pushed the
                # column over the top bar and its language and text-size switches
                qr = 180 if self.landscape else 280
                holder = AnchorLayout(size_hint_y=None, height=dp(qr + 20) * app.scale)
                holder.add_widget(QrImage(session.status_url, qr * app.scale))
                status.add_widget(holder)
        if session.notify:
            status.add_widget(
                self.label(
                    app.t("notify.done", to=session.notify.get("to", "")),
                    role="title",
                    tone="ok",
                    align="center",
                    bold=True,
                )
            )
        # printing status (and, without paper, the QR) never scrolls out of sight: beside the
        # number in landscape, above the buttons in portrait
        self.footer.add_widget(status)
        row = BoxLayout(spacing=dp(20), size_hint_y=None, height=app.bh(1.2))
        self.notify_button = None
        if session.notify_offered:  # the hall's answer says it sends notices
            self.notify_button = KButton(text=app.t("notify.button"), kind="secondary", hfactor=1.2)
            self.notify_button.bind(on_release=lambda *_: app.go("notify"))
            # portrait: a row of its own; landscape: beside 重新打印, or the column (with the
            # paper-out QR in elderly mode) would grow over the top bar
            (row if self.landscape else self.footer).add_widget(self.notify_button)

        reprint = KButton(text=app.t("ticket.reprint"), kind="secondary", hfactor=1.2)
        reprint.disabled = not app.devices.printer.url or (
            outcome is not None and outcome.state == "printing"
        )
        reprint.bind(on_release=lambda *_: self._reprint())
        done = KButton(text=app.t("ticket.done"), hfactor=1.2)
        done.bind(on_release=lambda *_: app.go_home())
        row.add_widget(reprint)
        row.add_widget(done)
        self.footer.add_widget(row)

    def _reprint(self) -> None:
        if self.outcome is not None and self.outcome.state == "printing":
            return  # the first press is printing: its outcome will show
        self.print_ticket()
        self.refresh()
