"""The ESC/POS tokenizer on recorded byte streams (tests/devices/printer/fixtures) and hand-written edges."""

from __future__ import annotations

from pathlib import Path

import pytest

from onevisit.sim.printer.render import render
from onevisit.sim.printer.tokenizer import TokenizeError, Tokenizer, tokenize

FIXTURES = Path(__file__).resolve().parents[1] / "devices" / "printer" / "fixtures"


def names(tokens):
    return [t.name for t in tokens]


@pytest.mark.parametrize(
    "fixture", ["ticket-gbk-576.bin", "ticket-raster-384.bin", "selftest-gbk-576.bin", "escpos-library.bin"]
)
def test_recorded_jobs_tokenize_completely_and_losslessly(fixture):
    data = (FIXTURES / fixture).read_bytes()
    tokens = tokenize(data)
    assert b"".join(t.raw for t in tokens) == data  # every byte belongs to exactly one token
    assert tokens[0].name == "init" and tokens[-1].name == "cut"
    offsets = [t.offset for t in tokens]
    assert offsets == sorted(offsets) and offsets[0] == 0


def test_gbk_ticket_decodes_its_chinese_text():
    tokens = tokenize((FIXTURES / "ticket-gbk-576.bin").read_bytes())
    assert names(tokens)[:2] == ["init", "chinese_on"]
    text = "".join(str(t.value) for t in tokens if t.name == "text")
    for expected in ("示范区社会保险服务大厅", "A012", "参保登记/变更", "请留意叫号，过号请到自助机重新签到"):
        assert expected in text
    qr = [t.value for t in tokens if t.name == "qr"]
    assert {"fn": "store", "data": b"http://127.0.0.1:8600/t/A012?c=X7K2QP"} in qr
    assert {"fn": "print"} in qr
    sizes = [t.value for t in tokens if t.name == "size"]
    assert 0x66 in sizes  # the number at 7x: GS ! 0x66


def test_raster_ticket_is_images_only():
    tokens = tokenize((FIXTURES / "ticket-raster-384.bin").read_bytes())
    assert "text" not in names(tokens)
    assert "qr" not in names(tokens)  # native_qr off: the QR is an image too
    rasters = [t.value for t in tokens if t.name == "raster"]
    assert rasters and all(r["width_bytes"] * 8 <= 384 for r in rasters)


def test_feeding_one_byte_at_a_time_gives_the_same_tokens():
    data = (FIXTURES / "ticket-gbk-576.bin").read_bytes()
    whole = tokenize(data)
    t = Tokenizer()
    pieces = []
    for i in range(len(data)):
        pieces.extend(t.feed(data[i : i + 1]))
    t.close()
    # text runs may be split differently; commands and the decoded text must match
    assert [x for x in names(pieces) if x != "text"] == [x for x in names(whole) if x != "text"]
    assert "".join(str(x.value) for x in pieces if x.name == "text") == "".join(
        str(x.value) for x in whole if x.name == "text"
    )


def test_gbk_character_split_across_chunks_is_held_back():
    t = Tokenizer()
    encoded = "社保".encode("gbk")
    assert names(t.feed(b"\x1c&" + encoded[:3])) == ["chinese_on", "text"]
    assert t.pending == 1
    rest = t.feed(encoded[3:] + b"\n")
    assert [x.value for x in rest if x.name == "text"] == ["保"]


def test_status_request_is_a_token_of_its_own():
    tokens = tokenize(b"\x1b@\x10\x04\x04AB\x10\x04\x01")
    assert [(t.name, t.value) for t in tokens if t.name == "status_request"] == [
        ("status_request", 4),
        ("status_request", 1),
    ]


def test_high_bytes_outside_chinese_mode_are_code_page_text():
    tokens = tokenize(b"\x1b@caf\x82\n")
    assert tokens[1].value == "café"
    # ESC @ leaves Chinese mode: the same bytes after a reset are single-byte again
    t = tokenize(b"\x1c&\xc9\xe7\x1b@\xc9\xe7")
    assert [x.value for x in t if x.name == "text"] == ["社", b"\xc9\xe7".decode("cp437")]


@pytest.mark.parametrize(
    ("data", "offset", "message"),
    [
        (b"\x1b@\x1bZ", 2, "unknown command ESC 0x5a ('Z')"),
        (b"\x1b@AB\x07", 4, "unknown control byte 0x07"),
        (b"\x1dQ", 0, "unknown command GS 0x51 ('Q')"),
        (b"\x1b@\x1d(L\x02\x000p", 2, "GS ( 0x4c ('L') (graphics; send images with GS v 0)"),
        (b"\x10\x05\x01", 0, "unknown command DLE 0x05"),
        (b"\x10\x04\x09", 0, "status request n must be 1-4"),
        (b"\x1dV\x07", 0, "cut mode 7"),
        (b"\x1d!\x88", 0, "more than 8x"),
        (b"\x1ba\x05", 0, "alignment 5"),
        (b"\x1dv0\x00\x00\x00\x01\x00", 0, "empty image"),
        (b"\x1d(k\x03\x000A2", 0, "cn=48 is not 49"),
        (b"\x1c&\xc9\x0a", 3, "not a GBK trail byte"),
        (b"\x1c&\x80", 2, "not a GBK lead byte"),
        (b"\x1b@\x1dv0\x00\x02\x00\x02\x00\xff", 2, "stream ends inside a command"),
        (b"\x1b", 0, "stream ends inside a command"),
    ],
)
def test_garbage_is_rejected_naming_the_byte_offset(data, offset, message):
    with pytest.raises(TokenizeError) as caught:
        tokenize(data)
    assert caught.value.offset == offset
    assert message in str(caught.value)
    assert f"byte offset {offset}" in str(caught.value)


def test_random_binary_is_rejected_not_printed():
    noise = bytes((i * 73 + 19) % 256 for i in range(400))
    with pytest.raises(TokenizeError):
        tokenize(noise)


def test_renderer_draws_sizes_alignment_raster_and_cut():
    img = render(tokenize((FIXTURES / "escpos-library.bin").read_bytes()), 576)
    assert img.width == 576
    # the centered double-size title has ink around the middle, not at the far left
    top = img.crop((0, 0, 576, 48))
    bbox = top.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert bbox is not None and bbox[0] > 150 and bbox[2] < 426
    assert img.height > 150
