"""Finding the CJK fonts for raster printing, PDFs, the kiosk and charts, and what they cannot draw.

One font rarely covers every name a hall meets: WenQuanYi Micro Hei has the 20 000 common
characters, but a citizen named 孙䶮 (U+4DAE, CJK Extension A) or with a character of Extension B
(U+20000…) gets a box (□, "tofu") from it. So there is a *chain*: the primary font, then fonts that
cover the extensions (Hanazono HanaMinA: the BMP with Extension A; HanaMinB: Extensions B–F;
Noto CJK; AR PL UMing), in that order. `missing_glyphs` says which characters no font in the chain
draws: an official document with such a character is refused rather than printed with a box.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)

# Single-face files first: Kivy (through SDL_ttf) opens only the first face of a .ttc.
_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

#: Fallbacks for the CJK extensions, in order (Debian packages: fonts-hanazono installed by
#: scripts/setup.sh; the others are used when a hall has them). Single-face .ttf files first, so
#: Kivy and fpdf2 can open them whole.
_FALLBACKS = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",  # BMP incl. Extension A (U+3400–4DBF)
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",  # Extensions B–F (U+20000–2FFFF)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontMissing(RuntimeError):
    pass


class GlyphsMissing(OneVisitError):
    """Text that no installed font can draw: an official document is refused, never printed with □."""

    status = 422

    def __init__(self, chars: list[str], what_zh: str = "证明", what_en: str = "document") -> None:
        codes = ", ".join(f"U+{ord(c):04X}" for c in chars)
        super().__init__(
            "glyph_missing",
            # The characters themselves are not repeated in Chinese: no font here could show them.
            f"姓名或内容中有本机字库无法显示的生僻字，不能自助打印{what_zh}，请取号到窗口办理",
            f"This kiosk's fonts cannot print some characters ({codes}); the {what_en} "
            "cannot be printed here, please take a number for a window",
            chars=[f"U+{ord(c):04X}" for c in chars],
        )


@cache
def cjk_font_path(configured: str | None = None) -> Path:
    """The primary font file; raises FontMissing with the fix when none is installed."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"configured font {configured} does not exist")
        return path
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    if shutil.which("fc-match"):
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out and Path(out).is_file():
            return Path(out)
    raise FontMissing("no Chinese font found: install fonts-wqy-microhei (scripts/setup.sh does)")


@cache
def font_chain(configured: str | None = None) -> tuple[Path, ...]:
    """Primary font first, then every installed fallback (no duplicates): the order a renderer
    tries fonts in for a character."""
    chain = [cjk_font_path(configured)]
    for candidate in _FALLBACKS:
        path = Path(candidate)
        if path.is_file() and path not in chain:
            chain.append(path)
    return tuple(chain)


@cache
def _cmap(path: Path) -> frozenset[int]:
    """Code points the font maps to a glyph (first face of a collection), read with fontTools."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _needs_glyph(ch: str) -> bool:
    # Spaces, controls and format characters (ZWJ) and variation selectors draw nothing by design.
    # Unassigned code points (Cn) do need a glyph: Python's Unicode tables may predate a new CJK
    # extension (Extension H, U+31350, is Unicode 15) that a citizen's name uses.
    if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
        return False
    return not ("\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef")


def covers(path: Path, ch: str) -> bool:
    return ord(ch) in _cmap(path)


def missing_glyphs(text: str, configured: str | None = None) -> list[str]:
    """Characters of `text` (each once, in order) that no font of the chain has a glyph for."""
    chain = font_chain(configured)
    out: list[str] = []
    for ch in dict.fromkeys(text):
        if _needs_glyph(ch) and not any(covers(p, ch) for p in chain):
            out.append(ch)
    return out


def font_for_char(ch: str, configured: str | None = None) -> Path:
    """The first font of the chain that draws `ch` (the primary when none does)."""
    chain = font_chain(configured)
    return next((p for p in chain if covers(p, ch)), chain[0])


def font_for(text: str, configured: str | None = None) -> Path:
    """One font for a whole run of text (a Kivy label, a raster line): the primary when it covers
    every character, else the first fallback that covers them all, else the one covering most."""
    chain = font_chain(configured)
    needed = [ch for ch in dict.fromkeys(text) if _needs_glyph(ch)]
    best, best_missing = chain[0], None
    for path in chain:
        missing = sum(1 for ch in needed if not covers(path, ch))
        if missing == 0:
            return path
        if best_missing is None or missing < best_missing:
            best, best_missing = path, missing
    return best


def require_glyphs(
    text: str, configured: str | None = None, what_zh: str = "证明", what_en: str = "document"
) -> None:
    """Raise GlyphsMissing when some character of `text` has no glyph in any font of the chain."""
    missing = missing_glyphs(text, configured)
    if missing:
        log.warning("glyphs missing for %s: %s", what_en, ", ".join(f"U+{ord(c):04X}" for c in missing))
        raise GlyphsMissing(missing, what_zh, what_en)
