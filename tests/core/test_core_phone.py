"""Mobile numbers as typed: normalised, masked, and checked digit by digit on the kiosk keypad."""

from __future__ import annotations

import pytest

from onevisit.core.phone import BadPhone, mask_phone, normalize_phone, phone_problem


@pytest.mark.parametrize(
    "typed", ["13812341234", "138 1234 1234", "+86 138-1234-1234", "００８６１３８１２３４１２３４"]
)
def test_the_same_number_however_it_is_typed(typed):
    assert normalize_phone(typed) == "13812341234"
    assert mask_phone(normalize_phone(typed)) == "138****1234"


@pytest.mark.parametrize(
    "typed, zh",
    [
        ("", "请输入11位手机号码"),
        ("1381234123", "应为11位，您输入了10位"),
        ("1381234123x", "只能输入数字"),
        ("12812341234", "手机号码以13–19开头"),
    ],
)
def test_a_bad_number_says_what_is_wrong_in_both_languages(typed, zh):
    with pytest.raises(BadPhone) as caught:
        normalize_phone(typed)
    assert zh in caught.value.zh and caught.value.en.startswith("Mobile number not valid")


@pytest.mark.parametrize("typed", ["", "1", "13", "1381234", "19912341234"])
def test_digits_that_can_still_become_a_mobile_number_are_fine(typed):
    assert phone_problem(typed) is None


@pytest.mark.parametrize("typed", ["2", "12", "10", "125555"])
def test_a_wrong_start_is_said_at_once(typed):
    problem = phone_problem(typed)
    assert problem is not None and "13–19" in problem.zh and "13–19" in problem.en
