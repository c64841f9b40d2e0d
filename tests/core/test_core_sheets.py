"""Spreadsheet files as Excel and WPS save them on Chinese Windows: every encoding, line end and
trailing empty cell; .xlsx by its bytes."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onevisit.core.sheets import SheetError, decode_text, excel_serial_datetime, read_rows

ROWS = [["身份证号", "业务", "预约时间"], ["11010519491231002X", "养老;医保", "2026/12/1 9:30"]]


def _csv(rows, sep=",", end="\r\n"):
    return end.join(sep.join(r) for r in rows) + end


@given(
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]),
    st.sampled_from(["\r", "\n", "\r\n"]),
    st.integers(0, 3),
)
def test_any_encoding_and_line_end_gives_the_same_rows(encoding, end, trailing):
    """Excel's "CSV UTF-8" (BOM), plain UTF-8, "CSV (逗号分隔)" (GB18030/GBK), "Unicode 文本"
    (UTF-16 with BOM, tab-separated); CR, LF, CRLF; empty cells Excel adds at the end of rows."""
    sep = "\t" if encoding == "utf-16" else ","
    rows = [r + [""] * trailing for r in ROWS]
    data = _csv(rows, sep, end).encode(encoding)
    got = read_rows(data)
    assert [r.cells for r in got] == [tuple(r) for r in ROWS]
    assert [r.line for r in got] == [1, 2]


def test_a_quoted_cell_spanning_lines_keeps_the_line_numbers_of_row_starts():
    data = b'a,b\r"x\ry",z\r\r,,\rp,q\r'
    assert [(r.line, r.cells) for r in read_rows(data)] == [
        (1, ("a", "b")),
        (2, ("x\ry", "z")),
        (6, ("p", "q")),
    ]


def test_bytes_of_no_known_encoding_are_refused_by_name():
    with pytest.raises(SheetError) as error:
        decode_text(b"\xff\xfe\x00\xd8")  # a UTF-16 BOM, then a lone surrogate
    assert error.value.code == "bad_encoding" and "CSV UTF-8" in error.value.zh


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"  \r\n", "empty_file"),
        (b"\xd0\xcf\x11\xe0rest", "old_workbook"),
        (b"PK\x03\x04junk", "bad_xlsx"),
    ],
)
def test_files_that_are_no_sheet_say_what_they_are(data, code):
    with pytest.raises(SheetError) as error:
        read_rows(data)
    assert error.value.code == code


def test_an_xlsx_keeps_cell_types_and_row_numbers():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id_number", "matters", "slot", None])
    sheet.append([])  # an empty row 2: skipped, and row 3 stays row 3
    sheet.append(["11010519491231002X", "benefit", dt.datetime(2026, 12, 1, 9, 30)])
    sheet.append(["330106197503142310", "enroll", 46357.395833333336])
    out = io.BytesIO()
    book.save(out)
    rows = read_rows(out.getvalue(), "list.xlsx")
    assert [r.line for r in rows] == [1, 3, 4]
    assert rows[0].cells == ("id_number", "matters", "slot")
    assert rows[1].cells[2] == dt.datetime(2026, 12, 1, 9, 30)
    assert excel_serial_datetime(rows[2].cells[2]) == dt.datetime(2026, 12, 1, 9, 30)
