"""Priority classes in words: the one mapping from the codes the queue stores (``age70``,
``disability``, ``veteran``, ``pregnant``) to what staff and citizens read.

The codes come from ``QueueService._priority``: ``age{N}`` for an ID number showing the citizen is at
least ``priority.age_at_least`` years old (config), or one of ``priority.declared`` as declared at the
kiosk. Labels follow the wording of halls' 优先窗口 notices (年满70周岁、残疾人、军人/退役军人、孕妇).
"""

from __future__ import annotations

import re

_DECLARED: dict[str, tuple[str, str]] = {
    "disability": ("残疾人", "Person with disability"),
    "veteran": ("军人/退役军人", "Military / veteran"),
    "pregnant": ("孕妇", "Pregnant"),
}
_AGE = re.compile(r"^age(\d{2,3})$")


def priority_label(code: str | None) -> tuple[str, str] | None:
    """(Chinese, English) words for a priority code; None for no code. An unknown code is shown as
    itself in both languages rather than hidden, so a new class never silently loses its priority."""
    if not code:
        return None
    if code in _DECLARED:
        return _DECLARED[code]
    age = _AGE.match(code)
    if age:
        return f"年满{age.group(1)}周岁", f"Aged {age.group(1)} or over"
    return code, code
