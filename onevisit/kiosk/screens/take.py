"""Take a number: one or several matters with what each needs (一次性告知), priority, then issue.

"Today full" is shown on each matter before the citizen chooses. One press of "get my number" is
one TakeNumberAction with one idempotency key; "retry" after a network failure reuses it.
"""

from __future__ import annotations

import logging

from kivy.clock import Clock
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from onevisit.core.errors import OneVisitError
from onevisit.kiosk.hall_client import HallUnavailable
from onevisit.kiosk.screens.common import Card, KButton, KioskScreen

log = logging.getLogger(__name__)


class MatterCard(ButtonBehavior, Card):
    pass


class TakeScreen(KioskScreen):
    title_key = "take.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.error: OneVisitError | None = None
        self.working = False
        self.cards: dict[str, MatterCard] = {}

    def wipe(self) -> None:
        self.error = None
        self.working = False
        self.dirty = True

    def on_kv_post(self, base_widget):
        self.app.bind(availability=lambda *_: self._availability_changed())

    def on_pre_enter(self, *args):
        self.dirty = True
        super().on_pre_enter(*args)
        # fresh "today full" and waits for the choice; the cards rebuild when the answer differs
        self.app.refresh_availability()

    def _availability_changed(self) -> None:
        if self.manager and self.manager.current == self.name and not self.working:
            self.refresh()
        else:
            self.dirty = True

    def build_body(self, body):
        app = self.app
        session = app.session
        if session.tag:
            why = session.tag_why
            text = (
                app.t("take.routed", reason=why[0] if app.lang == "zh" else why[1])
                if why
                else app.t("take.routed.plain")
            )
            body.add_widget(self.label(text, tone="muted"))
        avail = {item["code"]: item for item in app.availability}
        if not avail and not app.hall_online:
            self.error = self.error or HallUnavailable("no availability")
        open_codes = [m.code for m in app.config_.matters if avail.get(m.code, {}).get("open", False)]
        if avail and not open_codes:
            body.add_widget(self.label(app.t("take.all_full"), role="title", tone="danger", bold=True))
        self.cards = {}
        grid = GridLayout(cols=2 if app.landscape else 1, spacing=dp(18), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for matter in app.config_.matters:
            info = avail.get(matter.code)
            card = MatterCard(selected=matter.code in session.matters)
            name = matter.name_zh if app.lang == "zh" else matter.name_en
            head = BoxLayout(size_hint_y=None, spacing=dp(10))
            head.add_widget(self.label(name, role="title", bold=True, tone="primary"))
            card.mark = self.label("", role="body", tone="ok", align="right", bold=True)
            card.mark.size_hint_x = 0.3
            head.add_widget(card.mark)
            head.bind(minimum_height=head.setter("height"))
            card.add_widget(head)
            if info is None:
                card.add_widget(self.label(app.t("unavailable"), tone="danger"))
                card.disabled = True
            elif not info.get("open", False):
                key = (
                    "take.full"
                    if info.get("reason_code") in (None, "full", "daily_cap", "matter_full")
                    else "take.closed"
                )
                card.add_widget(self.label(app.t(key), tone="danger", bold=True))
                card.disabled = True
            else:
                card.add_widget(
                    self.label(
                        app.t(
                            "take.wait",
                            waiting=info.get("waiting", 0),
                            wait=app.wait_text(info),
                        ),
                        tone="muted",
                    )
                )
            materials = matter.materials_zh if app.lang == "zh" else matter.materials_en
            if materials:
                sep = "；" if app.lang == "zh" else "; "
                card.add_widget(self.label(app.t("take.needs") + sep.join(materials), role="small"))
            card.bind(on_release=lambda _w, c=matter.code: self.toggle(c))
            self.cards[matter.code] = card
            grid.add_widget(card)
        body.add_widget(grid)
        if grid.cols > 1:
            self._equal_rows(list(self.cards.values()), grid.cols)

        prio = Card()
        prio.add_widget(self.label(app.t("take.priority"), bold=True))
        prio.add_widget(
            self.label(
                app.t("take.priority.age", age=app.config_.priority.age_at_least), role="small", tone="muted"
            )
        )
        row = GridLayout(cols=1 if self.landscape else 3, spacing=dp(14), size_hint_y=None)
        row.bind(minimum_height=row.setter("height"))
        self.declared_buttons: dict[str, KButton] = {}
        for kind in app.config_.priority.declared:
            b = KButton(
                text=app.t(f"take.priority.{kind}"),
                kind="selected" if session.declared == kind else "secondary",
            )
            b.bind(on_release=lambda _w, k=kind: self.declare(k))
            self.declared_buttons[kind] = b
            row.add_widget(b)
        prio.add_widget(row)
        # landscape: priority, what was chosen and the main button share the fixed right column
        (self.footer if self.landscape else body).add_widget(prio)

        self.chosen = self.label("", tone="primary", bold=True)
        self.footer.add_widget(self.chosen)
        self.status = BoxLayout(orientation="vertical", size_hint_y=None, height=0, spacing=dp(10))
        self.status.bind(minimum_height=self.status.setter("height"))
        self.footer.add_widget(self.status)
        self.confirm = KButton(text=app.t("take.confirm"), hfactor=1.3, role="title")
        self.confirm.bind(on_release=lambda *_: self.submit())
        self.footer.add_widget(self.confirm)
        self.update()

    @staticmethod
    def _equal_rows(cards: list, cols: int) -> None:
        """Cards side by side get the height of the tallest in their row, so rows line up instead
        of leaving ragged gaps (a grid cell places a shorter card at its bottom)."""

        def equalize(*_):
            for i in range(0, len(cards), cols):
                row = cards[i : i + cols]
                tallest = max(c.minimum_height for c in row)
                for c in row:
                    c.height = tallest

        trigger = Clock.create_trigger(equalize)
        for card in cards:
            card.bind(minimum_height=lambda *_: trigger(), height=lambda *_: trigger())
        trigger()

    def toggle(self, code: str) -> None:
        matters = self.app.session.matters
        if code in matters:
            matters.remove(code)
        else:
            matters.append(code)
        self.cards[code].selected = code in matters
        self.error = None
        self.update()

    def declare(self, kind: str) -> None:
        session = self.app.session
        session.declared = None if session.declared == kind else kind
        for k, b in self.declared_buttons.items():
            b.kind = "selected" if session.declared == k else "secondary"

    def update(self) -> None:
        app = self.app
        self.status.clear_widgets()
        if self.working:
            self.status.add_widget(self.label(app.t("take.working"), role="title", align="center"))
        elif self.error is not None:
            if isinstance(self.error, HallUnavailable):
                self.status.add_widget(self.label(app.t("net.down"), role="title", tone="danger", bold=True))
                if app.lang != "zh":  # a Chinese reader gets one language (KioskScreen.error_labels)
                    self.status.add_widget(self.label(app.t_other("net.down"), role="small", tone="danger"))
            else:
                for lbl in self.error_labels(self.error):
                    self.status.add_widget(lbl)
        names = "、".join(app.matter_name(c) for c in app.session.matters)
        self.chosen.text = app.t("take.chosen", matters=names) if names else app.t("take.choose_hint")
        for code, card in self.cards.items():
            card.mark.text = app.t("take.selected") if code in app.session.matters else ""
        self.confirm.disabled = self.working or not app.session.matters
        self.confirm.text = app.t("take.retry" if isinstance(self.error, HallUnavailable) else "take.confirm")

    def submit(self) -> None:
        app = self.app
        session = app.session
        if not session.matters or self.working:
            return
        hall = app.devices.hall
        if hall is None:
            self.error = HallUnavailable("no hall configured")
            self.update()
            return
        action = session.take_action()  # same key while the choice is the same: retries never double-issue
        action.attempts += 1
        self.working = True
        self.error = None
        self.update()
        id_number = session.id_number.value if session.id_number else None

        def work(key: str):
            return hall.take_ticket(
                action.matters, key, id_number=id_number, declared=action.declared, tag=action.tag
            )

        inputs = (action.matters, action.declared, action.tag)
        app.act("take", inputs, work, self._issued, self._failed, key=action.key)

    def _issued(self, result) -> None:
        self.working = False
        session = self.app.session
        session.got_ticket(result)
        log.info("ticket %s (%s)", session.ticket.get("number"), "new" if session.created else "existing")
        self.app.ticket_issued(result)
        self.app.go("ticket")

    def _failed(self, error: OneVisitError) -> None:
        self.working = False
        self.error = error
        log.warning("take number failed: %s", error.code)
        if self.manager and self.manager.current == self.name:
            self.update()
