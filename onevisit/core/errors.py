"""The error every part of OneVisit raises for bad input or a refused action.

A citizen or a member of staff sees the message, so it is bilingual; programs match on the stable
`code`.
"""

from __future__ import annotations


class OneVisitError(Exception):
    """A refused request: stable machine code plus a Chinese and an English message."""

    #: HTTP status the hall server answers with; subclasses narrow it.
    status = 400

    def __init__(self, code: str, zh: str, en: str, **details: object) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.details = details

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message_zh": self.zh, "message_en": self.en}
        if self.details:
            out["details"] = self.details
        return out

    def __str__(self) -> str:
        return f"{self.zh} / {self.en} [{self.code}]"
