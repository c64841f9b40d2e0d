"""Rows from a spreadsheet file as Chinese offices save them, with the line each came from.

What Excel and WPS write on Chinese Windows, all accepted:
- "CSV UTF-8 (逗号分隔)": UTF-8 with a BOM; other tools: UTF-8 without one;
- "CSV (逗号分隔)": GB18030/GBK (the system code page, 936), no BOM;
- "Unicode 文本": UTF-16 little-endian with a BOM, tab-separated;
- line ends CR (old Mac exports), LF or CRLF; quoted cells may hold line breaks;
- "Excel 工作簿" (.xlsx): the first sheet, read with openpyxl; cells keep their type (a real
  datetime, a number such as an Excel date serial, text).
Trailing empty cells (Excel writes `…,2026-12-01T09:30,` when a column was once used) are dropped
from every row and from the header. Bad bytes raise SheetError naming the problem; nothing here
knows what the columns mean.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import zipfile
from dataclasses import dataclass
from typing import Any

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)

Cell = str | int | float | dt.datetime | dt.date | dt.time | None
#: Largest file accepted: a day's bookings of a city are far below it (5 000 rows ≈ 0.3 MB as CSV).
MAX_BYTES = 10 * 1024 * 1024
_XLSX_MAGIC = b"PK\x03\x04"


class SheetError(OneVisitError):
    """A file that is no spreadsheet we can read (encoding, format, size)."""

    status = 400


@dataclass(frozen=True)
class SheetRow:
    line: int  # 1-based: the CSV line where the row starts, or the worksheet's row number
    cells: tuple[Cell, ...]


def decode_text(data: bytes) -> str:
    """The text of a CSV or "Unicode 文本" file: by its BOM (UTF-8, UTF-16 LE/BE), else UTF-8 if
    it decodes, else GB18030 (a superset of GBK and GB2312). Raises SheetError (bad_encoding)."""
    boms = (("\ufeff".encode("utf-8"), "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
    for bom, codec in boms:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise _bad_encoding(codec) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _bad_encoding("UTF-8 / GB18030") from None


def _bad_encoding(tried: str) -> SheetError:
    return SheetError(
        "bad_encoding",
        "无法识别文件编码：请在 Excel/WPS 中另存为“CSV UTF-8”、“CSV (逗号分隔)”或“Excel 工作簿 (.xlsx)”",
        f"The file's encoding is unreadable (tried {tried}); save it as CSV UTF-8, CSV or .xlsx",
        tried=tried,
    )


def read_rows(data: bytes, filename: str | None = None) -> list[SheetRow]:
    """Every row of a CSV/tab-separated text or the first sheet of an .xlsx (told by its bytes,
    not its name), trailing empty cells dropped, wholly empty rows left out. Raises SheetError."""
    if len(data) > MAX_BYTES:
        raise SheetError(
            "file_too_large",
            f"文件过大（上限 {MAX_BYTES // (1024 * 1024)} MB）",
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB",
        )
    if not data.strip():
        raise SheetError("empty_file", "文件是空的", "The file is empty")
    if data.startswith(_XLSX_MAGIC):
        return _xlsx_rows(data)
    if filename and filename.lower().endswith((".xls", ".et")):
        raise _old_workbook()
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: an .xls (Excel 97–2003) or .et workbook
        raise _old_workbook()
    return text_rows(decode_text(data))


def text_rows(text: str) -> list[SheetRow]:
    """Rows of CSV text; tab-separated when the first line has a tab and no comma ("Unicode 文本")."""
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = "\t" if "\t" in first and "," not in first else ","
    # newline="": the csv module itself tells CR, LF and CRLF apart, also inside quoted cells.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[SheetRow] = []
    start = 1
    try:
        for fields in reader:
            cells = _trimmed(fields)
            if cells:
                rows.append(SheetRow(start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SheetError(
            "bad_csv",
            f"第{reader.line_num}行不是有效的 CSV（{exc}）",
            f"Line {reader.line_num} is not valid CSV ({exc})",
            line=reader.line_num,
        ) from None
    return rows


def _trimmed(values: Any) -> tuple[Cell, ...]:
    cells = list(values)
    while cells and (cells[-1] is None or (isinstance(cells[-1], str) and not cells[-1].strip())):
        cells.pop()
    return tuple(cells)


def _xlsx_rows(data: bytes) -> list[SheetRow]:
    import openpyxl  # only an .xlsx upload pays for the import

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        log.info("unreadable workbook: %s", type(exc).__name__)
        raise SheetError(
            "bad_xlsx",
            "无法读取该 Excel 文件，请确认是 .xlsx 工作簿",
            "The Excel file cannot be read; it must be an .xlsx workbook",
        ) from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = _trimmed(values)
            if cells:
                rows.append(SheetRow(number, cells))
        return rows
    finally:
        book.close()


def _old_workbook() -> SheetError:
    return SheetError(
        "old_workbook",
        "不支持旧版 .xls/.et 工作簿，请另存为“Excel 工作簿 (.xlsx)”或 CSV",
        "Old .xls/.et workbooks are not read; save as an .xlsx workbook or CSV",
    )


def excel_serial_datetime(value: float) -> dt.datetime:
    """An Excel date serial (days since 1899-12-30 in the 1900 system, fraction = time of day) as a
    naive datetime, to the minute. Raises ValueError outside years 1900–9999."""
    from openpyxl.utils.datetime import from_excel

    if not 1 <= value < 2958466:  # 1900-01-01 .. 9999-12-31
        raise ValueError(f"{value} is no Excel date")
    when = from_excel(value)
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time())
    return (when + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)
