"""Call-out: turns the hall's events into board texts and spoken announcements.

The hall server feeds every event (Event.to_dict()) to `handle()`; it returns at once because
the bus and the voice each work on their own thread. Replayed events (same or older id) are
ignored, so the hall may feed its backlog after a restart.
"""

from __future__ import annotations

import logging
from typing import Any

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.core.errors import OneVisitError
from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.content import BoardContent, BoardSpec
from onevisit.devices.boards.setup import board_specs, bus_from_config
from onevisit.devices.voice.announcer import Announcer

log = logging.getLogger(__name__)

ANNOUNCED = ("step.called", "step.recalled")


class CallOut:
    def __init__(
        self,
        specs: list[BoardSpec],
        bus: BoardBus | None,
        announcer: Announcer | None,
        *,
        recent: int = 3,
    ) -> None:
        self.content = BoardContent(specs, recent=recent)
        self.bus = bus
        self.announcer = announcer
        self._push(self.content.current())

    @classmethod
    def from_config(cls, config: Config, *, port: str | None = None, clock: Clock | None = None) -> CallOut:
        bus = bus_from_config(config, port=port, clock=clock) if config.boards.enabled else None
        announcer = Announcer.from_config(config, clock=clock)
        return cls(board_specs(config), bus, announcer, recent=config.boards.main_recent)

    def start(self) -> CallOut:
        if self.bus:
            self.bus.start()
        if self.announcer:
            self.announcer.start()
        return self

    def stop(self) -> None:
        if self.bus:
            self.bus.stop()
        if self.announcer:
            self.announcer.stop()

    def handle(self, event: dict[str, Any]) -> None:
        """Update the boards and the voice for one event; never raises for a device problem."""
        changed = self.content.apply(event)
        if changed is None:
            return  # replayed: shown and spoken already
        self._push(changed)
        if self.announcer and event.get("kind") in ANNOUNCED:
            number, window = event.get("number"), event.get("window")
            if isinstance(number, str) and isinstance(window, int):
                try:
                    self.announcer.announce(number, window)
                except OneVisitError as exc:
                    log.warning("not announced: %s", exc)

    def restore(self, windows: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
        """Show the hall as it is when the server (re)starts, before any new event arrives.

        `windows` are the windows' current states (a pause can date from an earlier day) and
        `events` today's events up to where the call-out stopped last time; nothing is spoken,
        the boards get their texts once. Events after that point come through handle() as usual.
        """
        held = [
            {"kind": f"window.{'paused' if w['state'] == 'paused' else 'closed'}", "window": w["number"]}
            for w in windows
            if w.get("state") in ("paused", "closed")
        ]
        self.content.prime(held + events)
        self._push(self.content.current())

    def _push(self, shown: dict) -> None:
        if not self.bus:
            return
        for address, s in shown.items():
            try:
                self.bus.show(address, s.text, s.scroll)
            except OneVisitError as exc:
                # A text the board cannot show (e.g. a character outside GB2312 in an idle text)
                # must not stop the other boards or the voice.
                log.error("board %s: %s", address, exc)

    def resend_all(self) -> None:
        if self.bus:
            self.bus.resend_all()

    def health(self) -> dict[str, Any]:
        return {
            "boards": self.bus.health() if self.bus else {"enabled": False},
            "voice": self.announcer.health() if self.announcer else {"enabled": False},
        }
