"""What travels between a hall's shipper and the region: the streams, their columns, row digests.

A hall ships three streams, each an append-only table of the hall database with gapless increasing
ids (the queue's `events`, `hall_ratings`, `selfservice_events`). The region keeps every row under
(hall, incarnation, id) with the hall's own columns, so a row at the region equals the row in the
hall, and "what has the region got" is one number per stream: the highest id (the mark).

The digest of a row (sha256 over its columns as JSON, in `COLUMNS` order) lets the shipper compare
the region's row at the mark with its own without sending either: a differing digest, or a mark
above the hall's highest id, means the hall database is not the one the region has been receiving
(restored from a backup by file copy).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from onevisit.core.identity import redact_ids

#: stream -> (hall table, region table)
STREAMS: dict[str, tuple[str, str]] = {
    "events": ("events", "region_events"),
    "ratings": ("hall_ratings", "region_ratings"),
    "selfservice": ("selfservice_events", "region_selfservice"),
}

#: stream -> the columns shipped, `id` first; the same names on both sides.
COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("id", "at", "actor", "kind", "day", "number", "window", "matter", "data"),
    "ratings": ("id", "step_id", "day", "number", "window", "matter", "score", "at"),
    "selfservice": ("id", "at", "day", "actor", "kind", "data"),
}

#: Request headers the shipper sends with every call: the hall's wall clock (epoch seconds, float)
#: when the request left, and the round trip of its previous request (seconds).
HALL_TIME_HEADER = "X-OneVisit-Hall-Time"
RTT_HEADER = "X-OneVisit-Last-RTT"
#: The sending hall's own `[hall] code`: the region checks it against the token's hall, so a hall
#: set up with a neighbour's token is refused instead of filing its rows under the neighbour.
HALL_CODE_HEADER = "X-OneVisit-Hall-Code"

# An 11-digit mainland mobile number standing alone (1[3-9]x…): must never leave a hall.
_PHONE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def row_digest(stream: str, row: dict[str, Any]) -> str:
    """sha256 (hex) of a shipped row's columns in `COLUMNS[stream]` order (ints as ints, text as
    text); the same on the hall's row and on the region's copy of it."""
    values = [row.get(c) for c in COLUMNS[stream]]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def shipped_row(stream: str, row: dict[str, Any]) -> dict[str, Any]:
    """The row as it travels: only the stream's columns."""
    return {c: row.get(c) for c in COLUMNS[stream]}


def personal_data_in(row: dict[str, Any]) -> str | None:
    """The name of the first text column holding what looks like a full ID number or a mobile
    number, or None. Rows carry only keyed hashes and masked forms (DESIGN.md, privacy); the
    shipper refuses to send a row for which this says otherwise."""
    for column, value in row.items():
        if isinstance(value, str) and (redact_ids(value) != value or _PHONE_IN_TEXT.search(value)):
            return column
    return None
