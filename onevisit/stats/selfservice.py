"""Kiosk visits that ended at the kiosk: 参保证明 printed, 资格认证 passed, records looked up.

They never touch the queue, so they are not queue events (the queue's `EventKind` is closed: an
unknown kind in its `events` table would break its replay and event stream). Kiosks report them to
the hall (`POST /api/selfservice`, kiosk token) and the hall appends one row here, in the same
database file; the statistics count them as visits that avoided a queue.

Kinds (a kiosk sends one of these; anything else is refused):
- ``selfservice.certificate_printed``  a 参保证明 came out of the kiosk printer
- ``selfservice.certification_passed``  养老待遇资格认证 by face passed
- ``selfservice.records_queried``       the citizen looked up their own records
- ``selfservice.card_queried``          the citizen looked up their 社保卡's status and progress
- ``selfservice.card_loss_reported``    a 社保卡 临时挂失 took effect in records (receipt printed or not)
- ``selfservice.pension_paid``          a 城乡居民养老保险 contribution paid by phone at the kiosk
- ``selfservice.certification_failed``  one failed face attempt (three send the citizen to a window)
- ``selfservice.routed_to_window``      self-service failed; a ticket tagged with the reason was issued
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import redact_ids
from onevisit.db import Database, schema

SELFSERVICE_TABLE = schema.selfservice_events.name
PREFIX = "selfservice."

#: Completions: the citizen's business was done at the kiosk, no window needed.
COMPLETIONS = {
    "selfservice.certificate_printed": ("打印参保证明", "Certificates printed"),
    "selfservice.certification_passed": ("资格认证通过", "Qualification certifications passed"),
    "selfservice.records_queried": ("自助查询", "Records looked up"),
    "selfservice.card_queried": ("社保卡进度查询", "Card status looked up"),
    "selfservice.card_loss_reported": ("社保卡挂失", "Cards reported lost"),
    "selfservice.pension_paid": ("居民养老缴费", "Resident pension payments"),
}
#: Attempts that did not finish at the kiosk.
FAILURES = {
    "selfservice.certification_failed": ("资格认证未通过", "Certification attempts failed"),
    "selfservice.routed_to_window": ("转窗口办理", "Sent to a window"),
}
KINDS = {**COMPLETIONS, **FAILURES}
MAX_DETAIL = 200


class BadSelfServiceKind(OneVisitError):
    status = 422

    def __init__(self, kind: str) -> None:
        super().__init__(
            "bad_selfservice_kind",
            "未知的自助业务类型",
            f"Unknown self-service kind {kind!r}; expected one of {sorted(KINDS)}",
            kind=kind,
        )


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadSelfServiceKind(kind)
    return kind


def clean_detail(data: dict[str, Any] | None) -> dict[str, Any]:
    """Short scalar details only (matter, reason, kiosk), with any ID number masked."""
    out: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if not isinstance(key, str) or len(key) > 40:
            continue
        if isinstance(value, str):
            out[key] = redact_ids(value)[:MAX_DETAIL]
        elif isinstance(value, int | float | bool) or value is None:
            out[key] = value
    return out


class SelfServiceLog:
    """Appends self-service rows to the hall database (`selfservice_events`, onevisit/db/schema.py)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, kind: str, actor: str, at: dt.datetime, data: dict[str, Any] | None = None) -> int:
        """Append one row; returns its id. BadSelfServiceKind (422) for a kind not in KINDS;
        ValueError for a naive time."""
        check_kind(kind)
        if at.tzinfo is None:
            raise ValueError("self-service times must be aware datetimes in the hall's zone")
        with self.db.transaction() as tx:
            row_id = tx.insert(
                schema.selfservice_events,
                {
                    "at": at.isoformat(timespec="milliseconds"),
                    "day": at.date().isoformat(),
                    "actor": actor[:60],
                    "kind": kind,
                    "data": json.dumps(clean_detail(data), ensure_ascii=False),
                },
            )
        assert row_id is not None
        return row_id
