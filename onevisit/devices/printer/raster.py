"""Text as pixels: a line of (Chinese) text drawn with the CJK font, as the printer will print it.

Used for raster-mode jobs, for characters GBK cannot encode, and by the virtual printer's renderer.
Thermal printers print black dots or nothing, so images are thresholded to 1-bit here rather than
dithered: text stays crisp.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from onevisit.core.fonts import cjk_font_path, font_for

LEADING = 1.32  # line height / font size: room for descenders and a little air between lines


@lru_cache(maxsize=64)
def _face(path: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, px)


def font(px: int, configured: str | None = None, text: str = "") -> ImageFont.FreeTypeFont:
    """The primary CJK font at `px` dots, or the fallback of the chain that draws all of `text`
    (a line with a rare name such as 孙䶮 is drawn whole from Hanazono rather than with a box)."""
    return _face(str(font_for(text, configured) if text else cjk_font_path(configured)), px)


def text_width(text: str, px: int, configured: str | None = None) -> int:
    return int(font(px, configured, text).getlength(text))


def wrap(text: str, px: int, width: int, configured: str | None = None) -> list[str]:
    """Break text into lines that fit `width` dots; breaks at spaces for Latin, anywhere for CJK."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for ch in paragraph:
            if text_width(line + ch, px, configured) <= width:
                line += ch
                continue
            cut = line.rfind(" ")
            if ch != " " and cut > len(line) // 2 and line[cut + 1 :].isascii():
                lines.append(line[:cut])
                line = line[cut + 1 :] + ch
            else:
                lines.append(line)
                line = ch.lstrip()
        lines.append(line)
    return lines


def bold_stroke(px: int) -> int:
    """Outline width that reads as bold: none for small text (a 1-dot outline clogs the strokes of
    a 24-dot character; we double-strike it instead)."""
    return px // 28 if px >= 56 else 0


def draw_text(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, f: ImageFont.FreeTypeFont, ink: int, bold: bool
) -> None:
    stroke = bold_stroke(f.size) if bold else 0
    draw.text(xy, text, font=f, fill=ink, stroke_width=stroke, stroke_fill=ink)
    if bold and not stroke:  # double strike, shifted one dot right, like ESC G on the printer
        draw.text((xy[0] + 1, xy[1]), text, font=f, fill=ink)


def render_line(
    text: str,
    px: int,
    *,
    bold: bool = False,
    invert: bool = False,
    configured: str | None = None,
    max_width: int | None = None,
) -> Image.Image:
    """One line as a 1-bit image as wide as its ink (rounded up to 8 dots for GS v 0)."""
    f = font(px, configured, text)
    stroke = bold_stroke(px) if bold else 0
    pad = max(4, px // 5) if invert else 0
    width = int(f.getlength(text)) + 2 * stroke + 2 * pad + (1 if bold else 0)
    if max_width:
        width = min(width, max_width)
    width = max(8, (width + 7) // 8 * 8)
    height = int(px * LEADING) + (pad if invert else 0)
    img = Image.new("L", (width, height), 0 if invert else 255)
    draw = ImageDraw.Draw(img)
    ink = 255 if invert else 0
    ascent, descent = f.getmetrics()
    top = (height - (ascent + descent)) // 2
    draw_text(draw, (pad + stroke, top), text, f, ink, bold)
    return img.point(lambda v: 255 if v >= 128 else 0).convert("1")
