"""The HTTP records backend when the records service is down, hung or answering garbage: always
BackendUnavailable with its bilingual "go to a window" message, and no full ID number in a log."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from onevisit.records.backend import BackendUnavailable, CertificationResult
from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.sim.records.demo_backend import demo_id
from tests.faulty_records import GarbageServer, SilentServer, closed_port_url

WHO = demo_id("pensioner_due", dt.date(2026, 11, 23))
ZH = "社保业务系统暂时无法连接，请稍后再试或到窗口办理"
EN = "The social-insurance system cannot be reached; try again later or go to a window"

CALLS = {
    "find_person": lambda b: b.find_person(WHO),
    "enrollments": lambda b: b.enrollments(WHO),
    "contributions": lambda b: b.contributions(WHO, since="2025-01"),
    "pension_status": lambda b: b.pension_status(WHO),
    "reference_photo": lambda b: b.reference_photo(WHO),
    "record_certification": lambda b: b.record_certification(
        WHO, CertificationResult(True, "face_kiosk", dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC))
    ),
}


def assert_unavailable(call, backend, caplog) -> BackendUnavailable:
    with caplog.at_level(logging.DEBUG), pytest.raises(BackendUnavailable) as info:
        call(backend)
    assert (info.value.code, info.value.zh, info.value.en) == ("records_unavailable", ZH, EN)
    assert WHO.value not in caplog.text and WHO.value not in str(info.value.details)
    return info.value


@pytest.mark.parametrize("call", CALLS)
def test_nobody_listening(call, caplog):
    with HttpRecordsBackend(closed_port_url(), timeout=2) as backend:
        error = assert_unavailable(CALLS[call], backend, caplog)
    assert "cannot reach" in error.details["why"]


def test_a_service_that_accepts_and_never_answers_times_out(caplog):
    with SilentServer() as silent, HttpRecordsBackend(silent.url, timeout=0.3) as backend:
        error = assert_unavailable(CALLS["find_person"], backend, caplog)
        assert silent.accepted.is_set()
    assert "no answer within 0.3 s" in error.details["why"]


def _error(status: int, code: str) -> bytes:
    return json.dumps({"error": {"code": code, "message_zh": "错", "message_en": "bad"}}).encode()


GARBAGE = {
    "html_200": (200, b"<html>maintenance</html>", "text/html"),
    "empty_200": (200, b"", "application/json"),
    "json_list": (200, b"[1, 2, 3]", "application/json"),
    "money_as_number": (
        200,
        json.dumps(
            {
                "contributions": [
                    {
                        "month": "2025-01",
                        "insurance": "pension_employee",
                        "base": 4519.2,
                        "employer_amount": "723.07",
                        "personal_amount": "361.54",
                        "paid": True,
                    }
                ],
                "enrollments": "none",
                "is_pensioner": "yes",
                "name": "某",
                "gender": "?",
                "phone_tail": "1",
            }
        ).encode(),
        "application/json",
    ),
    "server_error": (500, _error(500, "internal_error"), "application/json"),
    "bad_gateway_html": (502, b"<h1>502 Bad Gateway</h1>", "text/html"),
    "wrong_base_url_404": (404, b"Not Found", "text/plain"),
    "unknown_404_code": (404, _error(404, "not_found"), "application/json"),
    "unauthorized": (401, _error(401, "unauthorized"), "application/json"),
    "redirect": (302, b"", "text/plain"),
}


@pytest.mark.parametrize("answer", GARBAGE)
def test_garbage_is_an_outage_never_data(answer, caplog):
    with GarbageServer(*GARBAGE[answer]) as server, HttpRecordsBackend(server.url, timeout=2) as backend:
        for call in ("find_person", "enrollments", "contributions", "pension_status", "reference_photo"):
            assert_unavailable(CALLS[call], backend, caplog)
        # The full number went in the body of a POST, never in the path.
        assert len(server.requests) == 5 and all(WHO.value not in path for path, _ in server.requests)
        assert all(json.loads(body)["id_number"] == WHO.value for _, body in server.requests)


def test_health_of_a_dead_service(caplog):
    with HttpRecordsBackend(closed_port_url(), timeout=2) as backend:
        assert_unavailable(lambda b: b.health(), backend, caplog)
