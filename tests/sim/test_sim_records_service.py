"""The demo records as an HTTP service (`onevisit records serve`, onevisit/sim/records/service.py)
and the HTTP backend in front of it give the same answers as the demo backend itself."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from onevisit.hall.server import ServerThread
from onevisit.records.backend import (
    BackendUnavailable,
    CardNotIssued,
    CertificationResult,
    NotAPensioner,
    NotResident,
    PaymentRefused,
    PersonNotFound,
    RecordIncomplete,
)
from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.sim.records.demo_backend import DemoBackend, demo_id, seed_demo
from onevisit.sim.records.demo_people import demo_citizens
from onevisit.sim.records.idgen import REGIONS, make_id
from onevisit.sim.records.service import create_records_app
from tests.conftest import REPO, SHARED_FACES

TODAY = dt.date(2026, 11, 23)
KEYS = [c.demo_key for c in demo_citizens(TODAY)]
SERVE = [sys.executable, "-m", "onevisit.commands.main", "records", "serve"]
AT = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("records-service")
    faces = SHARED_FACES if SHARED_FACES.is_dir() else None
    seed_demo(folder / "records.db", TODAY, people=3, seed=5, faces_dir=faces)
    return folder / "records.db"


def _copy(template: Path, folder: Path) -> DemoBackend:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "records.db")
    return DemoBackend(folder / "records.db", certification_months=12)


@pytest.fixture
def pair(template, tmp_path):
    """(the demo backend, the HTTP backend) over two copies of one seeded database."""
    direct = _copy(template, tmp_path / "direct")
    served = _copy(template, tmp_path / "served")
    with ServerThread(create_records_app(served)) as server, HttpRecordsBackend(server.url) as http:
        http.served = served
        yield direct, http


def _answer(call):
    """A call's result, or its error as (class, code, English message) to compare."""
    try:
        return call()
    except Exception as exc:  # compared, not hidden: the test asserts equality below
        return (type(exc).__name__, getattr(exc, "code", None), getattr(exc, "en", str(exc)))


@pytest.mark.parametrize("key", KEYS)
def test_same_answers_as_the_demo_backend(pair, key):
    direct, http = pair
    who = demo_id(key, TODAY)
    for name, call in {
        "person": lambda b: b.find_person(who),
        "enrollments": lambda b: b.enrollments(who),
        "contributions": lambda b: b.contributions(who),
        "last year": lambda b: b.contributions(who, since="2025-11", until="2026-10"),
        "pension": lambda b: b.pension_status(who),
        "photo": lambda b: b.reference_photo(who),
        "card": lambda b: b.card_status(who),
        "resident pension": lambda b: b.resident_pension_year(who, TODAY.year),
    }.items():
        assert _answer(lambda c=call: c(http)) == _answer(lambda c=call: c(direct)), name


def test_the_errors_of_the_contract(pair):
    _direct, http = pair
    nobody = make_id(next(iter(REGIONS)), dt.date(1980, 1, 1), 999, female=False)
    with pytest.raises(PersonNotFound):
        http.find_person(nobody)
    incomplete = demo_id("incomplete", TODAY)
    with pytest.raises(RecordIncomplete) as info:
        http.reference_photo(incomplete)
    assert info.value.details["what"] == "reference photo"
    with pytest.raises(NotAPensioner):
        http.record_certification(demo_id("long_history", TODAY), CertificationResult(True, "face_kiosk", AT))
    with pytest.raises(ValueError):
        http.contributions(incomplete, since="2025-13")


def test_recording_a_certification_over_http_is_the_same_as_in_process(pair):
    direct, http = pair
    who = demo_id("pensioner_due", TODAY)
    failed = CertificationResult(False, "face_kiosk", AT, kiosk="k1", reasons=["attempt 1: no face"])
    passed = CertificationResult(True, "face_kiosk", AT, kiosk="k1", reasons=["live"], distance=0.41)
    for result in (failed, passed):
        assert http.record_certification(who, result) == direct.record_certification(who, result)
    status = http.pension_status(who)
    assert status.certified_until == dt.date(2027, 11, 23) and not status.due(TODAY)
    assert http.served.certification_attempts(who) == direct.certification_attempts(who)


def test_card_loss_over_http_is_the_same_as_in_process_and_idempotent(pair):
    direct, http = pair
    who = demo_id("long_history", TODAY)
    first = http.report_card_loss(who, AT, "kiosk-1")
    assert first == direct.report_card_loss(who, AT, "kiosk-1")
    assert first.state == "lost" and first.lost_at == AT
    later = AT + dt.timedelta(minutes=3)
    assert http.report_card_loss(who, later, "kiosk-2") == first  # the first report stands
    assert http.card_status(who) == first
    assert [e["what"] for e in http.served.card_events(who)] == ["loss_reported"]
    back = http.cancel_card_loss(who, later, "window 3")
    assert back.state == "active" and back.lost_at is None
    assert http.cancel_card_loss(who, later, "window 3") == back
    assert [e["what"] for e in http.served.card_events(who)] == ["loss_reported", "loss_cancelled"]
    with pytest.raises(CardNotIssued):
        http.report_card_loss(demo_id("new_worker", TODAY), AT, "kiosk-1")
    with pytest.raises(ValueError):
        http.report_card_loss(who, AT.replace(tzinfo=None), "kiosk-1")  # refused before it is sent


def test_payment_orders_over_http_are_the_same_as_in_process(pair):
    direct, http = pair
    who = demo_id("resident_pension", TODAY)
    made = http.create_payment_order(who, TODAY.year, Decimal("600"), "RP-http-0001", AT)
    assert made == direct.create_payment_order(who, TODAY.year, Decimal("600"), "RP-http-0001", AT)
    assert http.payment_order("RP-http-0001") == made
    paid = http.settle_payment_order("RP-http-0001", AT, "txn-9")
    assert paid == direct.settle_payment_order("RP-http-0001", AT, "txn-9") and paid.state == "paid"
    assert http.settle_payment_order("RP-http-0001", AT + dt.timedelta(hours=1), "txn-9") == paid
    for call, code in (
        (
            lambda: http.create_payment_order(who, TODAY.year, Decimal("600"), "RP-http-0002", AT),
            "already_paid",
        ),
        (lambda: http.payment_order("RP-http-none"), "order_not_found"),
    ):
        with pytest.raises(PaymentRefused) as info:
            call()
        assert info.value.code == code
    with pytest.raises(NotResident):
        http.resident_pension_year(demo_id("gap", TODAY), TODAY.year)


def test_a_token_is_required_when_configured(template, tmp_path):
    served = _copy(template, tmp_path)
    who = demo_id("gap", TODAY)
    with ServerThread(create_records_app(served, token="right-token-123")) as server:
        with (
            HttpRecordsBackend(server.url, token="wrong-token-123") as wrong,
            pytest.raises(BackendUnavailable),
        ):
            wrong.find_person(who)
        with HttpRecordsBackend(server.url, token="right-token-123") as right:
            assert right.find_person(who).name == "李秀英"


def test_a_database_taken_away_answers_503_and_the_client_says_unavailable(template, tmp_path):
    served = _copy(template, tmp_path)
    with ServerThread(create_records_app(served)) as server, HttpRecordsBackend(server.url) as http:
        served.path.unlink()
        with pytest.raises(BackendUnavailable) as info:
            http.find_person(demo_id("gap", TODAY))
        assert "503" in info.value.details["why"]


def test_records_serve_command(template, tmp_path):
    """`onevisit records serve --port 0` as the demo starts it: prints its URL, answers, logs no
    full ID number, and stops cleanly on SIGTERM."""
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    (tmp_path / "var").mkdir()
    shutil.copy(template, tmp_path / "var" / "records.db")
    proc = subprocess.Popen(
        [*SERVE, "--config", str(tmp_path / "config.toml"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    who = demo_id("pensioner_certified", TODAY)
    try:
        line = proc.stdout.readline()
        assert line.startswith("records service: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        with HttpRecordsBackend(url) as http:
            assert http.health()["status"] == "ok"
            assert http.find_person(who).name == "刘德明"
            assert http.record_certification(who, CertificationResult(True, "face_kiosk", AT)).is_pensioner
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    logs = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "var").rglob("*.log*"))
    assert who.masked in logs and who.value not in logs + rest
