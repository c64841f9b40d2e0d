"""GB 11643 ID numbers: checked at entry, stored only hashed and masked."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onevisit.core.identity import (
    InvalidIdNumber,
    UnsupportedIdCard,
    check_digit,
    mask_id,
    mask_name,
    parse_id,
    redact_ids,
)

TODAY = dt.date(2026, 11, 23)


def test_valid_number_parses_with_birth_date_age_and_gender():
    person = parse_id("11010519491231002x", TODAY)  # lower-case x from a keypad is accepted
    assert person.value == "11010519491231002X"
    assert person.birth_date == dt.date(1949, 12, 31)
    assert person.age_on(TODAY) == 76
    assert person.is_female
    assert str(person) == repr(person) == "110105********002X"  # never the full number by accident


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "id_length"),
        ("1101051949123100211", "id_length"),
        ("11010519491231002Y", "id_characters"),
        ("1101051949123A002X", "id_characters"),
        ("110105194913310021", "id_birth_date"),
        ("110105203001010011", "id_birth_date"),
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_invalid_numbers_say_what_is_wrong(raw, code):
    with pytest.raises(InvalidIdNumber) as error:
        parse_id(raw, TODAY)
    assert error.value.code == code


# [0-9], not \d: hypothesis's \d draws any script's digits, and those are a different case below.
@given(
    st.from_regex(r"\A[1-6][0-9]{5}(19[3-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z")
)
def test_every_single_digit_error_is_caught(first17):
    number = first17 + check_digit(first17)
    assert parse_id(number, TODAY).value == number
    for i in range(17):
        wrong = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        with pytest.raises(InvalidIdNumber):
            parse_id(wrong, TODAY)


@given(st.text(max_size=40))
def test_parser_rejects_garbage_without_crashing(text):
    with contextlib.suppress(InvalidIdNumber):
        parse_id(text, TODAY)


def test_masking_and_redaction():
    assert mask_id("330106199001011234") == "330106********1234"
    assert mask_name("张三丰") == "张*丰" and mask_name("李四") == "李*" and mask_name("欧阳娜娜") == "欧**娜"
    assert redact_ids("号码 11010519491231002X 已核对") == "号码 110105********002X 已核对"


def test_keyed_hash_depends_on_the_hall_key():
    person = parse_id("11010519491231002X", TODAY)
    assert person.keyed_hash(b"a" * 32) != person.keyed_hash(b"b" * 32)
    assert person.value not in person.keyed_hash(b"a" * 32)


# -- as typed through a Chinese input method (issue "Inputs from the hall floor", kind 1) -----------

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
VALID_FIRST17 = st.from_regex(
    r"\A[1-6][0-9]{5}(19[3-9][0-9]|200[0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}\Z"
)
PAD = st.lists(st.sampled_from([" ", "\u3000", "\t"]), max_size=3).map("".join)


def test_the_reported_full_width_number_is_the_ascii_one():
    person = parse_id("１１０１０５１９４９１２３１００２X", TODAY)  # 17 full-width digits, ASCII X
    assert person.value == "11010519491231002X"
    assert person.keyed_hash(b"k") == parse_id("11010519491231002X", TODAY).keyed_hash(b"k")


def test_eighteen_full_width_digits_are_not_a_wrong_check_digit():
    number = "110105194912310011"
    first17 = number[:17]
    number = first17 + check_digit(first17)
    assert parse_id(number.translate(FULL_WIDTH), TODAY).value == number


@given(
    VALID_FIRST17,
    st.lists(st.booleans(), min_size=18, max_size=18),
    st.sampled_from(["X", "x", "Ｘ", "ｘ", "×"]),
    PAD,
    PAD,
    st.booleans(),
)
def test_any_mix_of_widths_cases_and_padding_is_one_number(first17, wide, x, before, after, grouped):
    """Each character full- or half-width at random, any spelling of X, spaces or U+3000 around
    (and between the 6·8·4 groups, as people copy it from a card): the same ID or nothing."""
    number = first17 + check_digit(first17)
    typed = "".join(c.translate(FULL_WIDTH) if w else c for c, w in zip(number, wide, strict=True))
    if number.endswith("X"):
        typed = typed[:17] + x
    if grouped:
        typed = f"{typed[:6]} {typed[6:14]}\u3000{typed[14:]}"
    assert parse_id(before + typed + after, TODAY).value == number


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=18, max_size=18))
def test_digits_of_other_scripts_are_refused_never_crash(digits):
    """Arabic-Indic, Devanagari… digits are not folded by NFKC: refused by name, never a traceback."""
    try:
        parsed = parse_id(digits, TODAY)
    except InvalidIdNumber as exc:
        assert exc.code.startswith("id_")
    else:
        assert parsed.value.isascii()


@pytest.mark.parametrize(
    "raw",
    [
        "911000156060101019",  # 2017 format: 9, issuing province, nationality, birth, sequence, check
        "９１１０００１５６０６０１０１０１９",  # the same typed full-width
        "USA310060101011",  # the older 15-character format: nationality letters and 12 digits
        "usa 310060101011",
    ],
)
def test_a_foreigners_permanent_residence_card_is_not_supported_here_not_invalid(raw):
    with pytest.raises(UnsupportedIdCard) as error:
        parse_id(raw, TODAY)
    assert error.value.code == "id_card_type_unsupported"
    assert "外国人永久居留身份证" in error.value.zh and "window" in error.value.en
