"""Handing certificate pages to the printer driver as one job, a cut after each page."""

from __future__ import annotations

import logging

from PIL import Image

from onevisit.core.config import Config
from onevisit.core.errors import OneVisitError
from onevisit.devices.printer import JobState, Printer

log = logging.getLogger(__name__)


class CertificatePrintFailed(OneVisitError):
    status = 503


def print_pages(config: Config, url: str, pages: list[Image.Image], serial: str) -> dict:
    """Print the pages; a printer fault raises with the citizen's message and nothing is half-printed."""
    printer = Printer(config.printer, url=url)
    try:
        job = printer.print_images(pages, ref=serial, cut_each=True)
    finally:
        printer.close()
    if job.state != JobState.DONE:
        raise CertificatePrintFailed(
            job.reason or "print_failed",
            job.message_zh or "打印失败",
            job.message_en or "Printing failed",
            hint=job.hint,
        )
    return job.to_dict()
