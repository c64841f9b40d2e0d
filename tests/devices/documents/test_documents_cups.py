"""The document printer against a real CUPS scheduler (tests/conftest.py `private_cups`): jobs end in
the IPP states CUPS reports, refusals and stopped queues give the citizen's answer, health reasons
come back from IPP, and a retried certificate is never printed twice."""

from __future__ import annotations

import subprocess

import pytest
from fpdf import FPDF

from onevisit.devices.documents import DocumentPrintError, open_document_printer, parse_document_printer_url
from onevisit.devices.documents.url import DocumentPrinterUrlError
from onevisit.records.documents import print_certificate_document, wait_final
from onevisit.records.register import CertificateRegister


def _pdf(pages: int = 2) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_font("helvetica", size=20)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"OneVisit test page {n + 1}")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("url", "queue", "server"),
    [
        ("cups://office-a4", "office-a4", ""),
        ("ipp://10.0.0.7/printers/A4", "A4", "10.0.0.7:631"),
        ("ipp://print.hall.local:8631/printers/hall_a4", "hall_a4", "print.hall.local:8631"),
    ],
)
def test_urls_name_a_queue(url, queue, server):
    target = parse_document_printer_url(url)
    assert (target.queue, target.server) == (queue, server)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "cups://",
        "ipp://host/Q",
        "ipp:///printers/Q",
        "ipp://h:99999/printers/Q",
        "lpd://h/q",
        "cups://a b",
        "ipp://h/printers/Q?copies=2",
        "ipp://u:p@h/printers/Q",
    ],
)
def test_bad_urls_say_what_was_expected(url):
    with pytest.raises(DocumentPrinterUrlError) as err:
        parse_document_printer_url(url)
    assert "文档打印机地址无效" in err.value.zh
    assert repr(url) in err.value.en


def test_a_job_completes_and_cups_pdf_writes_it_as_a4(private_cups):
    printer = open_document_printer(private_cups.pdf_queue_url)
    job = printer.submit(_pdf(2), "SFQ-TEST-1")
    job = wait_final(printer, job, timeout=60, poll=0.05)
    assert job.state == "completed"
    out = private_cups.find_output(int(job.id))
    info = subprocess.run(["pdfinfo", out], capture_output=True, text=True, check=True).stdout
    assert "Pages:           2" in info and "(A4)" in info
    assert printer.printer_status().ok


def test_a_rejecting_queue_refuses_with_the_citizens_answer(private_cups):
    private_cups.reject(private_cups.pdf_queue, "维修中")
    printer = open_document_printer(private_cups.pdf_queue_url)
    with pytest.raises(DocumentPrintError) as err:
        printer.submit(_pdf(1), "SFQ-TEST-2")
    assert err.value.code == "printer_rejecting" and "窗口" in err.value.zh and "window" in err.value.en
    health = printer.printer_status()
    assert not health.accepting and "not-accepting-jobs" in health.errors


def test_a_disabled_queue_times_out_is_cancelled_and_a_retry_prints_once(private_cups, tmp_path):
    register = CertificateRegister(tmp_path / "certs.db")
    serial = register.reserve_serial("SFQ", __import__("datetime").datetime(2026, 11, 29, 9, 0))
    private_cups.disable(private_cups.pdf_queue, "paper tray out")
    printer = open_document_printer(private_cups.pdf_queue_url)
    assert printer.printer_status().state == "stopped" and "paused" in printer.printer_status().reasons
    with pytest.raises(DocumentPrintError) as err:
        print_certificate_document(printer, register, serial, _pdf(1), timeout=0.5, poll=0.05)
    assert err.value.code == "print_canceled"
    first = register.get(serial)
    assert first["status"] == "print_failed" and first["print_job"]
    # the technician re-enables the queue: the cancelled job must not come out later
    private_cups.enable(private_cups.pdf_queue)
    job = print_certificate_document(printer, register, serial, _pdf(1), timeout=60, poll=0.05)
    assert job.state == "completed" and job.id != first["print_job"]
    # the kiosk retries the same certificate (a lost answer): CUPS says completed, nothing is sent again
    again = print_certificate_document(printer, register, serial, _pdf(1), timeout=60, poll=0.05)
    assert again.id == job.id
    assert len(list((tmp_path / "printed").glob("*.pdf"))) == 1
    assert register.get(serial)["status"] == "printed"


def test_a_failing_device_aborts_the_job_and_reasons_reach_the_health(private_cups):
    private_cups.set_fault(
        "onevisit-fault",
        states=["+media-empty-error", "+toner-low-warning"],
        message="tray 2 empty",
        exit_code=1,
    )
    printer = open_document_printer(private_cups.fault_queue_url)
    job = wait_final(printer, printer.submit(_pdf(1), "SFQ-TEST-3"), timeout=60, poll=0.05)
    assert job.state == "aborted"
    health = printer.printer_status()
    assert "media-empty-error" in health.reasons and "toner-low-warning" in health.warnings
    assert "media-empty-error" in health.errors and "缺纸" in health.summary()


def test_an_unreachable_scheduler_is_a_state_not_a_crash(private_cups):
    url = private_cups.pdf_queue_url
    private_cups.stop()
    printer = open_document_printer(url)
    assert printer.printer_status().state == "unreachable"
    with pytest.raises(DocumentPrintError) as err:
        printer.submit(_pdf(1), "SFQ-TEST-4")
    assert "窗口" in err.value.zh
