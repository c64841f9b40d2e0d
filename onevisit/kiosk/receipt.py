"""The slip a pensioner takes home after certifying by face: proof of the date and "certified until".

Drawn at the paper width with the CJK font, printed as a raster page by the kiosk printer. It
carries the masked ID and the masked name only, and no picture: frames never leave memory.
"""

from __future__ import annotations

import datetime as dt

from PIL import Image, ImageDraw, ImageFont

from onevisit.core.clock import hall_time
from onevisit.core.config import Config
from onevisit.core.fonts import cjk_font_path


def certification_receipt(
    config: Config,
    *,
    id_masked: str,
    name_masked: str,
    certified_until: str,
    at: dt.datetime,
    attempts: int,
) -> Image.Image:
    width = config.printer.width
    font_path = str(cjk_font_path(config.printer.font))
    title = ImageFont.truetype(font_path, 40)
    big = ImageFont.truetype(font_path, 34)
    body = ImageFont.truetype(font_path, 26)
    small = ImageFont.truetype(font_path, 22)
    lines: list[tuple[str, ImageFont.FreeTypeFont, str]] = [
        (config.hall.name, small, "center"),
        ("养老待遇资格认证回执", title, "center"),
        ("Pension qualification certificate receipt", small, "center"),
        ("", body, "left"),
        (f"姓名 Name：{name_masked}", body, "left"),
        (f"证件 ID：{id_masked}", body, "left"),
        (f"认证方式：自助终端刷脸（{config.kiosk.name}）", body, "left"),
        (f"认证时间：{hall_time(at, config.hall.timezone):%Y-%m-%d %H:%M}", body, "left"),
        (f"尝试次数 Attempts：{attempts}", body, "left"),
        ("", body, "left"),
        ("认证结果：通过", big, "left"),
        (f"有效期至 {certified_until}", big, "left"),
        (f"Certified until {certified_until}", small, "left"),
        ("", body, "left"),
        ("请妥善保管。如有疑问请到窗口咨询。", small, "left"),
        ("Keep this slip; ask at a window if anything is wrong.", small, "left"),
    ]
    margin, gap = 16, 10
    heights = [(f.getbbox("国Ag")[3] if text else 14) for text, f, _ in lines]
    height = sum(heights) + gap * len(lines) + 2 * margin + 20
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = margin
    for (text, font, align), h in zip(lines, heights, strict=True):
        if text:
            w = draw.textlength(text, font=font)
            x = (width - w) / 2 if align == "center" else margin
            draw.text((max(margin, x), y), text, font=font, fill=0)
        y += h + gap
        if text == "Pension qualification certificate receipt":
            draw.line((margin, y, width - margin, y), fill=0, width=2)
            y += gap
    return image
