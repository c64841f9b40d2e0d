"""Free text typed by staff (transfer reasons and notes), made safe to show on every screen.

The hall's pages, LED boards and kiosk draw with the machine's CJK font (fonts-wqy-microhei, see
core/fonts.py), which has no emoji: a 😀 in a note would show as an empty box (豆腐块) on the receiving
window's console and the citizen's phone. So emoji and the invisible characters that glue them
(zero-width joiner, variation selectors, skin-tone modifiers, tag characters) are removed when the
text is accepted, and the rest is kept as typed. Chinese punctuation and ①②③-style numbers stay.
"""

from __future__ import annotations

import re

# Unicode emoji blocks (Unicode 15 emoji-data: Extended_Pictographic lies in these ranges) plus the
# joiners and modifiers that only make sense next to an emoji.
_EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"  # mahjong … symbols and pictographs extended-A (😀 👍 🎉 🧾)
    "\U0001fc00-\U0001ffff"
    "\u2600-\u27bf"  # misc symbols and dingbats (☀ ✅ ❤)
    "\u2b00-\u2bff"  # arrows and stars used as emoji (⭐ ⬆)
    "\u200d"  # zero-width joiner
    "\ufe0e\ufe0f"  # variation selectors (text / emoji presentation)
    "\u20e3"  # combining keycap
    "\U000e0020-\U000e007f"  # tag characters (flag sequences)
    "]"
)
_SPACES = re.compile(r"[ \t]{2,}")


def without_emoji(text: str) -> str:
    """`text` with emoji removed and the double spaces they leave collapsed; lines are kept.

    >>> without_emoji("请核对2019年欠费 👍🏻 谢谢😀")
    '请核对2019年欠费 谢谢'
    """
    cleaned = _EMOJI.sub("", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in cleaned.splitlines()).strip()
