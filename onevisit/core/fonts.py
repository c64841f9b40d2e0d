"""Finding a Simplified-Chinese font for raster printing, certificates and the kiosk."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

# Single-face files first: Kivy (through SDL_ttf) opens only the first face of a .ttc.
_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


class FontMissing(RuntimeError):
    pass


@cache
def cjk_font_path(configured: str | None = None) -> Path:
    """The font file to use; raises FontMissing with the fix when none is installed."""
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
