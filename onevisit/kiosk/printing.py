"""The kiosk's own printer, seen from the screens: print a ticket or certificate pages, say how it
went in words a citizen can act on. The ESC/POS work is onevisit.devices.printer's."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from onevisit.core.clock import SystemClock, hall_time
from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintOutcome:
    state: str  # printing | done | failed | paper_out | unavailable
    zh: str = ""
    en: str = ""

    @property
    def ok(self) -> bool:
        return self.state == "done"


UNAVAILABLE = PrintOutcome("unavailable", "本机打印暂不可用", "printing is not available at this kiosk")


def ticket_print(config: Any, ticket: dict[str, Any], position: dict[str, Any], status_url: str | None):
    """The paper ticket from the hall's answer (the same fields the hall's own CLI prints)."""
    from onevisit.devices.printer import TicketPrint

    matters = []
    for step in ticket.get("steps", []):
        try:
            matters.append(config.matter(step["matter"]).name_zh)
        except KeyError:
            matters.append(step["matter"])
    zone = config.hall.timezone
    try:
        issued = hall_time(ticket["created_at"], zone)
    except (KeyError, TypeError, ValueError):
        issued = SystemClock(zone).now()
    reason = ticket.get("priority_reason")
    label = {"disability": "优先 残疾人", "veteran": "优先 军人", "age": "优先 老年人"}.get(
        reason or "", "优先 Priority"
    )
    return TicketPrint(
        hall_name=config.hall.name,
        hall_name_en=config.hall.name_en,
        number=ticket["number"],
        matters_zh=matters,
        position=int(position.get("position") or position.get("ahead", 0) + 1),
        ahead=int(position.get("ahead", 0)),
        wait_minutes=float(position.get("wait_minutes") or 0),
        wait_low=position.get("wait_low"),
        wait_high=position.get("wait_high"),
        issued_at=issued,
        windows=list(position.get("windows") or []),
        status_url=status_url or "",
        short_code=ticket.get("short_code", ""),
        priority=bool(ticket.get("priority")),
        priority_label=label,
        note=ticket.get("tag") or "",
        extra_lines=_slot_lines(ticket.get("appointment_at"), zone),
    )


def _slot_lines(appointment_at: str | None, zone: str) -> list[str]:
    """A checked-in booking queues by its slot; the paper says so, as the screen does."""
    try:
        slot = hall_time(appointment_at, zone) if appointment_at else None
    except ValueError:
        return []
    return [f"预约时段：{slot:%H:%M}  Booked slot {slot:%H:%M}"] if slot else []


class KioskPrinter:
    def __init__(self, url: str | None, config: Any) -> None:
        self.url = url
        self.config = config
        self.driver = None
        self.error: str = ""
        if url:
            try:
                from onevisit.devices.printer import Printer

                self.driver = Printer(config.printer, url=url)
            except ImportError:
                self.error = "printer driver not installed"
            except OneVisitError as exc:
                self.error = exc.en
            if self.error:
                log.warning("printer %s unavailable: %s", url, self.error)

    @property
    def available(self) -> bool:
        return self.driver is not None

    def _outcome(self, job) -> PrintOutcome:
        if str(job.state) == "done":
            return PrintOutcome("done")
        state = "paper_out" if job.reason == "paper_out" else "failed"
        hint = f"（{job.hint}）" if job.hint else ""
        return PrintOutcome(state, (job.message_zh or "打印失败") + hint, job.message_en or "printing failed")

    def print_ticket(
        self, ticket: dict[str, Any], position: dict[str, Any], status_url: str | None
    ) -> PrintOutcome:
        if self.driver is None:
            return UNAVAILABLE
        job = self.driver.print_ticket(ticket_print(self.config, ticket, position, status_url))
        log.info("ticket %s print job %s: %s", ticket.get("number"), job.id, job.state)
        return self._outcome(job)

    def print_pages(self, pages: list, ref: str | None = None) -> PrintOutcome:
        if self.driver is None:
            return UNAVAILABLE
        return self._outcome(self.driver.print_images(pages, ref=ref, cut_each=True))

    def test_print(self) -> PrintOutcome:
        if self.driver is None:
            return UNAVAILABLE
        return self._outcome(self.driver.print_selftest())

    def paper_replaced(self) -> None:
        log.info("technician: paper replaced on %s", self.url)

    def status(self) -> dict[str, str]:
        if not self.url:
            return {"state": "missing", "detail": ""}
        if self.driver is None:
            return {"state": "error", "detail": f"{self.url}: {self.error}"}
        try:
            fault = self.driver.status().fault
        except OneVisitError as exc:
            return {"state": "error", "detail": exc.en}
        return {"state": "error" if fault else "ok", "detail": f"{self.url} {fault or ''}".strip()}
