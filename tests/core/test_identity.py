"""GB 11643 ID numbers: checked at entry, stored only hashed and masked."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onevisit.core.identity import InvalidIdNumber, check_digit, mask_id, mask_name, parse_id, redact_ids

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


@given(st.from_regex(r"\A[1-6]\d{5}(19[3-9]\d|200\d)(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}\Z"))
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
