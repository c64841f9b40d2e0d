"""What a ticket, a self-test page and a page of images look like on paper.

Devices never import the queue: the hall or the kiosk fills a `TicketPrint` from its queue Ticket
(see `onevisit.commands.printer` for the conversion) and the printer lays it out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from PIL import Image

from onevisit.core import waits
from onevisit.core.config import PrinterConfig
from onevisit.devices.printer.layout import JobBuilder

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
REMINDER_ZH = "请留意叫号，过号请到自助机重新签到"
REMINDER_EN = "Missed your number? Check in again at a kiosk."


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on a ticket, already in words; no personal data."""

    hall_name: str
    number: str
    matters_zh: list[str]
    position: int  # 1 = next to be called for the first matter
    ahead: int
    wait_minutes: float
    issued_at: dt.datetime
    windows: list[int]  # windows serving the first matter
    status_url: str
    short_code: str = ""
    hall_name_en: str = ""
    priority: bool = False
    priority_label: str = "优先 Priority"
    note: str = ""
    extra_lines: list[str] = field(default_factory=list)
    # The hall's estimate as shown on screens (policy.WaitEstimate low/high); None: from wait_minutes
    wait_low: int | None = None
    wait_high: int | None = None


def wait_text(ahead: int, low: int, high: int) -> tuple[list[str], str]:
    """Chinese lines (kept short: one idea per line for elderly readers) and one English line.

    low/high: the hall's estimate in whole minutes, worded by core.waits as on every screen.
    """
    if ahead <= 0:
        return ["您是下一位，请留意叫号"], "You are next"
    low, high = max(low, 1), max(high, 1)  # someone ahead: never "0 分钟"
    return (
        [f"前面还有 {ahead} 人", f"预计等候{waits.say(low, high, 'zh')}"],
        f"{ahead} ahead of you, {waits.say(low, high, 'en')}",
    )


def windows_text(windows: list[int]) -> str:
    return "、".join(str(w) for w in windows)


def build_ticket(t: TicketPrint, cfg: PrinterConfig) -> bytes:
    """The ticket's job bytes for this printer's width and Chinese mode."""
    b = JobBuilder.for_config(cfg)
    narrow = cfg.width < 576
    b.feed(8)
    b.text(t.hall_name, scale=1.2 if narrow else 1.4, bold=True, align="center")
    if t.hall_name_en:
        b.text(t.hall_name_en, small=True, align="center")
    b.rule()
    b.text("您的号码  Your number", align="center")
    b.text(t.number, scale=5 if narrow else 7, bold=True, align="center")
    if t.priority:
        b.text(f" {t.priority_label} ", scale=1.2, bold=True, align="center", invert=True)
        b.feed(10)
    b.rule()
    b.text("办理事项  Your matters", bold=True)
    for i, matter in enumerate(t.matters_zh):
        mark = CIRCLED[i] if i < len(CIRCLED) else f"{i + 1}."
        b.text(f"{'' if i == 0 else '→ '}{mark} {matter}", scale=1.2)
    b.feed(8)
    low, high = (t.wait_low, t.wait_high) if t.wait_high is not None else waits.bounds(t.wait_minutes)
    zh_lines, en = wait_text(t.ahead, low or 0, high)
    for line in zh_lines:
        b.text(line, scale=1.2, bold=True)
    b.text(en, small=True)
    if t.windows:
        b.text(f"办理窗口：{windows_text(t.windows)} 号窗口")
        b.text(f"Window {', '.join(map(str, t.windows))}", small=True)
    b.text(f"取号时间：{t.issued_at:%Y-%m-%d %H:%M}")
    for line in t.extra_lines:
        b.text(line)
    b.rule()
    b.qr(t.status_url, module=4 if narrow else 6)
    b.text("手机扫码 查看实时排队进度", align="center")
    b.text("Scan for your live queue status", small=True, align="center")
    if t.short_code:
        b.text(f"查询码 {t.short_code}", align="center")
    b.rule()
    reminder = REMINDER_ZH.replace("，", "\n") if narrow else REMINDER_ZH
    b.text(reminder, bold=True, align="center")
    b.text(REMINDER_EN, small=True, align="center")
    if t.note:
        b.text(t.note, small=True, align="center")
    return b.cut()


def build_selftest(cfg: PrinterConfig, url: str, status: dict[str, object], now: dt.datetime) -> bytes:
    """A technician's test page: text sizes, Chinese in this mode, a GBK-less character, raster,
    QR, and the settings the kiosk uses."""
    b = JobBuilder.for_config(cfg)
    b.text("打印机自检 Printer self-test", scale=1.5, bold=True, align="center")
    b.text(f"{now:%Y-%m-%d %H:%M:%S}", align="center")
    b.rule()
    b.text(f"URL: {url}", small=True)
    b.text(f"width {cfg.width} dots · chinese={cfg.chinese} · native_qr={cfg.native_qr}", small=True)
    b.text(
        f"paper={status.get('paper')} online={status.get('online')} fault={status.get('fault')}", small=True
    )
    b.rule()
    for scale in (1, 2, 3):
        b.text(f"x{scale} 社保 A012", scale=scale)
    b.text("粗体 Bold 0123456789", bold=True)
    b.text("居中 Centered", align="center")
    b.text("靠右 Right", align="right")
    b.text(" 反白 Inverted ", invert=True, align="center")
    b.text("GBK 以外的字符改为图像打印：€ ✓", align="left")  # not in GBK: raster even in GBK mode
    b.rule()
    b.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz", small=True)
    b.text("一二三四五六七八九十 养老 医疗 失业 工伤 生育", align="center")
    _ramp(b, cfg.width)
    b.qr("https://example.invalid/selftest?check=1", module=4)
    b.text("如能清晰看到以上内容，打印机正常。", align="center")
    b.text("If all of the above is crisp, the printer is fine.", small=True, align="center")
    return b.cut()


def _ramp(b: JobBuilder, width: int) -> None:
    """A stripe of dot columns: a missing stripe means a dead heating element on the head."""
    img = Image.new("1", (width, 24), 1)
    for x in range(0, width, 4):
        for y in range(24):
            img.putpixel((x, y), 0)
    b.image(img, align="left")


def build_pages(pages: list[Image.Image], cfg: PrinterConfig, *, cut_each: bool = False) -> bytes:
    """Raster pages (e.g. a certificate drawn by the records part) fitted to the paper width.

    Images wider than the paper are scaled down keeping their aspect; colour and grey are
    dithered to black dots. One job; a cut between pages when `cut_each`.
    """
    if not pages:
        raise ValueError("no pages to print")
    b = JobBuilder.for_config(cfg)
    for i, page in enumerate(pages):
        img = page
        if img.width > cfg.width:
            img = img.resize((cfg.width, round(img.height * cfg.width / img.width)), Image.Resampling.LANCZOS)
        img = img.convert("L").convert("1")
        b.image(img, align="center")
        if cut_each and i < len(pages) - 1:
            b.feed(40)
            b._d._raw(b"\x1bd\x04\x1dV\x00")
    return b.cut()
