"""Print jobs and the Printer service the kiosk talks to.

Printing is separate from issuing: a ticket is issued by the queue first, then printed as a job
holding the ticket's bytes. A job that fails (paper out, cover open, offline...) keeps its bytes
and its bilingual reason, and `retry` prints exactly the same ticket again - never a new number,
never a lost one. The status is checked before sending, because a printer that is out of paper
would otherwise buffer the job and print it by surprise when the roll is changed, after the kiosk
already told the citizen to reprint.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum

from PIL import Image

from onevisit.core.clock import Clock, SystemClock
from onevisit.core.config import PrinterConfig
from onevisit.core.errors import OneVisitError
from onevisit.devices.printer.connection import connect
from onevisit.devices.printer.errors import FAULTS, PrinterError
from onevisit.devices.printer.status import PrinterStatus, query_status, silent
from onevisit.devices.printer.ticket import TicketPrint, build_pages, build_selftest, build_ticket

log = logging.getLogger(__name__)

#: Faults that, seen right after sending, mean the job probably did not come out whole.
_AFTER_FAULTS = ("paper_out", "cover_open", "cutter_error", "printer_error")


class JobState(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    DONE = "done"
    FAILED = "failed"


@dataclass
class PrintJob:
    id: int
    kind: str  # ticket, selftest, pages, raw
    ref: str | None  # what it prints, e.g. the ticket number
    data: bytes = field(repr=False)
    created_at: dt.datetime
    state: JobState = JobState.QUEUED
    attempts: int = 0
    reason: str | None = None
    message_zh: str | None = None
    message_en: str | None = None
    hint: str | None = None
    detail: str = ""
    finished_at: dt.datetime | None = None
    status: dict[str, object] | None = None

    @property
    def retryable(self) -> bool:
        return self.state == JobState.FAILED

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "ref": self.ref,
            "bytes": len(self.data),
            "state": str(self.state),
            "attempts": self.attempts,
            "retryable": self.retryable,
            "reason": self.reason,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "hint": self.hint,
            "detail": self.detail,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status,
        }


class Printer:
    """One printer: status, jobs and their history (in memory, the last `history` jobs).

    `submit(..., wait=True)` prints on the caller's thread; `wait=False` hands the job to a small
    worker thread and returns it queued (use `wait_for`). Jobs go to the printer one at a time.
    """

    def __init__(
        self, config: PrinterConfig, url: str | None = None, clock: Clock | None = None, history: int = 200
    ) -> None:
        self.config = config
        self.url = url or config.url
        connect(self.url)  # a bad URL fails here, at start, with the expected forms named
        self.clock = clock or SystemClock()
        self._history = history
        self._jobs: OrderedDict[int, PrintJob] = OrderedDict()
        self._ids = itertools.count(1)
        self._device_lock = threading.Lock()  # one job (or status query) on the wire at a time
        self._changed = threading.Condition()
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._worker: threading.Thread | None = None

    # -- status -------------------------------------------------------------------------------
    def status(self) -> PrinterStatus:
        with self._device_lock:
            try:
                with connect(self.url, self.config.timeout) as link:
                    return query_status(link, self.config.timeout)
            except PrinterError as err:
                return silent(err.detail or err.en)

    # -- what to print --------------------------------------------------------------------------
    def print_ticket(self, ticket: TicketPrint, wait: bool = True) -> PrintJob:
        return self.submit(build_ticket(ticket, self.config), kind="ticket", ref=ticket.number, wait=wait)

    def print_selftest(self, wait: bool = True) -> PrintJob:
        status = self.status().to_dict()
        data = build_selftest(self.config, self.url, status, self.clock.now())
        return self.submit(data, kind="selftest", wait=wait)

    def print_images(
        self, pages: list[Image.Image], ref: str | None = None, *, cut_each: bool = False, wait: bool = True
    ) -> PrintJob:
        """Print raster pages (PIL images, e.g. a 参保证明 drawn by the records part) as one job.

        Pages wider than the paper (config width, 576 or 384 dots) are scaled down to fit; grey and
        colour are dithered to black dots. Draw pages at the paper width for the sharpest result.
        """
        return self.submit(
            build_pages(pages, self.config, cut_each=cut_each), kind="pages", ref=ref, wait=wait
        )

    def submit(self, data: bytes, kind: str = "raw", ref: str | None = None, wait: bool = True) -> PrintJob:
        job = PrintJob(id=next(self._ids), kind=kind, ref=ref, data=data, created_at=self.clock.now())
        with self._changed:
            self._jobs[job.id] = job
            while len(self._jobs) > self._history:
                self._jobs.popitem(last=False)
        return self._dispatch(job, wait)

    def retry(self, job_id: int, wait: bool = True, *, reprint: bool = False) -> PrintJob:
        """Send a failed job's bytes again (same ticket, same number). A done job is printed again
        only with `reprint=True` (staff reprinting a lost ticket), so a double tap never makes two."""
        job = self.job(job_id)
        with self._changed:
            if job.state in (JobState.QUEUED, JobState.PRINTING):
                raise OneVisitError(
                    "print_job_busy",
                    "正在打印，请稍候。",
                    "This job is already printing; please wait.",
                    job=job_id,
                )
            if job.state == JobState.DONE and not reprint:
                raise OneVisitError(
                    "print_job_done", "已打印成功，无需重打。", "This job already printed.", job=job_id
                )
            job.state = JobState.QUEUED
            self._changed.notify_all()
        return self._dispatch(job, wait)

    # -- history --------------------------------------------------------------------------------
    def job(self, job_id: int) -> PrintJob:
        with self._changed:
            try:
                return self._jobs[job_id]
            except KeyError:
                raise OneVisitError(
                    "unknown_print_job", "找不到该打印任务。", f"no print job {job_id}", job=job_id
                ) from None

    def jobs(self) -> list[PrintJob]:
        with self._changed:
            return list(self._jobs.values())

    def wait_for(self, job_id: int, timeout: float = 30.0) -> PrintJob:
        """Block until the job is done or failed (or the timeout passes); returns it either way."""
        job = self.job(job_id)
        with self._changed:
            self._changed.wait_for(lambda: job.state in (JobState.DONE, JobState.FAILED), timeout)
        return job

    def close(self) -> None:
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=self.config.timeout * 3)
            self._worker = None

    # -- running jobs ---------------------------------------------------------------------------
    def _dispatch(self, job: PrintJob, wait: bool) -> PrintJob:
        if wait:
            self._run(job)
            return job
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="printer-jobs", daemon=True)
            self._worker.start()
        self._queue.put(job.id)
        return job

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            try:
                self._run(self.job(job_id))
            except Exception:  # a bug must not kill the worker and strand later jobs
                log.exception("print job %s crashed", job_id)

    def _set(self, job: PrintJob, **changes: object) -> None:
        with self._changed:
            for key, value in changes.items():
                setattr(job, key, value)
            self._changed.notify_all()

    def _fail(self, job: PrintJob, code: str, detail: str, status: PrinterStatus | None) -> None:
        zh, en, hint = FAULTS[code]
        log.warning("print job %s (%s %s) failed: %s %s", job.id, job.kind, job.ref or "", code, detail)
        self._set(
            job,
            state=JobState.FAILED,
            reason=code,
            message_zh=zh,
            message_en=en,
            hint=hint,
            detail=detail,
            finished_at=self.clock.now(),
            status=status.to_dict() if status else None,
        )

    def _run(self, job: PrintJob) -> None:
        with self._device_lock:
            self._set(job, state=JobState.PRINTING, attempts=job.attempts + 1, reason=None, detail="")
            timeout = self.config.timeout
            try:
                with connect(self.url, timeout) as link:
                    before = query_status(link, timeout)
                    if before.fault:
                        self._fail(job, before.fault, before.detail, before)
                        return
                    link.write(job.data)
                    after = query_status(link, timeout) if link.can_read else before
            except PrinterError as err:
                self._fail(job, err.code, err.detail, None)
                return
            if after.fault in _AFTER_FAULTS:
                self._fail(job, str(after.fault), "fault reported right after sending the job", after)
                return
            detail = "" if after.answered or not link.can_read else "sent; the printer did not confirm"
            self._set(
                job,
                state=JobState.DONE,
                reason=None,
                message_zh=None,
                message_en=None,
                hint=None,
                detail=detail,
                finished_at=self.clock.now(),
                status=after.to_dict(),
            )
            log.info("print job %s (%s %s) done, %d bytes", job.id, job.kind, job.ref or "", len(job.data))
