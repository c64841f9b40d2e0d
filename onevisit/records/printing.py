"""Handing certificate pages to the printing driver (onevisit.devices.printer)."""

from __future__ import annotations

import importlib
import logging

from PIL import Image

log = logging.getLogger(__name__)


class PrinterMissing(RuntimeError):
    """The printer driver is not part of this installation."""


def print_pages(config, url: str, pages: list[Image.Image]) -> dict:
    """Print raster pages (one cut after each) and report what was sent."""
    try:
        driver = importlib.import_module("onevisit.devices.printer")
    except ImportError:
        raise PrinterMissing("the printer driver onevisit.devices.printer is not installed") from None
    printer_fn = getattr(driver, "print_raster_pages", None)
    if printer_fn is None:
        raise PrinterMissing("onevisit.devices.printer has no print_raster_pages()")
    return printer_fn(url, pages, config=config.printer)
