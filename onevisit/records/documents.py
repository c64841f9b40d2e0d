"""Printing the A4 参保证明 on the document printer, as one job whose state is read back from CUPS.

The register keeps the job id beside the serial, so a retry of the same certificate first asks the
printer about the job already sent: completed → nothing is printed again; still pending or
processing → it is waited for, not sent twice; aborted or canceled (nothing came out) → sent again.
A job that does not complete within the timeout is cancelled (so it cannot come out later, for the
next citizen to pick up) and reported with the citizen's "go to a window" answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from onevisit.devices.documents import DocumentJob, DocumentPrinter, DocumentPrintError
from onevisit.records.register import CertificateRegister

log = logging.getLogger(__name__)


def wait_final(
    printer: DocumentPrinter,
    job: DocumentJob,
    timeout: float,
    poll: float,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> DocumentJob:
    """Read the job's state every `poll` seconds until it is final or `timeout` seconds passed;
    returns the last state read (maybe not final)."""
    deadline = monotonic() + timeout
    while True:
        job = printer.job_state(job)
        if job.final or monotonic() >= deadline:
            return job
        sleep(poll)


def print_certificate_document(
    printer: DocumentPrinter,
    register: CertificateRegister,
    serial: str,
    pdf: bytes,
    *,
    timeout: float = 120,
    poll: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> DocumentJob:
    """Print (or finish printing) certificate `serial`; returns the completed job or raises
    DocumentPrintError (codes: printer_rejecting, printer_unreachable, printer_not_found,
    print_aborted, print_canceled, print_timeout)."""
    row = register.get(serial) or {}
    job: DocumentJob | None = None
    if row.get("print_job"):
        try:
            job = printer.job_state(row["print_job"])
        except DocumentPrintError:
            job = None  # the scheduler forgot it (restarted with a fresh spool): nothing to wait for
        if job is not None and job.state == "completed":
            log.info("certificate %s already printed as job %s: not printed again", serial, job.id)
            register.set_print_job(serial, job.id, "printed")
            return job
        if job is not None and job.final:
            job = None  # aborted or canceled: nothing came out, send it again
    if job is None:
        try:
            job = printer.submit(pdf, serial)
        except DocumentPrintError:
            register.set_status(serial, "print_failed")
            raise
        register.set_print_job(serial, job.id, "printing")
    job = wait_final(printer, job, timeout, poll, sleep, monotonic)
    if job.state == "completed":
        register.set_print_job(serial, job.id, "printed")
        log.info("certificate %s printed as job %s on %s", serial, job.id, printer.url)
        return job
    if not job.final:
        printer.cancel(job)
        job = printer.job_state(job)
    register.set_print_job(serial, job.id, "print_failed")
    log.warning("certificate %s: job %s ended %s %s", serial, job.id, job.state, ",".join(job.reasons))
    code = {"aborted": "print_aborted", "canceled": "print_canceled"}.get(job.state, "print_timeout")
    raise DocumentPrintError(code, f"job {job.id} {job.state}", job)
