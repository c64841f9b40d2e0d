"""The slips a citizen takes home from the kiosk: after certifying by face (proof of the date and
"certified until"), after reporting a 社保卡 lost (proof of when the loss took effect).

Drawn at the paper width with the CJK font, printed as a raster page by the kiosk printer. It
carries the masked ID and the masked name only, and no picture: frames never leave memory.
"""

from __future__ import annotations

import datetime as dt

from PIL import Image, ImageDraw, ImageFont

from onevisit.core.clock import hall_time
from onevisit.core.config import Config
from onevisit.core.fonts import cjk_font_path

Line = tuple[str, str, str]  # (text, size: title|big|body|small, align: left|center)


def slip(config: Config, title_zh: str, title_en: str, lines: list[Line]) -> Image.Image:
    """A receipt at the paper width (`printer.width` dots) in the CJK font: the hall's name, the
    title in both languages over a rule, then `lines` ("" text: a blank line). Grey-scale image."""
    width = config.printer.width
    font_path = str(cjk_font_path(config.printer.font))
    fonts = {
        size: ImageFont.truetype(font_path, points)
        for size, points in (("title", 40), ("big", 34), ("body", 26), ("small", 22))
    }
    head: list[Line] = [
        (config.hall.name, "small", "center"),
        (title_zh, "title", "center"),
        (title_en, "small", "center"),
    ]
    rows = head + lines
    margin, gap = 16, 10
    heights = [(fonts[size].getbbox("国Ag")[3] if text else 14) for text, size, _ in rows]
    height = sum(heights) + gap * len(rows) + 2 * margin + 20
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = margin
    for i, ((text, size, align), h) in enumerate(zip(rows, heights, strict=True)):
        font = fonts[size]
        if text:
            w = draw.textlength(text, font=font)
            x = (width - w) / 2 if align == "center" else margin
            draw.text((max(margin, x), y), text, font=font, fill=0)
        y += h + gap
        if i == len(head) - 1:  # the rule under the title
            draw.line((margin, y, width - margin, y), fill=0, width=2)
            y += gap
    return image


def certification_receipt(
    config: Config,
    *,
    id_masked: str,
    name_masked: str,
    certified_until: str,
    at: dt.datetime,
    attempts: int,
) -> Image.Image:
    return slip(
        config,
        "养老待遇资格认证回执",
        "Pension qualification certificate receipt",
        [
            ("", "body", "left"),
            (f"姓名 Name：{name_masked}", "body", "left"),
            (f"证件 ID：{id_masked}", "body", "left"),
            (f"认证方式：自助终端刷脸（{config.kiosk.name}）", "body", "left"),
            (f"认证时间：{hall_time(at, config.hall.timezone):%Y-%m-%d %H:%M}", "body", "left"),
            (f"尝试次数 Attempts：{attempts}", "body", "left"),
            ("", "body", "left"),
            ("认证结果：通过", "big", "left"),
            (f"有效期至 {certified_until}", "big", "left"),
            (f"Certified until {certified_until}", "small", "left"),
            ("", "body", "left"),
            ("请妥善保管。如有疑问请到窗口咨询。", "small", "left"),
            ("Keep this slip; ask at a window if anything is wrong.", "small", "left"),
        ],
    )


def card_loss_receipt(
    config: Config, *, id_masked: str, name_masked: str, card_tail: str, lost_at: dt.datetime
) -> Image.Image:
    """社保卡临时挂失回执: masked name and ID, the card's last 4 digits, when the loss took effect,
    and what to do next (解除挂失 and 补卡 at a window)."""
    return slip(
        config,
        "社保卡临时挂失回执",
        "Social security card loss report receipt",
        [
            ("", "body", "left"),
            (f"姓名 Name：{name_masked}", "body", "left"),
            (f"证件 ID：{id_masked}", "body", "left"),
            (f"卡号尾号 Card ending：{card_tail or '—'}", "body", "left"),
            (f"办理渠道：自助终端（{config.kiosk.name}）", "body", "left"),
            (f"挂失时间：{hall_time(lost_at, config.hall.timezone):%Y-%m-%d %H:%M}", "body", "left"),
            ("", "body", "left"),
            ("挂失状态：已临时挂失", "big", "left"),
            ("Status: reported lost", "small", "left"),
            ("", "body", "left"),
            ("找回卡片请本人携身份证到窗口解除挂失；", "small", "left"),
            ("补办新卡也请到窗口办理。", "small", "left"),
            ("Found it? Cancel the report at a window with", "small", "left"),
            ("your ID card; replacement cards at a window too.", "small", "left"),
        ],
    )


def pension_payment_receipt(
    config: Config,
    *,
    id_masked: str,
    name_masked: str,
    year: int,
    amount: str,
    order_id: str,
    paid_at: dt.datetime,
) -> Image.Image:
    """城乡居民养老保险缴费回执: masked name and ID, year, amount, order id and when it was paid."""
    return slip(
        config,
        "城乡居民养老保险缴费回执",
        "Resident pension contribution receipt",
        [
            ("", "body", "left"),
            (f"姓名 Name：{name_masked}", "body", "left"),
            (f"证件 ID：{id_masked}", "body", "left"),
            (f"缴费年度 Year：{year}", "body", "left"),
            (f"订单号：{order_id}", "small", "left"),
            (f"缴费渠道：自助终端扫码（{config.kiosk.name}）", "body", "left"),
            (f"到账时间：{hall_time(paid_at, config.hall.timezone):%Y-%m-%d %H:%M}", "body", "left"),
            ("", "body", "left"),
            (f"缴费金额：{amount} 元", "big", "left"),
            (f"Paid: {amount} yuan", "small", "left"),
            ("", "body", "left"),
            ("缴费已记入您的参保记录，可在“社保查询”中查看。", "small", "left"),
            ("Recorded in your social insurance record.", "small", "left"),
        ],
    )
