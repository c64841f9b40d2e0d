"""Codecs against recorded frames (tests/devices/boards/fixtures/frames.json) and fuzzed garbage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onevisit.devices.boards.codec import (
    Ack,
    BoardTextError,
    Command,
    CommandKind,
    Message,
    Nak,
    NakReason,
    Rejected,
    codec_for,
)
from onevisit.devices.boards.codec_default import DefaultCodec

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "frames.json").read_text(encoding="utf-8"))
CASES = [(codec, case) for codec, cases in FIXTURES.items() for case in cases]


def _expected(case: dict) -> Message:
    if "reply" in case:
        r = case["reply"]
        return Ack(r["address"]) if r["ok"] else Nak(r["address"], NakReason(r["reason"]))
    c = case["command"]
    return Command(
        c["address"],
        CommandKind(c["kind"]),
        text=c.get("text", ""),
        scroll=c.get("scroll", False),
        level=c.get("level", 0),
    )


def _encode(codec_name: str, case: dict) -> bytes:
    codec = codec_for(codec_name)
    if "reply" in case:
        r = case["reply"]
        return (
            codec.encode_ack(r["address"])
            if r["ok"]
            else codec.encode_nak(r["address"], NakReason(r["reason"]))
        )
    c = case["command"]
    kind = c["kind"]
    if kind == "text":
        return codec.encode_text(c["address"], c["text"], c["scroll"])
    if kind == "brightness":
        return codec.encode_brightness(c["address"], c["level"])
    return getattr(codec, f"encode_{kind}")(c["address"])


@pytest.mark.parametrize(("codec_name", "case"), CASES, ids=[f"{c}:{k['name']}" for c, k in CASES])
def test_recorded_frames_decode_and_encode_byte_for_byte(codec_name: str, case: dict) -> None:
    recorded = bytes.fromhex(case["hex"])
    assert codec_for(codec_name).decode(recorded) == [_expected(case)]
    assert _encode(codec_name, case) == recorded


@pytest.mark.parametrize(("codec_name", "case"), CASES, ids=[f"{c}:{k['name']}" for c, k in CASES])
def test_frames_split_into_single_bytes_still_decode(codec_name: str, case: dict) -> None:
    parser = codec_for(codec_name).parser()
    got: list[Message] = []
    for byte in bytes.fromhex(case["hex"]):
        got += parser.feed(bytes([byte]))
    assert got == [_expected(case)]
    assert parser.pending() == 0


def test_default_frame_layout_by_hand() -> None:
    # STX addr=3 cmd=PING len=0000 BCC=03^13^00^00=10 ETX
    assert DefaultCodec().encode_ping(3) == bytes.fromhex("02 03 13 00 00 10 03")
    # text "A": flags 00, payload 41; BCC = 07^10^00^02^00^41 = 0x54
    assert DefaultCodec().encode_text(7, "A") == bytes.fromhex("02 07 10 00 02 00 41 54 03")


def test_reply_decoding() -> None:
    codec = DefaultCodec()
    assert codec.decode_reply(bytes.fromhex("02 03 06 00 00 05 03")) == Ack(3)
    assert codec.decode_reply(b"\xff\x00" + codec.encode_nak(9, NakReason.BUSY)) == Nak(9, NakReason.BUSY)
    assert isinstance(codec.decode_reply(b"\x02\x03\x06"), Rejected)  # half a frame is no reply


def test_corrupted_checksum_is_rejected_with_its_address() -> None:
    frame = bytearray(DefaultCodec().encode_text(3, "A012 请到3号窗口"))
    frame[8] ^= 0x40
    (message,) = DefaultCodec().decode(bytes(frame))
    assert isinstance(message, Rejected)
    assert message.reason is NakReason.CHECKSUM and message.address == 3


def test_parser_resynchronises_after_noise_and_a_false_stx() -> None:
    codec = DefaultCodec()
    good = codec.encode_text(4, "B003 请到4号窗口")
    noise = b"\x00\xff\x02\x01garbage\x03"
    messages = codec.decode(noise + good)
    assert messages[-1] == Command(4, CommandKind.TEXT, text="B003 请到4号窗口")
    assert all(isinstance(m, Rejected) for m in messages[:-1])


def test_unknown_command_and_bad_payload() -> None:
    from onevisit.devices.boards.codec_default import frame

    (unknown,) = DefaultCodec().decode(frame(5, 0x7E, b"x"))
    assert isinstance(unknown, Rejected) and unknown.reason is NakReason.UNKNOWN_COMMAND
    (bad,) = DefaultCodec().decode(frame(5, 0x10, b"\x00\xff\xff"))  # not GB2312
    assert isinstance(bad, Rejected) and bad.reason is NakReason.BAD_PAYLOAD
    (line_bad,) = codec_for("line").decode(b"@005,B,99\r\n")
    assert isinstance(line_bad, Rejected) and line_bad.reason is NakReason.BAD_PAYLOAD


@pytest.mark.parametrize("codec_name", ["default", "line"])
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("A012 请到3号窗口 😀", "board_text_not_in_charset"),
        ("䶮", "board_text_not_in_charset"),  # a rare name character outside GB2312
        ("A012\r\n请到", "board_text_control"),
        ("号" * 600, "board_text_too_long"),
    ],
)
def test_unshowable_text_is_refused_before_the_wire(codec_name: str, text: str, code: str) -> None:
    with pytest.raises(BoardTextError) as info:
        codec_for(codec_name).encode_text(3, text)
    assert info.value.code == code
    assert info.value.zh and info.value.en


def test_addresses_and_levels_are_checked() -> None:
    codec = DefaultCodec()
    with pytest.raises(BoardTextError):
        codec.encode_ping(0)
    with pytest.raises(BoardTextError):
        codec.encode_brightness(3, 16)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), codec_name=st.sampled_from(["default", "line"]))
def test_parser_survives_any_bytes(data: bytes, codec_name: str) -> None:
    parser = codec_for(codec_name).parser()
    messages = parser.feed(data) + parser.flush_partial()
    assert all(isinstance(m, Command | Ack | Nak | Rejected) for m in messages)
    assert parser.pending() == 0


@settings(max_examples=200, deadline=None)
@given(
    noise=st.binary(max_size=200),
    text=st.text(alphabet="A0123456789 请到号窗口暂停服务→", max_size=40),
    cuts=st.lists(st.integers(min_value=1, max_value=50), max_size=20),
    codec_name=st.sampled_from(["default", "line"]),
)
def test_a_good_frame_after_garbage_and_a_quiet_gap_is_decoded(
    noise: bytes, text: str, cuts: list[int], codec_name: str
) -> None:
    codec = codec_for(codec_name)
    parser = codec.parser()
    parser.feed(noise)
    if codec_name == "line":
        parser.feed(b"\n")  # a line board resynchronises on the end of the line
    parser.flush_partial()  # the board's inter-character timeout after the noise
    frame = codec.encode_text(42, text)
    got: list[Message] = []
    pos = 0
    for cut in cuts:
        got += parser.feed(frame[pos : pos + cut])
        pos += cut
    got += parser.feed(frame[pos:])
    assert got[-1] == Command(42, CommandKind.TEXT, text=text)


@pytest.mark.parametrize("codec_name", ["default", "line"])
def test_typed_punctuation_reaches_a_gb2312_board_and_reads_back(codec_name: str) -> None:
    codec = codec_for(codec_name)
    for text in ("示范区·社保大厅", "暂停服务—请稍候", "暂停服务——请稍候"):
        frame = codec.encode_text(100, text)
        assert b"\xa1\xa4" in frame or b"\xa1\xaa" in frame  # the board's own glyph codes
        assert codec.decode(frame) == [Command(100, CommandKind.TEXT, text=text)]


@pytest.mark.parametrize("codec_name", ["default", "line"])
def test_each_board_has_its_own_charset(codec_name: str) -> None:
    codec = codec_for(codec_name, {3: "gbk", 100: "gb18030"})
    assert (codec.charset(3), codec.charset(100), codec.charset(1)) == ("gbk", "gb18030", "gb2312")
    with pytest.raises(BoardTextError) as info:
        codec.encode_text(1, "张喆 请到1号窗口")  # 喆 is GBK, not GB2312
    assert info.value.code == "board_text_not_in_charset"
    assert info.value.details["character"] == "喆" and "GB2312" in info.value.zh
    with pytest.raises(BoardTextError) as info:
        codec.encode_text(3, "孙䶮")  # Extension A: GB18030 only
    assert "GBK" in info.value.en and info.value.details["character"] == "䶮"
    frames = codec.encode_text(3, "张喆") + codec.encode_text(100, "孙䶮 请到3号窗口")
    assert codec.decode(frames) == [
        Command(3, CommandKind.TEXT, text="张喆"),
        Command(100, CommandKind.TEXT, text="孙䶮 请到3号窗口"),
    ]
    with pytest.raises(ValueError, match="unknown charset"):
        codec_for(codec_name, {3: "big5"})
