"""The certificate's print job bookkeeping with the in-process document printer (the CUPS side has
its own tests against a real scheduler): the register keeps the job id, a retry asks that job's
state first, a job the scheduler forgot is sent again, a stuck job is cancelled at the timeout."""

from __future__ import annotations

import datetime as dt

import pytest

from onevisit.devices.documents import DocumentPrintError
from onevisit.devices.documents.fake import FakeDocumentPrinter
from onevisit.records.documents import print_certificate_document
from onevisit.records.register import CertificateRegister


@pytest.fixture
def register(tmp_path):
    return CertificateRegister(tmp_path / "certs.db")


def serial(register):
    return register.reserve_serial("SFQ", dt.datetime(2026, 11, 29, 9, 0))


def test_completed_then_retried_is_sent_once(register):
    printer, s = FakeDocumentPrinter(), serial(register)
    first = print_certificate_document(printer, register, s, b"%PDF-1", timeout=1, poll=0.01)
    again = print_certificate_document(printer, register, s, b"%PDF-1", timeout=1, poll=0.01)
    assert first.state == again.state == "completed" and first.id == again.id
    assert len(printer.documents) == 1 and register.get(s)["status"] == "printed"


def test_a_job_the_scheduler_forgot_is_sent_again(register):
    printer, s = FakeDocumentPrinter(), serial(register)
    register.set_print_job(s, "99", "printing")  # a scheduler restarted with an empty spool
    job = print_certificate_document(printer, register, s, b"%PDF-1", timeout=1, poll=0.01)
    assert job.state == "completed" and job.id != "99" and len(printer.documents) == 1


def test_a_stuck_job_is_cancelled_at_the_timeout_with_the_citizens_answer(register):
    printer, s = FakeDocumentPrinter(outcome="pending"), serial(register)
    now = [0.0]  # an injected clock: each poll's sleep moves it on

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(DocumentPrintError) as err:
        print_certificate_document(
            printer, register, s, b"%PDF-1", timeout=3, poll=1, sleep=sleep, monotonic=lambda: now[0]
        )
    assert now[0] == 3
    assert err.value.code == "print_canceled" and "窗口" in err.value.zh
    assert printer.jobs[register.get(s)["print_job"]].state == "canceled"
    assert register.get(s)["status"] == "print_failed"
