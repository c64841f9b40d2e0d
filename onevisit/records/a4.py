"""The 参保证明 as an A4 PDF for the document printer: vector text with the CJK fonts embedded.

Page 1: title, serial and period, the person (masked ID), 一、参保情况 (one row per insurance),
二、缴费明细 (one row per month; a run of months without contributions is one row), continuing on
further pages with the column headers repeated and a running head "参保证明（续）" with serial and
name. After the table: totals and the legend, the agency's statement, the issuing body with the red
seal over it, the print time in the hall's time zone, and the verification QR (the signed payload at
`hall.public_url`/verify, as on the roll) with its code. Every page ends "第N页/共M页".

Fonts: the primary CJK font and the fallback chain of onevisit.core.fonts (fpdf2 `add_font` +
`set_fallback_fonts`), so a name such as 孙䶮 is drawn from Hanazono; a character no font covers is
refused before rendering (GlyphsMissing), never printed as □.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image, ImageFont

from onevisit.core.fonts import covers, font_chain, font_for, font_for_char, require_glyphs
from onevisit.records.certificate import LEGEND, Certificate
from onevisit.records.months import months_between, zh_month
from onevisit.records.render import draw_seal, make_qr, money, month_dot

MARGIN = 18  # mm: what a bank's or a visa office's scanner keeps
BODY_PT, SMALL_PT, TABLE_PT = 11, 9, 9.5
SEAL_MM = 40  # diameter of a hall's round 业务专用章
SEAL_RED = (214, 0, 0)


def red_seal(agency: str, configured: str | None = None, px: int = 600) -> Image.Image:
    """The round seal drawn as an RGBA image, transparent outside the red ink, so the agency's name
    printed under it stays readable. Drawn by `draw_seal` (as on the roll), then coloured."""
    path = str(font_for(agency + "业务专用章", configured))
    radius = px // 2 - 6
    gray = Image.new("L", (px, px), 255)
    draw_seal(
        gray,
        (px // 2, px // 2),
        radius,
        agency,
        ImageFont.truetype(path, max(11, radius // 5)),
        ImageFont.truetype(path, max(10, radius // 6)),
    )
    ink = gray.point(lambda v: 255 - v)
    seal = Image.new("RGBA", (px, px), (*SEAL_RED, 0))
    seal.putalpha(ink.point(lambda v: int(v * 0.85)))  # real seal ink lets the paper show through
    return seal


class CertificatePdf(FPDF):
    def __init__(self, cert: Certificate, configured_font: str | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.cert = cert
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 6)
        self.set_title(f"参保证明 {cert.serial}")
        self.set_creator("OneVisit 一号到底")
        self.set_author(cert.agency)
        chain = font_chain(configured_font)
        self.add_font("cjk", "", str(chain[0]))
        # Only the fallbacks this certificate needs: parsing a 30 MB Hanazono file costs seconds, and
        # every other character is in the primary font (our own wording is checked by doctor).
        needed = {font_for_char(ch, configured_font) for ch in cert.free_text if not covers(chain[0], ch)}
        fallbacks = []
        for i, path in enumerate(chain[1:], start=1):
            if path in needed:
                self.add_font(f"cjk{i}", "", str(path))
                fallbacks.append(f"cjk{i}")
        if fallbacks:
            self.set_fallback_fonts(fallbacks, exact_match=False)
        self.alias_nb_pages("{nb}")

    def header(self) -> None:
        if self.page_no() == 1:
            return
        c = self.cert
        self.set_font("cjk", size=13)
        self.cell(0, 8, "参保证明（续）", align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font("cjk", size=SMALL_PT)
        self.cell(0, 5, f"证明编号：{c.serial}    姓名：{c.name}    身份证号：{c.id_masked}", align="C")
        self.ln(7)
        self.line(MARGIN, self.get_y(), self.w - MARGIN, self.get_y())
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-MARGIN)
        self.set_font("cjk", size=SMALL_PT)
        self.cell(0, 5, f"第{self.page_no()}页/共{{nb}}页", align="C")


def render_a4_pdf(cert: Certificate, timezone: str = "Asia/Shanghai", font: str | None = None) -> bytes:
    """The certificate as A4 PDF bytes (210 × 297 mm pages). Raises GlyphsMissing when a name or
    employer has a character no installed font draws."""
    require_glyphs(cert.free_text, font, "参保证明", "certificate")
    c = cert
    pdf = CertificatePdf(c, font)
    pdf.add_page()
    width = pdf.w - 2 * MARGIN

    pdf.set_font("cjk", size=24)
    pdf.cell(0, 13, "参  保  证  明", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=SMALL_PT)
    pdf.cell(0, 5, "（社会保险个人参保缴费证明）", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.cell(width / 2, 6, f"证明编号：{c.serial}")
    pdf.cell(width / 2, 6, f"证明期间：{c.range_label}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_line_width(0.5)
    pdf.line(MARGIN, pdf.get_y() + 1, pdf.w - MARGIN, pdf.get_y() + 1)
    pdf.set_line_width(0.2)
    pdf.ln(4)

    pdf.set_font("cjk", size=BODY_PT)
    employer = next((i.employer for i in c.insurances if i.employer), "")
    label = "参保身份" if employer == "城乡居民个人缴费" else "参保单位"
    person = [
        ("姓　　名", c.name, "性　　别", c.gender),
        ("身份证号", c.id_masked, "证明期间", f"{zh_month(c.since)}至{zh_month(c.until)}"),
    ]
    with pdf.table(
        col_widths=(22, 58, 22, 72), text_align="LEFT", first_row_as_headings=False, line_height=7
    ) as table:
        for row in person:
            table.row(row)
        if employer:
            r = table.row()
            r.cell(label)
            r.cell(employer, colspan=3)
    pdf.ln(4)

    pdf.set_font("cjk", size=13)
    pdf.cell(0, 8, "一、参保情况", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=TABLE_PT)
    heads = FontFace(emphasis="NONE", fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=(40, 20, 36, 18, 60), text_align="CENTER", headings_style=heads, line_height=6.5
    ) as table:
        table.row(["险种", "参保状态", "参保期间", "累计月数", "参保单位"])
        for line in c.insurances:
            end = "至今" if line.last_month is None else month_dot(line.last_month)
            table.row(
                [
                    line.name_zh,
                    line.status,
                    f"{month_dot(line.first_month)}—{end}",
                    f"{line.paid_months}个月",
                    line.employer,
                ]
            )
    if c.pension_note:
        pdf.set_font("cjk", size=SMALL_PT)
        pdf.multi_cell(0, 5, c.pension_note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font("cjk", size=13)
    pdf.cell(0, 8, "二、缴费明细", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=SMALL_PT)
    pdf.cell(width / 2, 5, f"所属期：{month_dot(c.since)}—{month_dot(c.until)}")
    pdf.cell(width / 2, 5, "单位：元", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=TABLE_PT)
    if not c.rows:
        why = "（已退休，按月领取基本养老金）" if c.pension_note else ""
        pdf.multi_cell(0, 7, f"本期间内无缴费记录{why}。", new_x="LMARGIN", new_y="NEXT")
    else:
        with pdf.table(
            col_widths=(24, 30, 30, 30, 34, 26),
            text_align=("CENTER", "RIGHT", "RIGHT", "RIGHT", "CENTER", "CENTER"),
            headings_style=heads,
            line_height=5.6,
            repeat_headings=1,
        ) as table:
            table.row(["所属期", "缴费基数", "单位缴费", "个人缴费", "险种", "状态"])
            for row in c.rows:
                if row.kind == "gap":
                    n = months_between(row.month, row.last_month)
                    r = table.row()
                    r.cell(f"{month_dot(row.month)}—{month_dot(row.last_month)}", colspan=2)
                    r.cell(f"未缴费（中断{n}个月）", colspan=4)
                    continue
                table.row(
                    [
                        month_dot(row.month),
                        money(row.base),
                        money(row.employer_amount),
                        money(row.personal_amount),
                        row.types,
                        "已缴" if row.kind == "paid" else "欠缴",
                    ]
                )
    employer_total, personal_total, months = c.totals
    pdf.ln(2)
    pdf.set_font("cjk", size=SMALL_PT)
    if months:
        pdf.multi_cell(
            0,
            5,
            f"合计：已缴费{months}个月，单位缴费{money(employer_total)}元，个人缴费{money(personal_total)}元。",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        used = {t for r in c.rows for t in r.types}
        legend = [item for item in LEGEND if item[0] in used]
        if legend:
            pdf.multi_cell(
                0, 5, "险种：" + "　".join(f"{a}={name}" for a, name in legend), new_x="LMARGIN", new_y="NEXT"
            )
    _closing(pdf, c, timezone, font)
    return bytes(pdf.output())


CLOSING_MM = 112  # statement + seal block + notes + QR: kept on one page


def _closing(pdf: CertificatePdf, c: Certificate, timezone: str, font: str | None) -> None:
    """Statement, issuing body with the seal, notes and the verification block, on one page."""
    if pdf.get_y() + CLOSING_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("cjk", size=BODY_PT)
    indent = 2 * pdf.get_string_width("证")  # two characters, as Chinese official letters have
    pdf.set_x(MARGIN + indent)
    pdf.multi_cell(
        0,
        7,
        f"兹证明{c.name}（身份证号{c.id_masked}）在我中心参加社会保险，参保及缴费情况如上。",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_x(MARGIN + indent)
    pdf.cell(0, 7, "特此证明。", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    local = c.issued_at.astimezone(ZoneInfo(timezone)) if c.issued_at.tzinfo else c.issued_at
    lines = [f"出具机构：{c.agency}", f"打印时间：{local:%Y年%m月%d日 %H:%M}"]
    top = pdf.get_y()
    right = pdf.w - MARGIN
    text_w = max(pdf.get_string_width(t) for t in lines) + 2
    text_right = right - SEAL_MM + 5
    for i, text in enumerate(lines):
        pdf.set_xy(text_right - text_w, top + 4 + i * 8)
        pdf.cell(text_w, 7, text)
    # The seal touches the end of the issuing body's line, as a stamp does, without hiding the
    # agency's name or the print time (a reader and a scanner must still read them).
    pdf.image(red_seal(c.agency, font), x=right - SEAL_MM, y=top - 9, w=SEAL_MM, h=SEAL_MM)
    pdf.set_xy(MARGIN, top + SEAL_MM - 4)
    pdf.set_draw_color(120)
    pdf.set_dash_pattern(dash=1, gap=1)
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.set_dash_pattern()
    pdf.set_draw_color(0)
    pdf.ln(3)
    pdf.set_font("cjk", size=SMALL_PT)
    address = c.verify_url.split("#", 1)[0]
    notes = [
        f"本证明所列信息截至{zh_month(c.until)}，以社会保险经办机构核定为准。",
        "本证明由自助终端打印，无需另行盖章，复印无效。",
        f"扫描右侧二维码，或访问 {address} 输入证明编号和验证码，可核验真伪。",
    ]
    qr_mm = 34
    y = pdf.get_y()
    for i, note in enumerate(notes, start=1):
        pdf.set_x(MARGIN)
        pdf.multi_cell(
            pdf.w - 2 * MARGIN - qr_mm - 6, 5, f"{i}. {note}", align="L", new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(2)
    pdf.set_font("cjk", size=SMALL_PT)
    pdf.cell(18, 6, "验证码：")
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 6, c.verification_code, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=SMALL_PT)
    pdf.cell(0, 6, f"证明编号：{c.serial}", new_x="LMARGIN", new_y="NEXT")
    # 6 px per module at ~300 dpi keeps the QR crisp on a laser and readable by phones at 34 mm.
    qr = make_qr(c.verify_url, 6)
    pdf.image(qr, x=pdf.w - MARGIN - qr_mm, y=y, w=qr_mm, h=qr_mm)
