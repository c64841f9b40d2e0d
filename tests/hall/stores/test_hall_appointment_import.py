"""The booking list as Chinese offices save it (issue "Inputs from the hall floor", kind 4): every
encoding, line end and date spelling Excel and WPS write, .xlsx directly; a bad row named by line
and field, and then nothing imported."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onevisit.db import open_database
from onevisit.hall.stores.appointments import AppointmentStore, ImportRefused
from tests.conftest import both_engines

LIU = "510107195808083156"
ZHANG = "330106197503142310"
ELDER_FULL_WIDTH = "１１０１０５１９４９１２３１００２X"  # the reported number: 17 full-width digits, ASCII X
ELDER = "11010519491231002X"


pytestmark = both_engines


@pytest.fixture
def store(config, clock, db_target):
    db = open_database(db_target, hall_code=config.hall.code)
    yield AppointmentStore(db, config, clock, b"k" * 32)
    db.dispose()


def _listing(store):
    return [(a.person_masked, a.slot, a.matters) for a in store.day("2026-11-24") if a.state == "booked"]


EXPECTED = [
    ("510107********3156", "2026-11-24T09:30+08:00", ("benefit",)),
    ("330106********2310", "2026-11-24T14:00+08:00", ("enroll", "card")),
    ("110105********002X", "2026-11-24T10:05+08:00", ("medical",)),
]


def _text(header, end, trailing, order=(0, 1, 2)):
    rows = [
        header,
        [LIU, "benefit", "2026/11/24 9:30"],  # Excel's display format on Chinese Windows
        [ZHANG, "enroll;card", "2026年11月24日 14:00"],
        [ELDER_FULL_WIDTH, "medical", "２０２６－１１－２４　１０：０５"],
    ]
    return end.join(",".join([r[i] for i in order] + [""] * trailing) for r in rows) + end


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk"]),
    end=st.sampled_from(["\r", "\n", "\r\n"]),
    trailing=st.integers(0, 2),
    header=st.sampled_from(
        [
            ["id_number", "matters", "slot"],
            ["身份证号", "业务", "预约时间"],
            ["ID_Number ", "Matters", "SLOT"],
        ]
    ),
    order=st.permutations([0, 1, 2]),
)
def test_a_list_imports_whatever_excel_saved_it_as(store, encoding, end, trailing, header, order):
    """Any encoding Excel/WPS saves CSV in, any line end, empty trailing cells and header columns,
    English or Chinese header names in any order, Excel's and Chinese date spellings, a full-width ID."""
    text = _text(header, end, trailing, tuple(order))
    for appt in store.day("2026-11-24"):  # hypothesis reuses the store: each example starts afresh
        if appt.state == "booked":
            store.cancel(appt.id, "test")
    booked = store.import_file(text.encode(encoding), "test")
    assert len(booked) == 3
    assert _listing(store) == sorted(EXPECTED, key=lambda e: e[1])


def test_unicode_text_is_tab_separated_utf16(store):
    text = "id_number\tmatters\tslot\t\r\n" + f"{LIU}\tbenefit\t2026-11-24 09:30\t\r\n"
    assert len(store.import_file(text.encode("utf-16"), "test")) == 1


def test_an_xlsx_with_date_cells_serials_and_text_imports(store):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["身份证号", "业务", "预约时间", None, None])
    sheet.append([LIU, "benefit", dt.datetime(2026, 11, 24, 9, 30)])
    sheet.append([ZHANG, "enroll、card", 46350.58333333333])  # 2026-11-24 14:00 as a General number
    sheet.append([ELDER_FULL_WIDTH, "medical", "2026/11/24 10:05"])
    out = io.BytesIO()
    book.save(out)
    assert len(store.import_file(out.getvalue(), "test", filename="预约.xlsx")) == 3
    assert _listing(store) == sorted(EXPECTED, key=lambda e: e[1])


def test_bad_rows_are_named_by_line_and_field_and_nothing_is_imported(store):
    text = (
        "id_number,matters,slot,\r"
        f"{LIU},benefit,2026/11/24 9:30,\r"
        f"{ZHANG},enroll,2026/11/24,\r"  # line 3: no time of day
        f"{ELDER[:-1]}1,enroll,2026/11/24 10:00,\r"  # line 4: check digit
        f"{ELDER},astrology,2026/11/24 10:00,\r"  # line 5: no such matter
        f"{ELDER},enroll,2026/11/24 18:00,extra\r"  # line 6: a cell past the header
    )
    with pytest.raises(ImportRefused) as refused:
        store.import_file(text.encode("gb18030"), "test")
    problems = [(p["line"], p["field"], p["code"]) for p in refused.value.details["problems"]]
    assert problems == [
        (3, "slot", "bad_slot"),
        (4, "id_number", "id_check_digit"),
        (5, "matters", "unknown_matter"),
        (6, "row", "bad_csv_row"),
    ]
    slot_problem = refused.value.details["problems"][0]
    assert slot_problem["message_zh"].startswith("预约时间：") and slot_problem["message_en"].startswith(
        "slot: "
    )
    assert store.day("2026-11-24") == []


def test_a_title_line_above_the_header_is_passed_over(store):
    text = (
        "2026年11月预约名单,,\n导出时间：2026/11/23 8:00,,\nid_number,matters,slot\n"
        + f"{LIU},benefit,2026/11/24 9:30\n"
    )
    booked = store.import_file(text.encode("gb18030"), "test")
    assert [a.person_masked for a in booked] == ["510107********3156"]


def test_an_id_that_excel_turned_into_a_number_is_named_as_such(store):
    book = openpyxl.Workbook()
    book.active.append(["id_number", "matters", "slot"])
    book.active.append([110105194912310020, "benefit", "2026-11-24 09:30"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRefused) as refused:
        store.import_file(out.getvalue(), "test")
    assert refused.value.details["problems"][0]["code"] == "id_number_stored_as_number"


@pytest.mark.parametrize(
    ("header", "missing", "unknown"),
    [
        ("id_number,matters\n", ["slot"], []),
        ("id_number,matters,slot,姓名\n", [], ["姓名"]),
        ("\n\n", ["id_number", "matters", "slot"], []),
    ],
)
def test_a_header_that_names_the_wrong_columns_says_which(store, header, missing, unknown):
    with pytest.raises(ImportRefused) as refused:
        store.import_file(header.encode(), "test")
    error = refused.value
    assert error.code in ("bad_csv_header", "empty_file")
    if error.code == "bad_csv_header":
        assert error.details["missing"] == missing and error.details["unknown"] == unknown


@given(st.binary(max_size=300))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_bytes_are_imported_or_refused_never_a_crash(store, data):
    try:
        store.import_file(data, "test")
    except ImportRefused as exc:
        assert exc.status == 400 and exc.zh and exc.en


def test_matters_named_as_the_hall_names_them_are_booked_by_code(store):
    """A list with Chinese headers names matters in Chinese: the configured name (缴费/征缴), its first
    word (参保登记), the English name, or the code in any case; an unknown one lists the names."""
    text = (
        "身份证号,业务,预约时间\n"
        f"{LIU},待遇申领/核定,2026/11/24 9:30\n"
        f"{ZHANG},参保登记、社保卡,2026/11/24 14:00\n"
        f"{ELDER},Medical insurance claims and registration,2026/11/24 10:05\n"
    )
    store.import_file(text.encode("gbk"), "test")
    assert _listing(store) == sorted(EXPECTED, key=lambda e: e[1])
    with pytest.raises(ImportRefused) as refused:
        store.import_file(f"身份证号,业务,预约时间\n{LIU},养老,2026/11/25 9:30\n".encode("gbk"), "test")
    assert "可填：参保登记/变更、缴费/征缴" in refused.value.details["problems"][0]["message_zh"]
