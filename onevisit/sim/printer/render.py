"""Tokens -> what the paper would look like: the virtual printer's print head.

Emulates an 80 mm / 58 mm thermal printer at 203 dpi: font A is 12x24 dots (GBK characters 24x24),
font B 9x17; GS ! multiplies cells; ESC a aligns text lines and raster images; GS v 0 images are
drawn dot for dot; GS ( k QR codes are drawn by the qrcode package with the module size sent;
a cut is drawn as a dashed line with scissors. Glyphs come from the CJK font, drawn at the scaled
size (like a printer's smoothing mode) and thresholded to black dots.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw

from onevisit.devices.printer import raster
from onevisit.sim.printer.tokenizer import Token

log = logging.getLogger(__name__)

DEFAULT_LINE_SPACING = 30  # ESC 2: 1/6 inch in the printer's 180-dpi motion units, ~30 dots
CUT_MARK_HEIGHT = 28
_EC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


@lru_cache(maxsize=4096)
def _glyph(
    ch: str, cell_w: int, cell_h: int, wide: bool, w: int, h: int, bold: bool, font: str | None
) -> Image.Image:
    """One character cell, scaled w x h, black ink on white, mode L."""
    base_px = cell_h - 2 if wide else round(cell_h * 0.92)
    px = base_px * h
    f = raster.font(px, font)
    natural = max(1, int(f.getlength(ch)))
    target_w, target_h = cell_w * w, cell_h * h
    box_w = max(natural, cell_w * h)
    img = Image.new("L", (box_w, target_h), 255)
    draw = ImageDraw.Draw(img)
    ascent, descent = f.getmetrics()
    top = (target_h - (ascent + descent)) // 2
    raster.draw_text(draw, ((box_w - natural) // 2, top), ch, f, 0, bold)
    if box_w != target_w:
        img = img.resize((target_w, target_h), Image.Resampling.LANCZOS)
    return img


@dataclass
class _Style:
    align: int = 0
    bold: bool = False
    underline: int = 0
    font_b: bool = False
    w: int = 1
    h: int = 1
    invert: bool = False
    line_spacing: int = DEFAULT_LINE_SPACING


@dataclass
class _Line:
    cells: list[tuple[Image.Image, bool]] = field(default_factory=list)  # (cell image, underline)
    width: int = 0
    align: int = 0


class Renderer:
    """Feed tokens in order; `image()` gives the paper so far."""

    def __init__(self, width: int = 576, font: str | None = None) -> None:
        self.width = width
        self.font = font
        self.style = _Style()
        self.line = _Line()
        self.rows: list[tuple[Image.Image, int]] = []  # (strip, x) stacked top to bottom
        self.qr: dict[str, object] = {"size": 3, "ec": "L", "data": b""}
        self.cuts = 0
        self.clipped = False

    # -- paper ------------------------------------------------------------------------------------
    def _blank(self, dots: int) -> None:
        if dots > 0:
            self.rows.append((Image.new("L", (self.width, dots), 255), 0))

    def _place(self, img: Image.Image, align: int) -> None:
        if img.width > self.width:
            self.clipped = True
            img = img.crop((0, 0, self.width, img.height))
        x = {0: 0, 1: (self.width - img.width) // 2, 2: self.width - img.width}[align]
        self.rows.append((img, x))

    def _flush(self, force_blank: bool = False) -> None:
        """Print the text buffer (LF). An empty buffer feeds one line when asked to."""
        line = self.line
        if not line.cells:
            if force_blank:
                self._blank(self.style.line_spacing)
            return
        height = max(c.height for c, _ in line.cells)
        advance = max(height, self.style.line_spacing)
        strip = Image.new("L", (line.width, advance), 255)
        x = 0
        for cell, underline in line.cells:
            y = height - cell.height  # characters of different sizes share a baseline at the bottom
            strip.paste(cell, (x, y))
            if underline:
                ImageDraw.Draw(strip).rectangle((x, height - 2, x + cell.width - 1, height - 1), fill=0)
            x += cell.width
        self._place(strip, line.align)
        self.line = _Line()

    # -- tokens -----------------------------------------------------------------------------------
    def feed(self, tokens: list[Token]) -> None:
        for t in tokens:
            handler = getattr(self, f"_t_{t.name}", None)
            if handler is None:
                log.debug("renderer ignores %s at %d", t.name, t.offset)
                continue
            handler(t)

    def _t_text(self, t: Token) -> None:
        s = self.style
        for ch in str(t.value):
            wide = ord(ch) >= 0x80 and not ch.isascii() and len(ch.encode("gbk", "ignore")) == 2
            cell_w, cell_h = (24, 24) if wide else ((9, 17) if s.font_b else (12, 24))
            glyph = _glyph(ch, cell_w, cell_h, wide, s.w, s.h, s.bold, self.font)
            if s.invert:
                glyph = Image.eval(glyph, lambda v: 255 - v)
            if self.line.width + glyph.width > self.width:  # the printer wraps at the margin
                self._flush()
            if not self.line.cells:
                self.line.align = s.align
            self.line.cells.append((glyph, s.underline > 0))
            self.line.width += glyph.width

    def _t_lf(self, t: Token) -> None:
        self._flush(force_blank=True)

    def _t_tab(self, t: Token) -> None:
        self._t_text(Token("text", t.offset, b"", " " * (8 - (self.line.width // 12) % 8)))

    def _t_init(self, t: Token) -> None:
        self._flush()
        self.style = _Style()

    def _t_print_mode(self, t: Token) -> None:
        n = int(t.value)  # type: ignore[arg-type]
        self.style.font_b = bool(n & 0x01)
        self.style.bold = bool(n & 0x08)
        self.style.h = 2 if n & 0x10 else 1
        self.style.w = 2 if n & 0x20 else 1
        self.style.underline = 1 if n & 0x80 else 0

    def _t_bold(self, t: Token) -> None:
        self.style.bold = bool(int(t.value) & 1)  # type: ignore[arg-type]

    _t_double_strike = _t_bold

    def _t_underline(self, t: Token) -> None:
        self.style.underline = int(t.value) % 48  # type: ignore[arg-type]

    def _t_align(self, t: Token) -> None:
        self.style.align = int(t.value) % 48  # type: ignore[arg-type]
        if not self.line.cells:
            self.line.align = self.style.align

    def _t_font(self, t: Token) -> None:
        self.style.font_b = int(t.value) % 48 == 1  # type: ignore[arg-type]

    def _t_size(self, t: Token) -> None:
        n = int(t.value)  # type: ignore[arg-type]
        self.style.w, self.style.h = (n >> 4) + 1, (n & 0x0F) + 1

    def _t_invert(self, t: Token) -> None:
        self.style.invert = bool(int(t.value) & 1)  # type: ignore[arg-type]

    def _t_line_spacing(self, t: Token) -> None:
        self.style.line_spacing = int(t.value)  # type: ignore[arg-type]

    def _t_line_spacing_default(self, t: Token) -> None:
        self.style.line_spacing = DEFAULT_LINE_SPACING

    def _t_feed_lines(self, t: Token) -> None:
        self._flush()
        self._blank(int(t.value) * self.style.line_spacing)  # type: ignore[arg-type]

    def _t_feed_dots(self, t: Token) -> None:
        self._flush()
        self._blank(int(t.value))  # type: ignore[arg-type]

    def _t_raster(self, t: Token) -> None:
        self._flush()
        v: dict = t.value  # type: ignore[assignment]
        w, h = v["width_bytes"] * 8, v["height"]
        # GS v 0 data: 1 bit per dot, MSB leftmost, 1 = black; PIL "1" raw uses 1 = white.
        img = Image.frombytes("1", (w, h), bytes(b ^ 0xFF for b in v["data"])).convert("L")
        if v["mode"] in (1, 3):
            img = img.resize((w * 2, img.height), Image.Resampling.NEAREST)
        if v["mode"] in (2, 3):
            img = img.resize((img.width, h * 2), Image.Resampling.NEAREST)
        self._place(img, self.style.align)

    def _t_qr(self, t: Token) -> None:
        v: dict = t.value  # type: ignore[assignment]
        fn = v["fn"]
        if fn == "module":
            self.qr["size"] = v["size"]
        elif fn == "ec":
            self.qr["ec"] = v["level"]
        elif fn == "store":
            self.qr["data"] = v["data"]
        elif fn == "print":
            self._flush()
            data: bytes = self.qr["data"]  # type: ignore[assignment]
            if not data:
                log.warning("QR print with no stored data at offset %d", t.offset)
                return
            code = qrcode.QRCode(
                border=0, box_size=int(self.qr["size"]), error_correction=_EC[str(self.qr["ec"])]
            )
            code.add_data(data.decode("utf-8", "replace"))
            code.make(fit=True)
            img = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
            self._place(img, self.style.align)

    def _t_cut(self, t: Token) -> None:
        self._flush()
        strip = Image.new("L", (self.width, CUT_MARK_HEIGHT), 235)
        draw = ImageDraw.Draw(strip)
        mid = CUT_MARK_HEIGHT // 2
        for x in range(0, self.width, 16):
            draw.line((x, mid, x + 8, mid), fill=90, width=2)
        label = "切纸 cut"
        f = raster.font(14, self.font)
        x0 = (self.width - int(f.getlength(label))) // 2
        draw.rectangle((x0 - 6, 0, x0 + int(f.getlength(label)) + 6, CUT_MARK_HEIGHT), fill=235)
        draw.text((x0, mid - 9), label, font=f, fill=60)
        self.rows.append((strip, 0))
        self.cuts += 1

    # -- result -----------------------------------------------------------------------------------
    def image(self) -> Image.Image:
        self._flush()
        height = sum(img.height for img, _ in self.rows) or 1
        page = Image.new("L", (self.width, height), 255)
        y = 0
        for img, x in self.rows:
            page.paste(img, (x, y))
            y += img.height
        return page


PAPER_MARGIN = 24  # 80 mm paper is 4 mm wider than the 72 mm print area on each side


def on_paper(printed: Image.Image, margin: int = PAPER_MARGIN) -> Image.Image:
    """The print area placed on its roll: white margins left and right, a hairline paper edge."""
    page = Image.new("L", (printed.width + 2 * margin, printed.height), 255)
    page.paste(printed, (margin, 0))
    draw = ImageDraw.Draw(page)
    draw.line((0, 0, 0, page.height), fill=200)
    draw.line((page.width - 1, 0, page.width - 1, page.height), fill=200)
    return page


def render(tokens: list[Token], width: int = 576, font: str | None = None) -> Image.Image:
    """The printed area only (width dots), for decoding and tests; wrap with on_paper to show it."""
    r = Renderer(width, font)
    r.feed(tokens)
    return r.image()
