"""The certificates register on both engines: daily serials reserved under the register's write
lock (never the same twice, even from threads at once), the issue recorded with masked fields only,
print states, and a serial or code typed by hand."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from onevisit.db import open_database
from onevisit.records.payload import Claims
from onevisit.records.register import CertificateRegister
from tests.conftest import TZ, both_engines

pytestmark = both_engines

WHEN = dt.datetime(2026, 11, 23, 9, 30, tzinfo=TZ)


@pytest.fixture
def register(db_target, config):
    db = open_database(db_target, hall_code=config.hall.code, kind="register")
    yield CertificateRegister(db)
    db.dispose()


def _claims(serial: str) -> Claims:
    return Claims(
        serial, "510107********3156", "刘建国", "2020-01", "2026-10", "ab" * 32, "2026-11-23T09:30", "k1"
    )


def test_serials_count_per_day_and_are_reserved_at_once(register):
    first = register.reserve_serial("SFQ", WHEN)
    second = register.reserve_serial("SFQ", WHEN + dt.timedelta(minutes=1))
    tomorrow = register.reserve_serial("SFQ", WHEN + dt.timedelta(days=1))
    assert (first, second, tomorrow) == ("SFQ202611230001", "SFQ202611230002", "SFQ202611240001")
    assert register.get(first)["status"] == "reserved"
    assert register.check_code(first, "ABCD-EFGH") is None  # reserved, nothing printed yet


def test_kiosks_reserving_together_never_share_a_serial(register):
    got: list[str] = []
    lock = threading.Lock()

    def reserve() -> None:
        for _ in range(5):
            serial = register.reserve_serial("SFQ", WHEN)
            with lock:
                got.append(serial)

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [f"SFQ20261123{n:04d}" for n in range(1, 21)]


def test_an_issue_keeps_masks_and_a_code_typed_by_hand_matches(register):
    serial = register.reserve_serial("SFQ", WHEN)
    register.record_issue(_claims(serial), "ABCD-EFGH", pages=2)
    row = register.get(" " + serial.lower() + " ")
    assert row["status"] == "issued" and row["pages"] == 2
    assert row["id_masked"] == "510107********3156" and row["name_masked"] != "刘建国"
    assert register.check_code(serial, "abcd efgh")["serial"] == serial
    assert register.check_code(serial, "ABCD-EFGX") is None
    assert register.get("SFQ209901010001") is None


def test_print_states_and_the_printer_job_are_kept_for_a_retry(register):
    serial = register.reserve_serial("SFQ", WHEN)
    register.record_issue(_claims(serial), "ABCD-EFGH", pages=1)
    register.set_print_job(serial, "doc-17", "printing")
    assert (register.get(serial)["print_job"], register.get(serial)["status"]) == ("doc-17", "printing")
    register.set_status(serial, "print_failed")
    assert register.get(serial)["status"] == "print_failed"
