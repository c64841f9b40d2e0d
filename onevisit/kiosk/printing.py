"""The kiosk's own ticket printer, seen from the screens: print a ticket, say how it went.

The printer driver lives in onevisit.devices.printer (its own branch). Until it is installed here
the kiosk reports printing as unavailable and shows the ticket's QR instead of pretending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintOutcome:
    state: str  # done | failed | paper_out | unavailable
    zh: str = ""
    en: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "done"


UNAVAILABLE = PrintOutcome("unavailable", "本机打印暂不可用", "printing is not available at this kiosk")


class KioskPrinter:
    def __init__(self, url: str | None, config: Any) -> None:
        self.url = url
        self.config = config
        self.driver = None
        if url:
            try:
                import onevisit.devices.printer  # noqa: F401  (lands on the printer branch)
            except ImportError:
                log.warning("printer driver not installed; printing unavailable")
            else:
                self.driver = self._open_driver()

    def _open_driver(self):
        return None

    @property
    def available(self) -> bool:
        return self.driver is not None

    def print_ticket(
        self, ticket: dict[str, Any], position: dict[str, Any], status_url: str | None
    ) -> PrintOutcome:
        return UNAVAILABLE

    def test_print(self) -> PrintOutcome:
        return UNAVAILABLE

    def paper_replaced(self) -> None:
        pass

    def status(self) -> dict[str, str]:
        return {
            "state": "missing" if not self.url else ("ok" if self.available else "error"),
            "detail": self.url or "",
        }
