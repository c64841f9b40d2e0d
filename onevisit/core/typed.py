"""What a person types or a spreadsheet holds, reduced to the one spelling the code compares.

A Chinese input method in full-width mode types `１２３ＡＢＣ`, ideographic spaces `　` and
sometimes `×` for the X of an ID number; Excel and WPS pad cells with spaces and no-break
spaces. Every identifier that enters OneVisit (ID numbers, ticket numbers, 查询码, window numbers,
CSV cells) goes through `clean` at the place it enters, so validation and lookups see ASCII
digits and letters only. Source of the folding: Unicode NFKC (UAX #15), which maps the full-width
forms U+FF01–U+FF5E to ASCII and U+3000 to a space.
"""

from __future__ import annotations

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
