"""The document printer's interface: an A4 PDF in, a job with an IPP state out, and the printer's
health as IPP reports it.

Job states are the names of IPP `job-state` (RFC 8011 §5.3.7): pending, held, processing, stopped,
canceled, aborted, completed; the last three are final. Printer health is `printer-state`
(idle, processing, stopped; RFC 8011 §5.4.11) with `printer-state-reasons` (§5.4.12: keywords
such as media-empty-error, toner-low-warning, door-open-error, offline-report, paused) and
whether the queue accepts jobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from onevisit.core.errors import OneVisitError

#: IPP job-state enum values → our names.
JOB_STATES = {
    3: "pending",
    4: "held",
    5: "processing",
    6: "stopped",
    7: "canceled",
    8: "aborted",
    9: "completed",
}
FINAL_STATES = frozenset({"canceled", "aborted", "completed"})
#: IPP printer-state enum values → names.
PRINTER_STATES = {3: "idle", 4: "processing", 5: "stopped"}

#: Reasons a technician must act on: each with a short Chinese and English label for /maintenance.
REASON_LABELS = {
    "media-empty": ("缺纸", "out of paper"),
    "media-needed": ("缺纸", "paper needed"),
    "media-jam": ("卡纸", "paper jam"),
    "toner-low": ("墨粉不足", "toner low"),
    "toner-empty": ("墨粉用尽", "toner empty"),
    "door-open": ("机盖打开", "door open"),
    "cover-open": ("机盖打开", "cover open"),
    "offline": ("脱机", "offline"),
    "paused": ("已暂停", "queue paused"),
    "shutdown": ("已关闭", "shut down"),
    "connecting-to-device": ("正在连接", "connecting"),
}


def reason_keyword(reason: str) -> str:
    """media-empty-error → media-empty (the -error/-warning/-report suffix is the severity)."""
    for suffix in ("-error", "-warning", "-report"):
        if reason.endswith(suffix):
            return reason[: -len(suffix)]
    return reason


@dataclass(frozen=True)
class DocumentJob:
    """One submitted PDF: `id` as the printer names it (CUPS job id, as text), its last state."""

    id: str
    state: str = "pending"
    reasons: tuple[str, ...] = ()
    message: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class DocumentPrinterHealth:
    """printer-state, printer-state-reasons, printer-state-message, printer-is-accepting-jobs.
    `state` is "unreachable" when the scheduler does not answer."""

    state: str
    reasons: tuple[str, ...] = ()
    message: str = ""
    accepting: bool = True
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        """Reasons that stop printing: -error ones, offline, paused/stopped, a refusing queue."""
        out = [r for r in self.reasons if r.endswith("-error") or reason_keyword(r) in ("offline", "paused")]
        if self.state in ("stopped", "unreachable") and not out:
            out.append(self.state)
        if not self.accepting:
            out.append("not-accepting-jobs")
        return out

    @property
    def warnings(self) -> list[str]:
        return [r for r in self.reasons if r.endswith("-warning")]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line for a heartbeat or /maintenance: 'idle', 'stopped: paused (已暂停)', …"""
        shown = [r for r in self.reasons if r != "none"]
        if not self.accepting:
            shown.append("not-accepting-jobs")
        labels = []
        for r in shown:
            zh, _en = REASON_LABELS.get(reason_keyword(r), ("", ""))
            labels.append(f"{r} ({zh})" if zh else r)
        text = self.state + (": " + ", ".join(labels) if labels else "")
        if self.message:
            text += f" — {self.message}"
        return text

    def to_dict(self) -> dict:
        return {
            "state": self.state,
            "reasons": list(self.reasons),
            "message": self.message,
            "accepting": self.accepting,
            "errors": self.errors,
            "warnings": self.warnings,
        }


class DocumentPrintError(OneVisitError):
    """A document that could not be handed over or that ended without printing. The citizen's
    answer is always the same: go to a window (the kiosk offers a ticket tagged with the code)."""

    status = 503

    def __init__(self, code: str, en_detail: str, job: DocumentJob | None = None) -> None:
        super().__init__(
            code,
            "打印机未能完成打印，请取号到窗口办理（已注明原因）",
            f"The certificate could not be printed ({en_detail}); please take a number for a window",
            job=job.id if job else None,
        )
        self.job = job


class DocumentPrinter(Protocol):
    """What the kiosk and `onevisit cert print` need from an A4 printer."""

    url: str

    def submit(self, pdf: bytes, title: str) -> DocumentJob:
        """Hand a PDF over; raises DocumentPrintError when the queue refuses or cannot be reached."""

    def job_state(self, job: DocumentJob | str) -> DocumentJob:
        """The job as the printer knows it now; raises DocumentPrintError when it cannot be asked."""

    def cancel(self, job: DocumentJob | str) -> None:
        """Cancel a job that has not finished (a kiosk gave up on it: it must not come out later)."""

    def printer_status(self) -> DocumentPrinterHealth:
        """Health from IPP; never raises (an unreachable scheduler is a state)."""
