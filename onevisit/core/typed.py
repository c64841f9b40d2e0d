"""What a person types or a spreadsheet holds, reduced to the one spelling the code compares.

A Chinese input method in full-width mode types `１２３ＡＢＣ`, ideographic spaces `　` and
sometimes `×` for the X of an ID number; Excel and WPS pad cells with spaces and no-break
spaces. Every identifier that enters OneVisit (ID numbers, ticket numbers, 查询码, window numbers,
CSV cells) goes through `clean` at the place it enters, so validation and lookups see ASCII
digits and letters only. Source of the folding: Unicode NFKC (UAX #15), which maps the full-width
forms U+FF01–U+FF5E to ASCII and U+3000 to a space.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

#: Characters that pad a field and carry no meaning: whitespace (incl. U+3000 after NFKC it is a
#: plain space), NUL (card chips pad fixed fields with it), zero-width space, BOM.
PADDING = " \t\r\n\x00\u200b\ufeff\u3000\xa0"


def clean(raw: str | None) -> str:
    """NFKC-folded text with padding trimmed at both ends; "" for None."""
    if raw is None:
        return ""
    return unicodedata.normalize("NFKC", str(raw)).strip(PADDING).strip()


def squeezed(raw: str | None) -> str:
    """`clean`, then every space removed: identifiers people type in groups (110105 1949…)."""
    return "".join(clean(raw).split()).replace("\x00", "").replace("\u200b", "")


# -- dates and times as Chinese offices write them --------------------------------------------------

_DATE = r"(?P<y>[0-9]{4})\s*(?:[-/.]|年)\s*(?P<mo>[0-9]{1,2})\s*(?:[-/.]|月)\s*(?P<d>[0-9]{1,2})\s*日?"
_HALF = r"(?P<{name}>上午|下午|AM|PM)?"
_TIME = (
    _HALF.format(name="ap1")
    + r"\s*(?P<h>[0-9]{1,2})\s*(?:[:：]|时|点)\s*(?P<mi>[0-9]{1,2})\s*分?"
    + r"(?:\s*[:：]\s*(?P<s>[0-9]{1,2}(?:\.[0-9]+)?)\s*秒?|\s*(?P<s2>[0-9]{1,2})\s*秒)?"
    + r"\s*"
    + _HALF.format(name="ap2")
)
_DATETIME = re.compile(rf"^{_DATE}(?:\s*T?\s*|\s+){_TIME}$", re.ASCII | re.IGNORECASE)

#: The spellings `parse_datetime_text` accepts, for messages and docs.
DATETIME_SPELLINGS = (
    "2026-12-01T09:30",
    "2026-12-01 09:30",
    "2026/12/1 9:30",
    "2026.12.1 9:30",
    "2026年12月1日 9:30",
    "2026年12月1日9时30分",
    "2026/12/1 下午 2:30",
)


def parse_date_text(raw: str | None) -> dt.date:
    """A day as typed: 2026-11-23, 2026/11/23, 2026.11.23 or 2026年11月23日, full-width digits too.
    Raises ValueError when it is none of them or no real day (2026-13-01)."""
    match = re.fullmatch(_DATE, clean(raw), re.ASCII)
    if match is None:
        raise ValueError(f"not a date: {clean(raw)!r}")
    return dt.date(int(match["y"]), int(match["mo"]), int(match["d"]))


def parse_datetime_text(raw: str | None) -> dt.datetime:
    """A date and time of day as Excel, WPS or a person writes it (see DATETIME_SPELLINGS; any of
    them with full-width digits, seconds, or an ISO zone offset). Naive unless an offset is given.
    Raises ValueError (callers word the refusal for their field) when it is none of them or no
    real date and time."""
    text = clean(raw)
    match = _DATETIME.match(text)
    if match is None:
        try:
            return dt.datetime.fromisoformat(text)  # 2026-12-01T09:30+08:00, 20261201T0930
        except ValueError:
            raise ValueError(f"not a date and time: {text!r}") from None
    half = (match["ap1"] or match["ap2"] or "").upper()
    hour = int(match["h"])
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"{hour} o'clock with 上午/下午")
        hour = hour % 12 + (12 if half in ("下午", "PM") else 0)
    seconds = float(match["s"] or match["s2"] or 0)
    return dt.datetime(
        int(match["y"]), int(match["mo"]), int(match["d"]), hour, int(match["mi"]), int(seconds)
    )
