"""An in-process document printer for tests that are not about CUPS (kiosk screens, hall routes):
jobs end as the test says, the health is what the test sets. Tests of printing itself use the real
private CUPS (onevisit.sim.cups)."""

from __future__ import annotations

import itertools
import threading

from onevisit.devices.documents.base import DocumentJob, DocumentPrinterHealth, DocumentPrintError


class FakeDocumentPrinter:
    """`outcome`: the final state each new job reaches at its first `job_state` read (completed,
    aborted, canceled, or pending/stopped to stay unfinished); `accepting=False` refuses submits."""

    url = "fake://documents"

    def __init__(self, outcome: str = "completed") -> None:
        self.outcome = outcome
        self.accepting = True
        self.health = DocumentPrinterHealth("idle")
        self.jobs: dict[str, DocumentJob] = {}
        self.documents: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, pdf: bytes, title: str) -> DocumentJob:
        if not self.accepting:
            raise DocumentPrintError("printer_rejecting", "the queue is not accepting jobs")
        with self._lock:
            job = DocumentJob(str(next(self._ids)), "pending")
            self.jobs[job.id] = job
            self.documents[job.id] = (pdf, title)
        return job

    def job_state(self, job: DocumentJob | str) -> DocumentJob:
        job_id = job.id if isinstance(job, DocumentJob) else str(job)
        with self._lock:
            if job_id not in self.jobs:
                raise DocumentPrintError("job_unknown", f"job {job_id}")
            current = self.jobs[job_id]
            if not current.final:
                current = DocumentJob(job_id, self.outcome)
                self.jobs[job_id] = current
            return current

    def cancel(self, job: DocumentJob | str) -> None:
        job_id = job.id if isinstance(job, DocumentJob) else str(job)
        with self._lock:
            if job_id in self.jobs and not self.jobs[job_id].final:
                self.jobs[job_id] = DocumentJob(job_id, "canceled")

    def printer_status(self) -> DocumentPrinterHealth:
        return self.health
