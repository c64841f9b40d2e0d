"""The A4 document printer (参保证明): CUPS by URL, job states and health read back over IPP.

from onevisit.devices.documents import open_document_printer
printer = open_document_printer("cups://office")      # or ipp://HOST:631/printers/Q; None for "none"
job = printer.submit(pdf_bytes, "SFQ202611290001")     # DocumentJob(id, "pending")
printer.job_state(job).state                           # pending … completed | aborted | canceled
printer.printer_status().reasons                       # ('media-empty-error', …)
"""

from __future__ import annotations

from onevisit.devices.documents.base import (
    FINAL_STATES,
    DocumentJob,
    DocumentPrinter,
    DocumentPrinterHealth,
    DocumentPrintError,
)
from onevisit.devices.documents.url import (
    DocumentPrinterUrl,
    DocumentPrinterUrlError,
    parse_document_printer_url,
)


def open_document_printer(url: str, timeout: float = 10.0) -> DocumentPrinter | None:
    """The driver for a configured URL; None for "none". Raises DocumentPrinterUrlError."""
    target = parse_document_printer_url(url)
    if not target.enabled:
        return None
    from onevisit.devices.documents.cups_driver import CupsDocumentPrinter

    return CupsDocumentPrinter(target, timeout=timeout)


__all__ = [
    "FINAL_STATES",
    "DocumentJob",
    "DocumentPrintError",
    "DocumentPrinter",
    "DocumentPrinterHealth",
    "DocumentPrinterUrl",
    "DocumentPrinterUrlError",
    "open_document_printer",
    "parse_document_printer_url",
]
