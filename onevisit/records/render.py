"""The 参保证明 as raster pages for an 80 mm (576 dots) or 58 mm (384 dots) thermal printer.

Laid out as a hall's printed certificate: title and serial, the person (masked ID), each insurance
with status and period, the monthly contribution table, the agency's statement with its seal,
print time, and the verification block (signed QR + short code). A long table continues on
further pages, each headed "参保证明（续）" with the serial and repeated column headers, and every
page is numbered 第n页/共m页. Pages are 1-bit images: what the printer's raster mode receives.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from onevisit.core.fonts import GlyphsMissing, covers, font_chain, font_for
from onevisit.records.certificate import LEGEND, Certificate, TableRow
from onevisit.records.months import months_between, zh_month

DOTS_PER_MM = 8  # 203 dpi thermal heads


@dataclass(frozen=True)
class Style:
    width: int
    margin: int
    title: int
    heading: int
    body: int
    small: int
    table: int
    qr_box: int
    qr_beside: bool  # QR with the code beside it (80 mm) or above it (58 mm)


STYLES = {
    576: Style(576, 16, 46, 24, 22, 17, 19, 4, True),
    384: Style(384, 8, 36, 19, 17, 14, 14, 3, False),
}


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def month_dot(month: str) -> str:
    return month.replace("-", ".")


Draw = Callable[[ImageDraw.ImageDraw, Image.Image, int], None]


@dataclass
class Element:
    height: int
    draw: Draw
    in_table: bool = False


class Layout:
    """Turns a certificate into a flow of elements, then cuts the flow into pages."""

    def __init__(self, cert: Certificate, width: int, font_path: Path, max_height: int) -> None:
        if width not in STYLES:
            raise ValueError(f"paper width must be 576 or 384 dots, not {width}")
        self.cert = cert
        self.s = STYLES[width]
        self.path = str(font_path)
        self.max_height = max_height
        self.inner = width - 2 * self.s.margin
        self.columns = self._columns()

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(self.path, size)

    def text_width(self, text: str, size: int) -> int:
        return math.ceil(self.font(size).getlength(text))

    # Small element makers

    def text(self, text: str, size: int, align: str = "left", bold: bool = False, gap: int = 6) -> Element:
        font = self.font(size)

        def draw(d: ImageDraw.ImageDraw, _img: Image.Image, y: int) -> None:
            w = self.text_width(text, size)
            x = {
                "left": self.s.margin,
                "center": (self.s.width - w) // 2,
                "right": self.s.width - self.s.margin - w,
            }[align]
            d.text((x, y), text, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0)

        return Element(size + gap + (2 if bold else 0), draw)

    def wrapped(self, text: str, size: int, indent: int = 0, gap: int = 5) -> list[Element]:
        """Lines that fit the paper; runs of Latin letters and digits (IDs, URLs) are kept whole
        when they fit on a line of their own."""
        lines, line = [], ""
        for token in re.findall(r"[A-Za-z0-9*.:/_#?=&%-]+|.", text):
            limit = self.inner - (indent if lines else 0)
            if token in "，。、；：）" and line:
                line += token  # closing punctuation never starts a line
                continue
            if line and self.text_width(line + token, size) > limit:
                if len(token) > 1 and self.text_width(token, size) > limit:
                    for ch in token:
                        if self.text_width(line + ch, size) > limit:
                            lines.append(line)
                            line = ""
                            limit = self.inner - indent
                        line += ch
                    continue
                lines.append(line)
                line = ""
            line += token
        if line:
            lines.append(line)
        out = []
        for i, ln in enumerate(lines):
            x_off = indent if i > 0 else 0

            def draw(
                d: ImageDraw.ImageDraw, _img: Image.Image, y: int, ln: str = ln, x_off: int = x_off
            ) -> None:
                d.text((self.s.margin + x_off, y), ln, font=self.font(size), fill=0)

            out.append(Element(size + gap, draw))
        return out

    def pair(self, left: str, right: str, size: int, gap: int = 6) -> Element:
        def draw(d: ImageDraw.ImageDraw, _img: Image.Image, y: int) -> None:
            d.text((self.s.margin, y), left, font=self.font(size), fill=0)
            d.text(
                (self.s.width - self.s.margin - self.text_width(right, size), y),
                right,
                font=self.font(size),
                fill=0,
            )

        return Element(size + gap, draw)

    def rule(self, thick: int = 2, space: int = 8, dashed: bool = False) -> Element:
        def draw(d: ImageDraw.ImageDraw, _img: Image.Image, y: int) -> None:
            yy = y + space // 2
            if dashed:
                for x in range(self.s.margin, self.s.width - self.s.margin, 8):
                    d.line([(x, yy), (x + 4, yy)], fill=0, width=thick)
            else:
                d.line([(self.s.margin, yy), (self.s.width - self.s.margin, yy)], fill=0, width=thick)

        return Element(space + thick, draw)

    def space(self, height: int) -> Element:
        return Element(height, lambda d, img, y: None)

    # The contribution table

    def _columns(self) -> list[tuple[str, int, str]]:
        """(header, width, align) sized to the widest cell, spare width spread evenly."""
        size = self.s.table
        rows = self.cert.rows
        headers = ["所属期", "缴费基数", "单位缴费", "个人缴费", "险种", "状态"]
        samples = [
            ["0000.00", *[month_dot(r.month) for r in rows]],
            ["00,000.00", *[money(r.base) for r in rows]],
            ["0,000.00", *[money(r.employer_amount) for r in rows]],
            ["0,000.00", *[money(r.personal_amount) for r in rows]],
            ["养医失工生", *[r.types for r in rows]],
            ["欠缴"],
        ]
        widths = [
            max(self.text_width(h, size), *(self.text_width(t, size) for t in col))
            for h, col in zip(headers, samples, strict=True)
        ]
        spare = max(0, self.inner - sum(widths))
        widths = [w + spare // len(widths) for w in widths]
        aligns = ["left", "right", "right", "right", "center", "center"]
        return list(zip(headers, widths, aligns, strict=True))

    def _cells(self, d: ImageDraw.ImageDraw, y: int, cells: list[str], size: int, bold: bool = False) -> None:
        x = self.s.margin
        font = self.font(size)
        for (_h, width, align), text in zip(self.columns, cells, strict=True):
            w = self.text_width(text, size)
            pad = 3
            tx = {"left": x + pad, "right": x + width - w - pad, "center": x + (width - w) // 2}[align]
            d.text((tx, y), text, font=font, fill=0, stroke_width=1 if bold else 0, stroke_fill=0)
            x += width

    def table_header(self) -> list[Element]:
        size = self.s.table

        def draw(d: ImageDraw.ImageDraw, _img: Image.Image, y: int) -> None:
            left, right = self.s.margin, self.s.width - self.s.margin
            d.line([(left, y), (right, y)], fill=0, width=2)
            self._cells(d, y + 5, [c[0] for c in self.columns], size)
            d.line([(left, y + size + 12), (right, y + size + 12)], fill=0, width=1)

        return [Element(size + 15, draw, in_table=True)]

    def table_row(self, row: TableRow) -> Element:
        size = self.s.table
        height = size + 9

        def draw(d: ImageDraw.ImageDraw, _img: Image.Image, y: int) -> None:
            if row.kind == "gap":
                n = months_between(row.month, row.last_month)
                span = f"{month_dot(row.month)}—{month_dot(row.last_month)}"
                text = f"{span}  未缴费（中断{n}个月）"
                d.text((self.s.margin + 3, y + 3), text, font=self.font(size), fill=0)
            else:
                status = "已缴" if row.kind == "paid" else "欠缴"
                cells = [
                    month_dot(row.month),
                    money(row.base),
                    money(row.employer_amount),
                    money(row.personal_amount),
                    row.types,
                    status,
                ]
                self._cells(d, y + 3, cells, size, bold=row.kind == "unpaid")
            for x in range(self.s.margin, self.s.width - self.s.margin, 6):
                d.point((x, y + height - 2), fill=0)

        return Element(height, draw, in_table=True)

    # Sections

    def head(self) -> list[Element]:
        c, s = self.cert, self.s
        out = [
            self.space(6),
            self.text("参 保 证 明", s.title, "center", bold=True, gap=10),
            self.text("（社会保险个人参保缴费证明）", s.small, "center", gap=10),
            self.pair(f"证明编号：{c.serial}", f"期间：{c.range_label}", s.small, gap=4),
            self.rule(3, 10),
            self.pair(f"姓　　名：{c.name}", f"性别：{c.gender}", s.body),
            self.text(f"身份证号：{c.id_masked}", s.body),
        ]
        employer = next((i.employer for i in c.insurances if i.employer), "")
        if employer:
            label = "参保身份" if employer == "城乡居民个人缴费" else "参保单位"
            out += self.wrapped(f"{label}：{employer}", s.body, indent=self.text_width("参保单位：", s.body))
        out.append(self.text(f"证明期间：{zh_month(c.since)}至{zh_month(c.until)}", s.body))
        out.append(self.rule(1, 10))
        out.append(self.text("一、参保情况", s.heading, gap=10))
        if s.width >= 576:
            out.append(self.insurance_table())
        else:
            for line in c.insurances:
                out.append(self.pair(line.name_zh, line.status, s.body, gap=4))
                end = "至今" if line.last_month is None else f"至{zh_month(line.last_month)}"
                out.append(
                    self.text(
                        f"　　{zh_month(line.first_month)}起{end}，累计缴费{line.paid_months}个月",
                        s.small,
                        gap=9,
                    )
                )
        if c.pension_note:
            out += self.wrapped(c.pension_note, s.small)
        out.append(self.rule(1, 10))
        out.append(self.text("二、缴费明细", s.heading, gap=8))
        out.append(
            self.pair(f"所属期：{month_dot(c.since)}—{month_dot(c.until)}", "单位：元", s.small, gap=8)
        )
        return out

    def insurance_table(self) -> Element:
        """One line per insurance: name, status, period, months paid (80 mm paper)."""
        c, s = self.cert, self.s
        size = s.table
        row_h = size + 10
        headers = ["险种", "参保状态", "参保期间", "累计月数"]
        cells = [
            [
                i.name_zh,
                i.status,
                f"{month_dot(i.first_month)}—{'至今' if i.last_month is None else month_dot(i.last_month)}",
                f"{i.paid_months}个月",
            ]
            for i in c.insurances
        ]
        widths = [max(self.text_width(r[k], size) for r in [headers, *cells]) + 10 for k in range(4)]
        spare = max(0, self.inner - sum(widths))
        widths = [widths[0] + spare // 4, *(w + spare // 4 for w in widths[1:])]

        def draw(d: ImageDraw.ImageDraw, _img: Image.Image, y: int) -> None:
            left, right = s.margin, s.width - s.margin
            d.line([(left, y), (right, y)], fill=0, width=2)
            for r, row in enumerate([headers, *cells]):
                x = left
                yy = y + 5 + r * row_h
                for k, text in enumerate(row):
                    w = self.text_width(text, size)
                    tx = x + 3 if k == 0 else x + (widths[k] - w) // 2
                    d.text((tx, yy), text, font=self.font(size), fill=0)
                    x += widths[k]
                if r == 0:
                    d.line([(left, yy + size + 6), (right, yy + size + 6)], fill=0, width=1)
            bottom = y + 5 + (len(cells) + 1) * row_h
            d.line([(left, bottom), (right, bottom)], fill=0, width=2)

        return Element(12 + (len(cells) + 1) * row_h, draw)

    def table(self) -> list[Element]:
        if not self.cert.rows:
            why = "（已退休，按月领取基本养老金）" if self.cert.pension_note else ""
            return self.wrapped(f"本期间内无缴费记录{why}。", self.s.body, gap=10)
        return [self.table_row(r) for r in self.cert.rows]

    def summary(self) -> list[Element]:
        c, s = self.cert, self.s
        employer_total, personal_total, months = c.totals
        out = [self.space(4)]
        if not months:
            return out
        out += self.wrapped(
            f"合计：已缴费{months}个月，单位缴费{money(employer_total)}元，个人缴费{money(personal_total)}元。",
            s.small,
        )
        used = {t for r in c.rows for t in r.types}
        legend = [item for item in LEGEND if item[0] in used]
        if legend:
            out += self.wrapped("险种：" + "　".join(f"{a}={name}" for a, name in legend), s.small)
        return out

    def closing(self) -> list[Element]:
        """Statement, seal, notes and QR: kept on one page so the verification is never orphaned."""
        c, s = self.cert, self.s
        out = [self.space(8)]
        out += self.wrapped(
            f"　　兹证明{c.name}（身份证号{c.id_masked}）在我中心参加社会保险，参保及缴费情况如上。", s.body
        )
        out.append(self.text("　　特此证明。", s.body, gap=14))
        out.append(self.seal_block())
        out.append(self.rule(1, 12, dashed=True))
        notes = [
            f"本证明所列信息截至{zh_month(c.until)}，以社会保险经办机构核定为准。",
            "本证明由自助终端打印，无需另行盖章，复印无效。",
            f"扫描下方二维码，或访问{c.verify_url.split('#', 1)[0]}输入证明编号和验证码，可核验真伪。",
        ]
        for i, note in enumerate(notes, start=1):
            out += self.wrapped(f"{i}. {note}", s.small, indent=self.text_width(f"{i}. ", s.small))
        out.append(self.space(6))
        out.append(self.verification_block())
        return out

    def seal_block(self) -> Element:
        """The agency and print time, the round seal at their right end (80 mm) or under them
        (58 mm): how a hall signs its paper, without hiding any of the words."""
        c, s = self.cert, self.s
        radius = 70 if s.width == 576 else 52
        size = s.body if s.width == 576 else s.small
        lines = [f"出具机构：{c.agency}", f"打印时间：{c.issued_at:%Y年%m月%d日 %H:%M}"]
        beside = s.width == 576
        text_h = 2 * (size + 12)
        height = 2 * radius + 16 + (0 if beside else text_h)

        def draw(d: ImageDraw.ImageDraw, img: Image.Image, y: int) -> None:
            widest = max(self.text_width(t, size) for t in lines)
            cx = s.width - s.margin - radius - 2
            if beside:
                cy = y + radius + 6
                x = max(s.margin, cx - radius + 6 - widest)
                top = cy - size - 6
            else:
                cy = y + text_h + radius + 4
                x = s.width - s.margin - widest
                top = y
            draw_seal(
                img,
                (cx, cy),
                radius,
                c.agency,
                self.font(max(11, radius // 5)),
                self.font(max(10, radius // 6)),
            )
            for i, text in enumerate(lines):
                d.text((x, top + i * (size + 12)), text, font=self.font(size), fill=0)

        return Element(height, draw)

    def verification_block(self) -> Element:
        c, s = self.cert, self.s
        # a preview has no payload yet: a marked box where the QR will be, never a QR that verifies
        qr_img = (
            make_qr(c.verify_url, s.qr_box)
            if c.payload
            else self.preview_box(make_qr(c.verify_url + "#p=" + "A" * 300, s.qr_box).width)
        )
        labels = [
            ("验证码", s.small),
            (c.verification_code, s.heading + 6),
            ("证明编号", s.small),
            (c.serial, s.body),
        ]
        text_h = sum(size + 10 for _t, size in labels)
        height = max(qr_img.height, text_h) + 8 if s.qr_beside else qr_img.height + text_h + 8

        def draw(d: ImageDraw.ImageDraw, img: Image.Image, y: int) -> None:
            if s.qr_beside:
                img.paste(qr_img, (s.margin - 4, y))
                x = s.margin + qr_img.width + 8
                yy = y + (qr_img.height - text_h) // 2
            else:
                img.paste(qr_img, ((s.width - qr_img.width) // 2, y))
                x = s.margin + 8
                yy = y + qr_img.height
            for text, size in labels:
                bold = text == c.verification_code
                d.text(
                    (x, yy), text, font=self.font(size), fill=0, stroke_width=1 if bold else 0, stroke_fill=0
                )
                yy += size + 10

        return Element(height, draw)

    def preview_box(self, side: int) -> Image.Image:
        """Where the QR goes, marked 预览: the preview has nothing signed to encode."""
        img = Image.new("1", (side, side), 1)
        d = ImageDraw.Draw(img)
        d.rectangle((2, 2, side - 3, side - 3), outline=0, width=3)
        font = self.font(max(14, side // 6))
        for i, text in enumerate(("预览", "打印后", "生成二维码")):
            w = self.text_width(text, max(14, side // 6))
            d.text(((side - w) // 2, side // 5 + i * (side // 5)), text, font=font, fill=0)
        return img

    def continuation_head(self) -> list[Element]:
        c, s = self.cert, self.s
        return [
            self.space(4),
            self.text("参保证明（续）", s.heading + 4, "center", bold=True, gap=10),
            self.pair(f"证明编号：{c.serial}", f"姓名：{c.name}", s.small, gap=4),
            self.text(f"身份证号：{c.id_masked}", s.small, gap=4),
            self.rule(2, 8),
            self.text("二、缴费明细（续）", s.heading, gap=8),
        ]

    def footer(self, page: int, pages: int) -> Element:
        return self.text(f"第{page}页/共{pages}页", self.s.small, "center", gap=12)

    # Pagination

    def paginate(self) -> list[list[Element]]:
        footer_h = self.footer(1, 1).height + 10
        budget = self.max_height - footer_h
        pages: list[list[Element]] = []
        page = self.head() + (self.table_header() if self.cert.rows else [])
        used = sum(e.height for e in page)

        def add(element: Element) -> None:
            nonlocal page, used
            if used + element.height > budget:
                pages.append(page)
                page = self.continuation_head()
                if element.in_table:
                    page += self.table_header()
                else:
                    page.pop()  # no "二、缴费明细（续）" over the closing text
                used = sum(e.height for e in page)
            page.append(element)
            used += element.height

        for element in self.table() + self.summary():
            add(element)
        closing = self.closing()
        add(Element(sum(e.height for e in closing), lambda d, img, y: None))
        page.pop()
        page += closing
        pages.append(page)
        return pages


def make_qr(data: str, box: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("L")


def draw_seal(
    img: Image.Image,
    center: tuple[int, int],
    radius: int,
    agency: str,
    font: ImageFont.FreeTypeFont,
    small: ImageFont.FreeTypeFont,
) -> None:
    """A round 业务专用章: the agency's name along the upper arc, a star, and the seal's use."""
    cx, cy = center
    d = ImageDraw.Draw(img)
    d.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=0, width=3)
    text = agency[:16]
    n = len(text)
    sweep = min(250.0, 20.0 * n)  # degrees the name spans, centred on the top
    r_text = radius - font.size // 2 - 6
    for i, ch in enumerate(text):
        angle = -sweep / 2 + sweep * (i + 0.5) / n  # 0 = straight up, clockwise positive
        rad = math.radians(angle)
        x = cx + r_text * math.sin(rad)
        y = cy - r_text * math.cos(rad)
        size = font.size + 4
        glyph = Image.new("L", (size, size), 255)
        ImageDraw.Draw(glyph).text((size / 2, size / 2), ch, font=font, fill=0, anchor="mm")
        glyph = glyph.rotate(-angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        img.paste(0, (int(x - size / 2), int(y - size / 2)), mask=glyph.point(lambda v: 255 - v))
    # A five-pointed star in the middle.
    star_r = radius * 0.26
    points = []
    for k in range(10):
        r = star_r if k % 2 == 0 else star_r * 0.4
        a = math.radians(-90 + 36 * k)
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    d.polygon(points, fill=0)
    label = "业务专用章"
    w = small.getlength(label)
    d.text((cx - w / 2, cy + radius * 0.42), label, font=small, fill=0)


def render_pages(
    cert: Certificate,
    width: int = 576,
    font: str | None = None,
    page_max_mm: int = 297,
) -> list[Image.Image]:
    """The certificate as 1-bit pages `width` dots wide, each at most `page_max_mm` long."""
    # One font for the whole roll: the primary, or a fallback that covers a rare name (孙䶮) too.
    path = font_for(cert.free_text, font)
    missing = [ch for ch in dict.fromkeys(cert.free_text) if ch.strip() and not covers(path, ch)]
    if missing:
        raise GlyphsMissing(missing, "参保证明", "certificate")
    layout = Layout(cert, width, path, page_max_mm * DOTS_PER_MM)
    flows = layout.paginate()
    images = []
    for number, elements in enumerate(flows, start=1):
        elements = [*elements, layout.space(10), layout.footer(number, len(flows))]
        height = sum(e.height for e in elements) + 16
        img = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(img)
        y = 8
        for element in elements:
            element.draw(draw, img, y)
            y += element.height
        # Threshold rather than dither: text and QR edges stay sharp on a thermal head. A Mincho
        # fallback (Hanazono, for a rare name) has hairline horizontals: a lighter cut keeps them.
        cut = 150 if path == font_chain(font)[0] else 235
        images.append(img.point(lambda v, cut=cut: 255 if v > cut else 0).convert("1"))
    return images


def raster_bytes(pages: list[Image.Image]) -> int:
    """Bytes of ESC/POS `GS v 0` raster data these pages take (8-byte header per image)."""
    return sum(8 + ((p.width + 7) // 8) * p.height for p in pages)
