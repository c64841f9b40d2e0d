"""The kiosk's records and certificate screens when the records service (type "http") is down,
hung or answering garbage: the "go to a window" message in the citizen's language and a ticket button, never a
traceback and never invented data."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

import pytest

from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.sim.records.demo_backend import demo_id
from tests.faulty_records import GarbageServer, SilentServer, closed_port_url
from tests.kiosk.conftest import pump, tap, texts, wait_until

ZH = "社保业务系统暂时无法连接，请稍后再试或到窗口办理"
EN = "The social-insurance system cannot be reached; try again later or go to a window"


@contextlib.contextmanager
def failing_service(fault: str):
    if fault == "down":
        yield closed_port_url()
    elif fault == "hung":
        with SilentServer() as silent:
            yield silent.url
    else:
        with GarbageServer(200, b"<html>system upgrade</html>", "text/html") as garbage:
            yield garbage.url


@pytest.fixture
def http_records(kiosk):
    """Puts an HTTP records backend on the kiosk for one test and takes it away afterwards."""
    before = kiosk.devices.records
    backends = []

    def plug(url: str) -> HttpRecordsBackend:
        backend = HttpRecordsBackend(url, timeout=0.5)
        backends.append(backend)
        kiosk.devices.records = backend
        return backend

    yield plug
    wait_until(lambda: kiosk.busy == 0)
    kiosk.devices.records = before
    for backend in backends:
        backend.close()


@pytest.mark.parametrize("fault", ["down", "hung", "garbage"])
def test_records_service_failing_sends_the_citizen_to_a_window(kiosk, http_records, fault, caplog):
    with failing_service(fault) as url, caplog.at_level(logging.WARNING):
        http_records(url)
        kiosk.session.identified(demo_id("gap", dt.date.today()))
        kiosk.go("records")
        screen = kiosk.screen("records")
        wait_until(lambda: screen.error is not None)
        pump(2)
        shown = texts(screen)
        assert ZH in shown and EN not in shown and kiosk.t("unavailable.take_instead") in shown
        assert screen.data is None and "李秀英" not in shown

        kiosk.go("certificate")
        cert = kiosk.screen("certificate")
        pump(2)
        tap(next(w for w in cert.walk() if getattr(w, "text", "") == kiosk.t("cert.preview")))
        wait_until(lambda: cert.error is not None)
        pump(2)
        shown = texts(cert)
        assert ZH in shown and EN not in shown and kiosk.t("cert.to_window") in shown
        assert cert.issued is None
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "420106198509021428" not in caplog.text
