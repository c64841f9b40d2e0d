"""Issuing a certificate end to end: build, render, write PNG/PDF, and read a QR back.

The kiosk, the hall server and `onevisit cert print` all go through `issue_certificate`, so the
order that keeps refusals clean holds everywhere: query the backend, then number and sign, then
render, then hand pages to a printer or to files.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from PIL import Image

from onevisit.core.identity import IdNumber
from onevisit.records.backend import RecordsBackend
from onevisit.records.certificate import Certificate, build_certificate
from onevisit.records.register import CertificateRegister
from onevisit.records.render import render_pages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedCertificate:
    certificate: Certificate
    pages: list[Image.Image]


def issue_certificate(
    config,
    backend: RecordsBackend,
    id_text: str | IdNumber,
    choice: str,
    now: dt.datetime,
    width: int | None = None,
    register: CertificateRegister | None = None,
    preview: bool = False,
) -> IssuedCertificate:
    """The certificate and its rendered pages; preview=True reserves and signs nothing
    (certificate.build_certificate)."""
    cert = build_certificate(config, backend, id_text, choice, now, register=register, preview=preview)
    pages = render_pages(
        cert,
        width or config.printer.width,
        font=config.printer.font,
        page_max_mm=config.records.page_max_mm,
    )
    return IssuedCertificate(cert, pages)


def write_pdf(pages: list[Image.Image], path: Path) -> Path:
    """The pages as a PDF at the printer's 203 dpi, so it prints at true 80 mm width."""
    path.parent.mkdir(parents=True, exist_ok=True)
    first, *rest = [p.convert("L") for p in pages]
    first.save(path, "PDF", save_all=True, append_images=rest, resolution=203.2)
    return path


def write_files(issued: IssuedCertificate, out_dir: Path) -> list[Path]:
    """PNG per page plus one PDF, named by serial (no personal data in file names)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    serial = issued.certificate.serial
    paths = []
    for number, page in enumerate(issued.pages, start=1):
        path = out_dir / f"{serial}-p{number}.png"
        page.save(path)
        paths.append(path)
    paths.append(write_pdf(issued.pages, out_dir / f"{serial}.pdf"))
    return paths


def decode_qr(image: Image.Image | Path | str) -> list[str]:
    """Every QR code's text in an image (a printed page, a phone photo, a scan)."""
    img = Image.open(image) if isinstance(image, str | Path) else image
    img = img.convert("L")
    return [r.text for r in zxingcpp.read_barcodes(img) if r.format == zxingcpp.BarcodeFormat.QRCode]
