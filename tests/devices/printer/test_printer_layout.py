"""Job bytes as the layout builds them: framing, Chinese modes, QR modes, widths, raster pages."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from onevisit.core.config import PrinterConfig
from onevisit.devices.printer.layout import JobBuilder
from onevisit.devices.printer.ticket import build_pages, build_ticket
from onevisit.sim.printer.render import render
from onevisit.sim.printer.tokenizer import tokenize
from tests.devices.printer.printer_samples import STATUS_URL, sample_ticket

ESC_INIT = b"\x1b@"
CUT = b"\x1dV\x00"


@pytest.mark.parametrize("chinese", ["gbk", "raster"])
@pytest.mark.parametrize("width", [576, 384])
@pytest.mark.parametrize("native_qr", [True, False])
def test_ticket_is_framed_fits_the_paper_and_its_qr_decodes(chinese, width, native_qr):
    cfg = PrinterConfig(chinese=chinese, width=width, native_qr=native_qr)
    data = build_ticket(sample_ticket(), cfg)
    assert data.startswith(ESC_INIT) and data.endswith(CUT)
    tokens = tokenize(data)
    assert all(t.value["width_bytes"] * 8 <= width for t in tokens if t.name == "raster")
    assert any(t.name == "qr" for t in tokens) == native_qr
    img = render(tokens, width)
    assert [r.text for r in zxingcpp.read_barcodes(img)] == [STATUS_URL]


def test_gbk_mode_sends_chinese_as_gbk_bytes():
    data = build_ticket(sample_ticket(), PrinterConfig(chinese="gbk"))
    assert data.startswith(ESC_INIT + b"\x1c&")
    assert "示范区社会保险服务大厅".encode("gbk") in data
    assert "参保登记/变更".encode("gbk") in data
    assert b"?" not in data.split(b"\x1d(k")[0]  # nothing replaced by question marks


def test_raster_mode_sends_no_text_bytes():
    data = build_ticket(sample_ticket(), PrinterConfig(chinese="raster"))
    assert "示范区".encode("gbk") not in data
    assert b"\x1c&" not in data


def test_characters_gbk_cannot_encode_fall_back_to_raster():
    b = JobBuilder(chinese="gbk")
    b.text("参保人 刘䶮")  # 䶮 (U+4DAE) is outside GBK
    b.text("普通的一行")
    data = b.cut()
    assert b.raster_lines == 1
    assert "普通的一行".encode("gbk") in data
    assert "刘".encode("gbk") not in data  # the whole line went as an image, not half as text
    names = [t.name for t in tokenize(data)]
    assert names.count("raster") == 1


def test_priority_ticket_shows_an_inverted_label():
    plain = tokenize(build_ticket(sample_ticket(), PrinterConfig(chinese="gbk")))
    marked = tokenize(
        build_ticket(sample_ticket(priority=True, priority_label="敬老优先"), PrinterConfig(chinese="gbk"))
    )
    assert not any(t.name == "invert" and t.value == 1 for t in plain)
    assert any(t.name == "invert" and t.value == 1 for t in marked)
    assert "敬老优先" in "".join(str(t.value) for t in marked if t.name == "text")


def test_next_in_line_says_so_instead_of_zero_ahead():
    tokens = tokenize(
        build_ticket(sample_ticket(ahead=0, position=1, wait_minutes=0), PrinterConfig(chinese="gbk"))
    )
    text = "".join(str(t.value) for t in tokens if t.name == "text")
    assert "您是下一位" in text and "前面还有 0 人" not in text


def test_pages_are_scaled_to_the_paper_and_framed():
    page = Image.new("RGB", (1240, 1754), "white")  # an A4 page at 150 dpi
    ImageDraw.Draw(page).rectangle((100, 100, 1140, 300), fill="black")
    data = build_pages([page, page], PrinterConfig(width=384), cut_each=True)
    assert data.startswith(ESC_INIT) and data.endswith(CUT)
    tokens = tokenize(data)
    rasters = [t.value for t in tokens if t.name == "raster"]
    assert all(r["width_bytes"] * 8 == 384 for r in rasters)
    assert [t.name for t in tokens].count("cut") == 2
    assert sum(r["height"] for r in rasters) == 2 * round(1754 * 384 / 1240)


def test_no_pages_is_an_error():
    with pytest.raises(ValueError, match="no pages"):
        build_pages([], PrinterConfig())
