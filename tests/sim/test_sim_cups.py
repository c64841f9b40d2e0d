"""The private CUPS simulator: a real cupsd that prints PDFs into a folder, and leaves nothing behind
(its temp tree and the per-queue cups-pdf config in /etc/cups are removed on stop)."""

from __future__ import annotations

import glob
import os

from fpdf import FPDF

from onevisit.devices.documents import open_document_printer
from onevisit.records.documents import wait_final


def test_prints_into_the_folder_and_cleans_up(private_cups, tmp_path):
    confs_before = set(glob.glob("/etc/cups/cups-pdf-onevisit-*.conf"))
    assert any(private_cups.token in c for c in confs_before)
    pdf = FPDF(format="A4")
    pdf.add_page()
    printer = open_document_printer(private_cups.pdf_queue_url)
    job = wait_final(printer, printer.submit(bytes(pdf.output()), "sim-test"), timeout=60, poll=0.05)
    assert job.state == "completed"
    assert os.path.dirname(private_cups.find_output(int(job.id))) == str(tmp_path / "printed")
    base = private_cups.base_dir
    private_cups.stop()
    assert not os.path.exists(base)
    assert not [c for c in glob.glob("/etc/cups/cups-pdf-onevisit-*.conf") if private_cups.token in c]
    assert printer.printer_status().state == "unreachable"
