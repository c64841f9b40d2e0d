"""Printer status from DLE EOT n replies, parsed by us.

Real-time status (Epson ESC/POS, followed by most Chinese clones): the host sends DLE EOT n
(0x10 0x04 n) and the printer answers one byte even when offline. Every reply byte has bits 1 and 4
set and bits 0 and 7 clear; anything else is not a status reply. Silence is "offline", never
"paper OK".

    n=1 printer:   bit 3 offline
    n=2 offline:   bit 2 cover open, bit 3 feed button, bit 5 stopped for paper end, bit 6 error
    n=3 error:     bit 3 auto-cutter error, bit 5 unrecoverable error, bit 6 auto-recoverable error
    n=4 paper:     bits 2+3 roll near its end, bits 5+6 paper end (out)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

from onevisit.devices.printer.connection import Connection
from onevisit.devices.printer.errors import FAULTS

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
FIXED_MASK = 0b1001_0011
FIXED_VALUE = 0b0001_0010

Paper = Literal["ok", "near_end", "out", "unknown"]

NEAR_END_MESSAGE = (
    "打印纸即将用完，请及时更换。",
    "The paper roll is nearly used up; replace it soon.",
    "Paper near-end sensor is on (DLE EOT 4 bits 2-3): load a new roll before it runs out.",
)


def is_status_byte(value: int) -> bool:
    return value & FIXED_MASK == FIXED_VALUE


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said. `queried` is False for sinks that cannot answer (a file)."""

    queried: bool
    answered: bool
    online: bool
    paper: Paper
    cover_open: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    recoverable_error: bool = False
    feed_button: bool = False
    raw: dict[int, int | None] = field(default_factory=dict)
    detail: str = ""

    @property
    def fault(self) -> str | None:
        """The reason the printer cannot print now, most specific first; None when it can."""
        if not self.queried:
            return None
        if not self.answered:
            return "printer_offline"
        if self.cover_open:
            return "cover_open"
        if self.paper == "out":
            return "paper_out"
        if self.cutter_error:
            return "cutter_error"
        if self.unrecoverable_error or self.recoverable_error:
            return "printer_error"
        if not self.online:
            return "printer_offline"
        return None

    @property
    def ready(self) -> bool:
        return self.fault is None

    @property
    def warning(self) -> str | None:
        return "paper_near_end" if self.ready and self.paper == "near_end" else None

    def messages(self) -> tuple[str, str, str] | None:
        """(citizen zh, citizen en, technician hint) for the fault or warning, if any."""
        if self.fault:
            return FAULTS[self.fault]
        if self.warning:
            return NEAR_END_MESSAGE
        return None

    def to_dict(self) -> dict[str, object]:
        msgs = self.messages()
        return {
            "ready": self.ready,
            "fault": self.fault,
            "warning": self.warning,
            "queried": self.queried,
            "answered": self.answered,
            "online": self.online,
            "paper": self.paper,
            "cover_open": self.cover_open,
            "cutter_error": self.cutter_error,
            "unrecoverable_error": self.unrecoverable_error,
            "recoverable_error": self.recoverable_error,
            "message_zh": msgs[0] if msgs else None,
            "message_en": msgs[1] if msgs else None,
            "hint": msgs[2] if msgs else None,
            "raw": {str(n): (f"0x{b:02x}" if b is not None else None) for n, b in self.raw.items()},
            "detail": self.detail,
        }


def not_queried(detail: str) -> PrinterStatus:
    return PrinterStatus(queried=False, answered=False, online=True, paper="unknown", detail=detail)


def silent(detail: str, raw: dict[int, int | None] | None = None) -> PrinterStatus:
    return PrinterStatus(
        queried=True, answered=False, online=False, paper="unknown", raw=raw or {}, detail=detail
    )


def parse_paper(value: int) -> Paper:
    if value & 0b0110_0000:
        return "out"
    if value & 0b0000_1100:
        return "near_end"
    return "ok"


def parse_status(replies: dict[int, int | None]) -> PrinterStatus:
    """Status from the reply byte to DLE EOT 1..4 (None where the printer stayed silent)."""
    missing = [n for n in (1, 2, 3, 4) if replies.get(n) is None]
    if missing:
        return silent(f"no reply to DLE EOT {', '.join(map(str, missing))}", replies)
    bad = {n: b for n, b in replies.items() if b is not None and not is_status_byte(b)}
    if bad:
        shown = ", ".join(f"DLE EOT {n} -> 0x{b:02x}" for n, b in sorted(bad.items()))
        return silent(f"not a status reply ({shown}); line noise or wrong baud rate?", replies)
    printer, offline, error, paper = (replies[n] or 0 for n in (1, 2, 3, 4))
    return PrinterStatus(
        queried=True,
        answered=True,
        online=not printer & 0b0000_1000,
        paper=parse_paper(paper),
        cover_open=bool(offline & 0b0000_0100),
        feed_button=bool(offline & 0b0000_1000),
        cutter_error=bool(error & 0b0000_1000),
        unrecoverable_error=bool(error & 0b0010_0000),
        recoverable_error=bool(error & 0b0100_0000),
        raw=dict(replies),
    )


def query_status(link: Connection, timeout: float) -> PrinterStatus:
    """Ask DLE EOT 1, 2, 3, 4 on an open link. Stops at the first silence: a dead printer costs
    one timeout, not four."""
    if not link.can_read:
        return not_queried(f"{link.url.scheme}:// cannot report status")
    link.drain()
    replies: dict[int, int | None] = {}
    for n in (1, 2, 3, 4):
        link.write(DLE_EOT + bytes([n]))
        replies[n] = link.read_byte(timeout)
        if replies[n] is None:
            break
    status = parse_status(replies)
    log.debug("status of %s: %s", link.url.url, status)
    return status
