"""The document printer through CUPS, with pycups (libcups underneath): submit a PDF, read the job's
`job-state` and the queue's `printer-state`/`printer-state-reasons` back over IPP.

libcups keeps the server and port process-wide and `printFile` looks the destination up there
(an explicit `cups.Connection(host, port)` alone answers "The printer or class does not exist" on a
port other than 631), so every call sets them under one lock and puts the default back after.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from pathlib import Path

from onevisit.devices.documents.base import (
    JOB_STATES,
    PRINTER_STATES,
    DocumentJob,
    DocumentPrinterHealth,
    DocumentPrintError,
)
from onevisit.devices.documents.url import DocumentPrinterUrl

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_DEFAULT: tuple[str, int] | None = None
# IPP status codes (RFC 8011 §B, CUPS' ipp.h) the citizen's answer is chosen by.
_NOT_ACCEPTING = 0x0506
_NOT_FOUND = 0x0406
_PRINTER_ATTRS = [
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
]


class CupsDocumentPrinter:
    """A queue named by `cups://QUEUE` or `ipp://HOST:PORT/printers/QUEUE`; `timeout` in seconds
    for each IPP request."""

    def __init__(self, url: DocumentPrinterUrl, timeout: float = 10.0) -> None:
        import cups  # pycups: built from source against libcups2-dev (scripts/setup.sh)

        self._cups = cups
        self.target = url
        self.url = url.url
        self.timeout = timeout

    def _connect(self):
        """Point libcups at our server (see the module note) and open a connection; the caller
        holds _LOCK."""
        global _DEFAULT
        cups = self._cups
        if _DEFAULT is None:
            _DEFAULT = (cups.getServer(), cups.getPort())
        host, port = (self.target.host, self.target.port) if self.target.host else _DEFAULT
        cups.setServer(host)
        cups.setPort(port)
        try:
            return cups.Connection(host=host, port=port)
        except RuntimeError as exc:
            raise DocumentPrintError(
                "printer_unreachable", f"CUPS at {host}:{port} does not answer: {exc}"
            ) from None

    def submit(self, pdf: bytes, title: str) -> DocumentJob:
        """Print `pdf` (A4 asked for explicitly: a queue's default media may be Letter) as job `title`."""
        cups = self._cups
        with tempfile.TemporaryDirectory(prefix="onevisit-doc-") as folder:
            path = Path(folder) / "document.pdf"
            path.write_bytes(pdf)
            with _LOCK:
                try:
                    conn = self._connect()
                    job_id = conn.printFile(self.target.queue, str(path), title, {"media": "A4"})
                except cups.IPPError as exc:
                    status, text = exc.args if len(exc.args) == 2 else (0, str(exc))
                    code = {
                        _NOT_ACCEPTING: "printer_rejecting",
                        _NOT_FOUND: "printer_not_found",
                    }.get(status, "printer_refused")
                    raise DocumentPrintError(code, f"{self.target.queue}: {text}") from None
        log.info("document %s submitted to %s as job %s", title, self.url, job_id)
        return DocumentJob(str(job_id), "pending")

    def job_state(self, job: DocumentJob | str) -> DocumentJob:
        job_id = job.id if isinstance(job, DocumentJob) else str(job)
        cups = self._cups
        with _LOCK:
            try:
                attrs = self._connect().getJobAttributes(
                    int(job_id),
                    requested_attributes=["job-state", "job-state-reasons", "job-printer-state-message"],
                )
            except (cups.IPPError, ValueError) as exc:
                raise DocumentPrintError("job_unknown", f"job {job_id}: {exc}") from None
        reasons = attrs.get("job-state-reasons", ())
        return DocumentJob(
            job_id,
            JOB_STATES.get(attrs.get("job-state"), "pending"),
            tuple([reasons] if isinstance(reasons, str) else reasons),
            attrs.get("job-printer-state-message", "") or "",
        )

    def cancel(self, job: DocumentJob | str) -> None:
        job_id = job.id if isinstance(job, DocumentJob) else str(job)
        cups = self._cups
        with _LOCK:
            try:
                self._connect().cancelJob(int(job_id))
            except (cups.IPPError, ValueError) as exc:
                log.warning("cancelling job %s on %s: %s", job_id, self.url, exc)

    def printer_status(self) -> DocumentPrinterHealth:
        cups = self._cups
        with _LOCK:
            try:
                attrs = self._connect().getPrinterAttributes(
                    self.target.queue, requested_attributes=_PRINTER_ATTRS
                )
            except DocumentPrintError as exc:
                return DocumentPrinterHealth("unreachable", detail=exc.en)
            except cups.IPPError as exc:
                return DocumentPrinterHealth("unreachable", detail=f"{self.target.queue}: {exc.args[-1]}")
        reasons = attrs.get("printer-state-reasons", ())
        reasons = tuple(r for r in ([reasons] if isinstance(reasons, str) else reasons) if r != "none")
        return DocumentPrinterHealth(
            PRINTER_STATES.get(attrs.get("printer-state"), "unknown"),
            reasons,
            attrs.get("printer-state-message", "") or "",
            bool(attrs.get("printer-is-accepting-jobs", True)),
        )
