"""Telling the hall what ended at this kiosk (POST /api/selfservice), so the supervisor's figures
count certificates printed, records looked up, certifications and the citizens sent to a window.

Reports wait in a small outbox: a hall that does not answer keeps them (oldest dropped past
`limit`) and they go with the next report or the next availability refresh. A report the hall
refuses (an unknown kind, a revoked token) is logged and dropped: retrying cannot fix it. Nothing
here ever reaches the citizen's screen.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from onevisit.kiosk.hall_client import HallRefused, HallUnavailable

log = logging.getLogger(__name__)

CERTIFICATE_PRINTED = "selfservice.certificate_printed"
RECORDS_QUERIED = "selfservice.records_queried"
CERTIFICATION_PASSED = "selfservice.certification_passed"
CERTIFICATION_FAILED = "selfservice.certification_failed"
ROUTED_TO_WINDOW = "selfservice.routed_to_window"
CARD_QUERIED = "selfservice.card_queried"
CARD_LOSS_REPORTED = "selfservice.card_loss_reported"
PENSION_PAID = "selfservice.pension_paid"


@dataclass
class Report:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


class SelfServiceOutbox:
    def __init__(self, hall, limit: int = 500) -> None:
        self.hall = hall
        self.limit = limit
        self.pending: deque[Report] = deque()
        self.sent = 0
        self.dropped = 0
        self._lock = threading.Lock()  # one flush at a time keeps the order

    def add(self, kind: str, **data: Any) -> None:
        # when the kiosk saw it happen: a report sent late still says so
        data.setdefault("kiosk_at", dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        with self._lock:
            self.pending.append(Report(kind, data))
            while len(self.pending) > self.limit:
                self.pending.popleft()
                self.dropped += 1

    def flush(self) -> int:
        """Send what waits, oldest first; stop at the first sign of network trouble."""
        if self.hall is None:
            return 0
        sent = 0
        with self._lock:
            while self.pending:
                report = self.pending[0]
                try:
                    self.hall.selfservice(report.kind, report.data)
                    sent += 1
                except HallUnavailable:
                    break
                except HallRefused as exc:
                    log.warning("hall refused self-service report %s: %s", report.kind, exc.code)
                    self.dropped += 1
                self.pending.popleft()
            self.sent += sent
        return sent
