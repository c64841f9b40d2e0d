"""Building job bytes: ESC/POS through python-escpos's Dummy, so a test sees exactly what is sent.

Every job starts with ESC @ (reset the printer's modes) and ends with a feed and a full cut.
Chinese text goes out as GBK bytes in the printer's Chinese mode (FS &) or as raster images drawn
with the CJK font; a line GBK cannot encode (rare characters in names, symbols) is drawn as raster
even in GBK mode, so nothing prints as "?".
"""

from __future__ import annotations

import logging
from typing import Literal

import qrcode
from escpos.constants import QR_ECLEVEL_M
from escpos.image import EscposImage
from escpos.printer import Dummy
from PIL import Image

from onevisit.core.config import PrinterConfig
from onevisit.devices.printer import raster

log = logging.getLogger(__name__)

ESC_INIT = b"\x1b@"
FS_CHINESE_ON = b"\x1c&"
CUT_FULL = b"\x1dV\x00"
BASE_PX = 24  # font A height in dots: scale 1 text is 24 dots tall on the printer
SMALL_PX = 18  # font B (9x17), used for the English lines

Align = Literal["left", "center", "right"]
_ALIGN_CODE = {"left": 0, "center": 1, "right": 2}


def raster_bytes(img: Image.Image) -> bytes:
    """GS v 0 for a 1-bit image (black = print a dot)."""
    im = EscposImage(img)
    return (
        b"\x1dv0\x00"
        + im.width_bytes.to_bytes(2, "little")
        + im.height.to_bytes(2, "little")
        + im.to_raster_format()
    )


def gbk_or_none(text: str) -> bytes | None:
    try:
        return text.encode("gbk")
    except UnicodeEncodeError:
        return None


class JobBuilder:
    """A print job's bytes, line by line, for one paper width and Chinese mode."""

    def __init__(
        self,
        width: int = 576,
        chinese: Literal["gbk", "raster"] = "raster",
        native_qr: bool = True,
        font: str | None = None,
    ) -> None:
        self.width = width
        self.chinese = chinese
        self.native_qr = native_qr
        self.font = font
        self.raster_lines = 0  # lines that fell back to raster in GBK mode (measured by the bench)
        self._d = Dummy()
        self._d._raw(ESC_INIT)
        if chinese == "gbk":
            self._d._raw(FS_CHINESE_ON)

    @classmethod
    def for_config(cls, cfg: PrinterConfig) -> JobBuilder:
        return cls(cfg.width, cfg.chinese, cfg.native_qr, cfg.font)

    # -- text ---------------------------------------------------------------------------------
    def text(
        self,
        text: str,
        *,
        scale: float = 1.0,
        bold: bool = False,
        align: Align = "left",
        small: bool = False,
        invert: bool = False,
    ) -> None:
        """A paragraph, wrapped to the paper. `scale` multiplies the 24-dot base size (rounded to a
        whole multiplier in GBK mode); `small` is the printer's small font for secondary lines."""
        if self.chinese == "gbk":
            size = max(1, min(8, round(scale)))
            encoded = [gbk_or_none(line) for line in self._wrap_gbk(text, size, small)]
            if all(e is not None for e in encoded):
                self._gbk_lines(encoded, size=size, bold=bold, align=align, small=small, invert=invert)
                return
            self.raster_lines += 1
            log.debug("GBK cannot encode %r: printing it as raster", text)
        px = round((SMALL_PX if small else BASE_PX) * scale)
        pad = 2 * max(4, px // 5) if invert else 0
        for line in raster.wrap(text, px, self.width - pad, self.font):
            img = raster.render_line(
                line, px, bold=bold, invert=invert, configured=self.font, max_width=self.width
            )
            self.image(img, align=align)

    def _wrap_gbk(self, text: str, size: int, small: bool) -> list[str]:
        ascii_cell = 9 if small else 12  # font B / font A; GBK characters are 24 dots in both

        def dots(line: str) -> int:
            return sum(ascii_cell if ord(ch) < 0x80 else 24 for ch in line) * size

        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for ch in paragraph:
                if dots(line + ch) <= self.width:
                    line += ch
                    continue
                cut = line.rfind(" ")
                if ch != " " and cut > len(line) // 2 and line[cut + 1 :].isascii():
                    lines.append(line[:cut])  # break Latin text between words
                    line = line[cut + 1 :] + ch
                else:
                    lines.append(line)
                    line = ch.lstrip()
            lines.append(line)
        return lines

    def _gbk_lines(
        self, lines: list[bytes | None], *, size: int, bold: bool, align: Align, small: bool, invert: bool
    ) -> None:
        d = self._d
        d.set(align=align, bold=bold, font="b" if small else "a", invert=invert)
        if size > 1:
            d.set(custom_size=True, width=size, height=size)
        for line in lines:
            d._raw((line or b"") + b"\n")
        # back to defaults so the next line starts clean
        d.set(normal_textsize=True, bold=False, font="a", invert=False, align="left")

    # -- graphics -----------------------------------------------------------------------------
    def image(self, img: Image.Image, *, align: Align = "center") -> None:
        """A raster image no wider than the paper, aligned with ESC a (effective for GS v 0)."""
        if img.width > self.width:
            raise ValueError(f"image is {img.width} dots wide; the paper is {self.width}")
        self._d._raw(b"\x1ba" + bytes([_ALIGN_CODE[align]]))
        self._d._raw(raster_bytes(img))
        self._d._raw(b"\x1ba\x00")

    def rule(self, weight: int = 2) -> None:
        """A horizontal line across the paper, with a little space around it."""
        img = Image.new("1", (self.width, 12 + weight), 1)
        for y in range(6, 6 + weight):
            for x in range(8, self.width - 8):
                img.putpixel((x, y), 0)
        self.image(img, align="left")

    def feed(self, dots: int) -> None:
        self._d._raw(b"\x1bJ" + bytes([max(0, min(255, dots))]))

    def qr(self, content: str, module: int = 6) -> None:
        """A QR code, centered: the printer draws it natively (GS ( k) or we send it as raster."""
        self.feed(16)  # quiet zone: phones need white around the code to find it
        if self.native_qr:
            self._d._raw(b"\x1ba\x01")
            self._d.qr(content, ec=QR_ECLEVEL_M, size=module, native=True)
            self._d._raw(b"\x1ba\x00")
            self.feed(16)
            return
        code = qrcode.QRCode(border=2, box_size=module, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(content)
        code.make(fit=True)
        img = code.make_image(fill_color="black", back_color="white").get_image().convert("1")
        self.image(img, align="center")

    # -- finish -------------------------------------------------------------------------------
    def cut(self) -> bytes:
        """Feed past the cutter, cut, and return the job's bytes."""
        self._d._raw(b"\x1bd\x04" + CUT_FULL)
        return self._d.output

    @property
    def output(self) -> bytes:
        return self._d.output
