"""What each board shows, decided from the hall's events.

Window board: "A012 请到3号窗口" when a number is called or recalled, "A012 正在办理" while it
is served, "暂停服务" while the window is paused, "窗口已关闭" when closed, its idle text otherwise.
Main board: the latest calls, newest first ("A012→3号  B003→4号  A011→1号"); a text longer than
the board's columns is sent with the scroll flag so the board scrolls it itself.

This module only computes texts; it sends nothing, so it is tested without a bus.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

#: A Chinese character is two display cells, an ASCII character one: exactly its GB2312 byte count.
DEFAULT_COLUMNS = {"window": 16, "main": 48}

PAUSED = "暂停服务"
CLOSED = "窗口已关闭"


@dataclass(frozen=True)
class BoardSpec:
    address: int
    kind: str  # "window" | "main"
    window: int | None
    idle_text: str
    columns: int

    @property
    def label(self) -> str:
        return f"window {self.window}" if self.kind == "window" else "main"


@dataclass(frozen=True)
class Shown:
    text: str
    scroll: bool


def cells(text: str) -> int:
    return sum(2 if ord(ch) > 0x7F else 1 for ch in text)


def called_text(number: str, window: int) -> str:
    return f"{number} 请到{window}号窗口"


def serving_text(number: str) -> str:
    return f"{number} 正在办理"


class BoardContent:
    def __init__(self, boards: list[BoardSpec], recent: int = 3) -> None:
        self.boards = list(boards)
        self.recent: deque[tuple[str, int]] = deque(maxlen=recent)
        #: window -> ("idle" | "called" | "serving" | "paused" | "closed", number)
        self.windows: dict[int, tuple[str, str | None]] = {}
        self._last_event_id = 0

    def current(self) -> dict[int, Shown]:
        """Every board's text now."""
        return {b.address: self._text_for(b) for b in self.boards}

    def apply(self, event: dict[str, Any]) -> dict[int, Shown] | None:
        """Take one event (Event.to_dict()); return the boards whose text changed, or None when
        the event was already applied (a replay)."""
        before = self.current()
        if not self._update(event):
            return None  # a replayed event (the hall resent its backlog): already shown
        after = self.current()
        return {a: s for a, s in after.items() if before.get(a) != s}

    def prime(self, events: list[dict[str, Any]]) -> None:
        """Take what happened before this process started (a restart after a crash), without
        computing what changed: the caller sends every board its text once afterwards."""
        for event in events:
            self._update(event)

    def _update(self, event: dict[str, Any]) -> bool:
        event_id = event.get("id")
        if isinstance(event_id, int) and event_id > 0:
            if event_id <= self._last_event_id:
                return False
            self._last_event_id = event_id
        kind = str(event.get("kind", ""))
        number = event.get("number")
        window = event.get("window")
        if isinstance(window, int):
            self._apply_window(kind, number, window)
        if kind in ("step.called", "step.recalled") and number and isinstance(window, int):
            self._push_recent(number, window)
        elif kind in ("step.skipped", "ticket.cancelled") and number:
            self.recent = deque([(n, w) for n, w in self.recent if n != number], maxlen=self.recent.maxlen)
        return True

    def _apply_window(self, kind: str, number: str | None, window: int) -> None:
        state, current = self.windows.get(window, ("idle", None))
        if kind in ("step.called", "step.recalled") and number:
            self.windows[window] = ("called", number)
        elif kind == "step.started" and number:
            self.windows[window] = ("serving", number)
        elif kind in ("step.finished", "step.skipped", "step.transferred", "ticket.cancelled"):
            if current == number or number is None:
                self.windows[window] = ("paused", None) if state == "paused" else ("idle", None)
        elif kind == "window.paused":
            self.windows[window] = ("paused", current)
        elif kind == "window.closed":
            self.windows[window] = ("closed", None)
        elif kind in ("window.resumed", "window.opened"):
            self.windows[window] = ("idle", None)

    def _push_recent(self, number: str, window: int) -> None:
        kept = [(n, w) for n, w in self.recent if n != number]
        size = self.recent.maxlen or 3
        # newest first; a deque built from a longer list would keep the tail, so cut it here
        self.recent = deque([(number, window), *kept][:size], maxlen=size)

    def _text_for(self, board: BoardSpec) -> Shown:
        if board.kind == "main":
            recent = "  ".join(f"{n}→{w}号" for n, w in self.recent)
            text = recent or board.idle_text
        else:
            assert board.window is not None
            state, number = self.windows.get(board.window, ("idle", None))
            if state == "called" and number:
                text = called_text(number, board.window)
            elif state == "serving" and number:
                text = serving_text(number)
            elif state == "paused":
                text = PAUSED
            elif state == "closed":
                text = CLOSED
            else:
                text = board.idle_text
        return Shown(text, cells(text) > board.columns)
