"""Ticket numbers: how they are written, how citizens type them, and how they sort.

A number is the first matter's prefix (one capital letter, config `matters[].prefix`) and the day's
sequence for that prefix, zero-padded to three digits: A001 … A999, then A1000 when a daily cap
passes 999. Citizens and staff type it as they hear or read it: `a1`, `A01`, `A001`, `ａ００１`
(a Chinese input method in full-width mode) are one ticket. Every lookup goes through
`parse_number`, and every ordering through `number_order` — never a text comparison, which puts
A1000 before A999.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from onevisit.core.typed import squeezed
from onevisit.queue.errors import QueueError

#: Digits printed at least: A001. More digits appear when the sequence passes 999 (A1000).
PAD = 3
#: Longest sequence accepted when typed: five digits, far above any hall's daily cap.
MAX_DIGITS = 5
_SHAPE = re.compile(rf"^([A-Z])0*([0-9]{{1,{MAX_DIGITS}}})$", re.ASCII)


class BadTicketNumber(QueueError):
    status = 422

    def __init__(self, raw: str) -> None:
        shown = raw if len(raw) <= 20 else raw[:20] + "…"
        super().__init__(
            "bad_ticket_number",
            f"号码格式不对：“{shown}”。号码是一个字母加数字，例如 A012",
            f"{shown!r} is not a ticket number: one letter and digits, e.g. A012",
            number=shown,
        )


class TicketNumber(NamedTuple):
    prefix: str
    seq: int

    def __str__(self) -> str:
        return format_number(self.prefix, self.seq)


def format_number(prefix: str, seq: int) -> str:
    """The printed spelling: A001, A012, A999, A1000."""
    return f"{prefix}{seq:0{PAD}d}"


def parse_number(raw: str | None) -> TicketNumber:
    """A typed ticket number, folded (NFKC, spaces removed, upper case) and split into prefix and
    sequence; raises BadTicketNumber (422) when it is not one letter and 1–5 digits, or is 0."""
    text = squeezed(raw).upper()
    match = _SHAPE.match(text)
    if match is None or int(match.group(2)) == 0:
        raise BadTicketNumber(str(raw or ""))
    return TicketNumber(match.group(1), int(match.group(2)))


def canonical(raw: str | None) -> str:
    """The stored spelling of a typed number: `a1` → A001, `ａ１０００` → A1000."""
    return str(parse_number(raw))


def number_order(number: str) -> tuple[str, int]:
    """Sort key of a stored number: prefix, then the numeric sequence (A999 before A1000). A stored
    number that does not parse (never written by this code) sorts after its prefix's numbers."""
    try:
        parsed = parse_number(number)
    except BadTicketNumber:
        return (str(number)[:1], 10**MAX_DIGITS)
    return (parsed.prefix, parsed.seq)
