"""SAM frames: recorded bytes parse to the card's fields; anything else is a clear error."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onevisit.devices.cardreader.frames import (
    CMD_FIND,
    SW_NO_CARD,
    SW_OK,
    CardReadError,
    FrameDecoder,
    decode_one,
    encode,
    encode_text,
    parse_read_response,
    read_data,
    response,
)
from onevisit.devices.cardreader.readers import card_fields

HERE = Path(__file__).parent
TODAY = dt.date(2026, 11, 23)


def recorded() -> bytes:
    lines = [ln for ln in (HERE / "recorded_read.hex").read_text().splitlines() if not ln.startswith("#")]
    return bytes.fromhex(" ".join(lines))


def test_recorded_read_frame_gives_the_card_fields():
    card = parse_read_response(decode_one(recorded()), today=TODAY)
    assert card.id_number.value == "11010519491231002X"
    assert card.name == "张三丰"
    assert card.gender == "女"
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.address.startswith("示范区")
    # nothing personal in its printable form
    assert "19491231" not in str(card) and "三" not in str(card)


def test_find_card_frame_matches_the_documented_bytes():
    assert encode(CMD_FIND) == bytes.fromhex("AAAAAA9669 0003 2001 22")


def test_frames_split_across_reads_and_after_line_noise():
    raw = b"\x00\xff\x13" + recorded() + response(SW_NO_CARD)
    decoder = FrameDecoder()
    frames = []
    for i in range(0, len(raw), 7):
        frames += decoder.feed(raw[i : i + 7])
    assert len(frames) == 2
    assert frames[1].sw3 == SW_NO_CARD


def test_bad_checksum_is_rejected_with_a_clear_error():
    raw = bytearray(recorded())
    raw[-1] ^= 0x01
    with pytest.raises(CardReadError) as err:
        decode_one(bytes(raw))
    assert err.value.code == "card_garbled"
    assert "checksum" in err.value.en and "读卡失败" in err.value.zh


def test_no_card_status_says_so():
    with pytest.raises(CardReadError) as err:
        parse_read_response(decode_one(response(SW_NO_CARD)))
    assert err.value.code == "card_absent"


def test_invalid_id_on_the_chip_is_refused():
    bad = encode_text(card_fields("110105194912310021", "李四"))  # wrong check digit
    with pytest.raises(CardReadError) as err:
        parse_read_response(decode_one(response(SW_OK, read_data(bad))), today=TODAY)
    assert err.value.code == "card_id_invalid"


@pytest.mark.parametrize(
    "padding",
    ["", "   ", "\x00\x00", "    \x00\x00\x00", "\u3000 \x00"],
    ids=["none", "spaces", "nuls", "spaces-then-nuls", "ideographic-space-nul"],
)
def test_a_padded_name_reads_without_its_padding(padding):
    """Readers in the field pad the 15-character name with spaces, NULs, or spaces then NULs."""
    fields = card_fields("11010519491231002X", "欧阳娜娜" + padding)
    card = parse_read_response(decode_one(response(SW_OK, read_data(encode_text(fields)))), today=TODAY)
    assert card.name == "欧阳娜娜"


@pytest.mark.parametrize("number", ["911000156060101019", "USA310060101011"])
def test_a_foreigners_permanent_residence_card_is_not_supported_not_garbled(number):
    fields = card_fields(number, "JOHN SMITH")
    with pytest.raises(CardReadError) as err:
        parse_read_response(decode_one(response(SW_OK, read_data(encode_text(fields)))), today=TODAY)
    assert err.value.code == "id_card_type_unsupported"
    assert "外国人永久居留身份证" in err.value.zh and "window" in err.value.en


def test_birth_field_disagreeing_with_the_number_is_garbled():
    fields = card_fields("11010519491231002X", "李四")
    fields["birth"] = "19500101"
    with pytest.raises(CardReadError, match="disagrees"):
        parse_read_response(decode_one(response(SW_OK, read_data(encode_text(fields)))), today=TODAY)


def test_wrong_lengths_are_garbled():
    text = encode_text(card_fields("11010519491231002X", "李四"))
    data = read_data(text, b"\x00" * 10)[:-3]
    with pytest.raises(CardReadError, match="lengths"):
        parse_read_response(decode_one(response(SW_OK, data)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_decoder_on_random_bytes_yields_frames_or_a_card_read_error(noise):
    decoder = FrameDecoder()
    try:
        frames = decoder.feed(noise)
    except CardReadError:
        return
    for frame in frames:
        with contextlib.suppress(CardReadError):
            parse_read_response(frame, today=TODAY)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=256, max_size=256), st.binary(max_size=64))
def test_random_text_blocks_with_valid_checksums_never_crash(text, photo):
    frame = decode_one(response(SW_OK, read_data(text, photo)))
    try:
        card = parse_read_response(frame, today=TODAY)
    except CardReadError as exc:
        assert exc.zh and exc.en
    else:  # astronomically unlikely, but if it parses it must be a valid number
        assert len(card.id_number.value) == 18


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 1294), st.integers(1, 255))
def test_any_single_corrupted_byte_is_caught(position, flip):
    raw = bytearray(recorded())
    raw[position] ^= flip
    try:
        frames = FrameDecoder().feed(bytes(raw))
        for frame in frames:
            parse_read_response(frame, today=TODAY)
    except CardReadError:
        return
    # a flip inside the preamble leaves no frame at all: nothing read, nothing wrong accepted
    assert position < 7 or not frames
