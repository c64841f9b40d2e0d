"""The demo backend answers like the business system, and fails like one."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest

from onevisit.core.identity import parse_id
from onevisit.records.backend import (
    BackendUnavailable,
    CertificationResult,
    PersonNotFound,
    RecordIncomplete,
)
from onevisit.sim.records.demo_backend import DemoBackend, NotAPensioner, demo_id, seed_demo
from onevisit.sim.records.idgen import make_id

TODAY = dt.date(2026, 11, 23)


def test_find_person_and_enrollments(backend):
    person = backend.find_person(demo_id("long_history", TODAY))
    assert person.name == "张建国" and person.gender == "男"
    assert person.id_masked == "330106********2310"
    enrollments = backend.enrollments(person.id_number)
    assert [e.insurance for e in enrollments][:2] == ["pension_employee", "medical_employee"]
    pension = enrollments[0]
    assert pension.status == "参保缴费"
    assert pension.first_enrolled == dt.date(1997, 7, 1)
    assert pension.employer == "浙江华东建设集团有限公司"
    assert pension.paid_months == 352  # 1997-07 .. 2026-10 without a break


def test_contributions_rise_by_year_and_respect_bounds(backend):
    rows = backend.contributions(demo_id("long_history", TODAY), "2020-01", "2025-12")
    assert rows[0].month == "2020-01" and rows[-1].month == "2025-12"
    pension = {r.month: r for r in rows if r.insurance == "pension_employee"}
    bases = [pension[f"{y}-06"].base for y in range(2020, 2026)]
    assert bases == sorted(bases) and len(set(bases)) == len(bases)
    june = pension["2024-06"]
    assert june.personal_amount == (june.base * Decimal("0.08")).quantize(Decimal("0.01"))
    assert june.employer_amount == (june.base * Decimal("0.16")).quantize(Decimal("0.01"))


def test_gap_months_are_missing_and_arrears_unpaid(backend):
    who = demo_id("gap", TODAY)
    months = {r.month for r in backend.contributions(who, "2020-06", "2022-06")}
    assert "2020-12" in months and "2021-10" in months
    assert not any("2021-01" <= m <= "2021-09" for m in months)
    unpaid = [r for r in backend.contributions(who) if not r.paid]
    assert unpaid and {r.month for r in unpaid} == {"2026-01"}


def test_pension_status_due_and_not_due(backend):
    due = backend.pension_status(demo_id("pensioner_due", TODAY))
    assert due.is_pensioner and due.due(TODAY)
    done = backend.pension_status(demo_id("pensioner_certified", TODAY))
    assert done.is_pensioner and not done.due(TODAY)
    worker = backend.pension_status(demo_id("long_history", TODAY))
    assert not worker.is_pensioner and not worker.due(TODAY)


def test_unknown_person(backend):
    stranger = make_id("370102", dt.date(1990, 1, 1), 123, female=False)
    for call in (backend.find_person, backend.enrollments, backend.contributions, backend.pension_status):
        with pytest.raises(PersonNotFound) as info:
            call(stranger)
        assert info.value.zh and info.value.en and info.value.status == 404


def test_incomplete_record(backend):
    who = demo_id("incomplete", TODAY)
    assert backend.find_person(who).name == "赵小军"
    with pytest.raises(RecordIncomplete):
        backend.enrollments(who)
    with pytest.raises(RecordIncomplete) as info:
        backend.reference_photo(who)
    assert info.value.details["what"] == "reference photo"


def test_reference_photo_from_shared_faces(tmp_path, shared_faces):
    db = tmp_path / "records.db"
    result = seed_demo(db, TODAY, faces_dir=shared_faces)
    assert result["photos"] == 3
    photo = DemoBackend(db).reference_photo(demo_id("pensioner_due", TODAY))
    assert photo[:2] == b"\xff\xd8"  # a JPEG


def test_record_certification_pass_extends_and_attempts_are_kept(backend):
    who = demo_id("pensioner_due", TODAY)
    at = dt.datetime(2026, 11, 23, 9, 30)
    failed = backend.record_certification(
        who, CertificationResult(False, "face_kiosk", at, "kiosk-1", ["face mismatch"], 0.62)
    )
    assert failed.due(TODAY)
    passed = backend.record_certification(
        who, CertificationResult(True, "face_kiosk", at, "kiosk-1", [], 0.31)
    )
    assert passed.certified_until == dt.date(2027, 11, 23)  # + certification_months (12)
    assert not passed.due(TODAY)
    assert backend.pension_status(who) == passed
    attempts = backend.certification_attempts(who)
    assert [a["passed"] for a in attempts] == [False, True]
    assert attempts[0]["reasons"] == ["face mismatch"] and attempts[1]["distance"] == pytest.approx(0.31)


def test_certification_of_a_non_pensioner_is_refused(backend):
    who = demo_id("long_history", TODAY)
    with pytest.raises(NotAPensioner):
        backend.record_certification(who, CertificationResult(True, "window", dt.datetime(2026, 11, 23, 10)))
    assert backend.certification_attempts(who) == []


def test_missing_database_is_unavailable_not_created(tmp_path):
    path = tmp_path / "nothing.db"
    backend = DemoBackend(path)
    with pytest.raises(BackendUnavailable) as info:
        backend.find_person(demo_id("gap", TODAY))
    assert info.value.status == 503
    assert not path.exists()


def test_corrupt_database_is_unavailable(tmp_path):
    path = tmp_path / "records.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackendUnavailable):
        DemoBackend(path).find_person(demo_id("gap", TODAY))


def test_locked_database_times_out_as_unavailable(backend):
    locked = DemoBackend(backend.path, timeout=0.2)
    holder = locked.hold_lock()
    try:
        with pytest.raises(BackendUnavailable):
            locked.find_person(demo_id("gap", TODAY))
    finally:
        holder.rollback()
        holder.close()
    assert locked.find_person(demo_id("gap", TODAY)).name == "李秀英"


def test_full_ids_stay_out_of_logs(backend, caplog):
    who = demo_id("pensioner_due", TODAY)
    caplog.set_level("DEBUG")
    backend.record_certification(who, CertificationResult(True, "face_kiosk", dt.datetime(2026, 11, 23, 9)))
    with pytest.raises(BackendUnavailable):
        DemoBackend(backend.path.with_name("gone.db")).find_person(who)
    assert who.value not in caplog.text
    assert who.masked in caplog.text


def test_seed_adds_reproducible_random_people(tmp_path):
    a = seed_demo(tmp_path / "a.db", TODAY, people=12, seed=3)
    b = seed_demo(tmp_path / "b.db", TODAY, people=12, seed=3)
    assert a["people"] == b["people"] == 21
    ids = [
        sorted(r[0] for r in sqlite3.connect(tmp_path / name).execute("SELECT id_number FROM people"))
        for name in ("a.db", "b.db")
    ]
    assert ids[0] == ids[1]
    for value in ids[0]:
        parse_id(value)
