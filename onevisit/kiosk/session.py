"""One citizen's visit at the kiosk: what they entered, and the idle watch that wipes it.

Nothing here touches Kivy, so the rules (what going home wipes, when the countdown shows, that one
take-number action keeps one idempotency key through every retry) are tested on their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from onevisit.core.identity import IdNumber
from onevisit.devices.cardreader import CardRead
from onevisit.kiosk.actions import ActionLog


@dataclass
class TakeNumberAction:
    """The citizen pressed "get my number" once: one key, reused on every retry of that press,
    so a slow or dropped answer never makes the hall issue a second ticket."""

    matters: tuple[str, ...]
    declared: str | None = None
    tag: str | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: int = 0


@dataclass
class Session:
    """Everything the citizen entered or was given; `clear()` on every return to the home screen."""

    purpose: str | None = None
    id_number: IdNumber | None = None
    card: CardRead | None = None
    matters: list[str] = field(default_factory=list)
    declared: str | None = None
    action: TakeNumberAction | None = None
    ticket: dict[str, Any] | None = None
    position: dict[str, Any] | None = None
    status_url: str | None = None
    created: bool | None = None
    #: 到号提醒: the hall offers it (from the ticket answer), and the hall's answer once subscribed
    notify_offered: bool = False
    notify: dict[str, Any] | None = None
    tag: str | None = None  # for the window's staff (sent with the ticket)
    #: why self-service ended, for the citizen: (zh, en); None when there is nothing to add
    tag_why: tuple[str, str] | None = None
    routed_from: str | None = None  # the self-service that failed when the ticket is for a window
    #: 预约签到: the booking the ticket came from ({slot, already_open, notice}); None for walk-ins.
    appointment: dict[str, Any] | None = None
    failures: int = 0
    #: every action button's presses this session: a double tap is one action (kiosk/actions.py)
    actions: ActionLog = field(default_factory=ActionLog)

    def clear(self) -> None:
        for name, value in Session().__dict__.items():
            setattr(self, name, value)

    def got_ticket(self, answer: dict[str, Any]) -> None:
        """The hall's answer to an issue or a check-in: the ticket, its place, the phone link."""
        self.ticket = answer["ticket"]
        self.position = answer.get("position") or {}
        self.status_url = answer.get("status_url")
        self.created = answer.get("created", True)
        self.notify_offered = bool(answer.get("notify"))

    def identified(self, id_number: IdNumber, card: CardRead | None = None) -> None:
        self.id_number = id_number
        self.card = card

    def take_action(self) -> TakeNumberAction:
        """The action for the current choice: the same one (same key) until the choice changes."""
        wanted = (tuple(self.matters), self.declared, self.tag)
        if self.action is None or (self.action.matters, self.action.declared, self.action.tag) != wanted:
            self.action = TakeNumberAction(*wanted)
        return self.action

    @property
    def empty(self) -> bool:
        return self == Session()


class IdleWatch:
    """Seconds since the last touch. `tick(dt)` is driven by Kivy's Clock in the app and by the
    tests directly; at `warning` seconds left the countdown and "need more time?" show."""

    def __init__(self, timeout: float, warning: float) -> None:
        self.timeout = timeout
        self.warning = warning
        self.idle = 0.0
        self.active = False  # off on the home screen: nothing to wipe there

    def touch(self) -> None:
        self.idle = 0.0

    def tick(self, dt: float) -> bool:
        """Advance; True once when the timeout is reached (the caller goes home)."""
        if not self.active:
            return False
        self.idle += dt
        if self.idle >= self.timeout:
            self.idle = 0.0
            return True
        return False

    @property
    def remaining(self) -> int:
        return max(0, round(self.timeout - self.idle))

    @property
    def warning_shown(self) -> bool:
        return self.active and self.remaining <= self.warning
