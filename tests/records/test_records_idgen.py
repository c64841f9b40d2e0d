"""Synthetic ID numbers pass GB 11643 and carry the gender and region they were made with."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onevisit.core.identity import parse_id
from onevisit.sim.records.demo_people import demo_citizens
from onevisit.sim.records.idgen import REGIONS, make_id, random_id
from onevisit.sim.records.synthetic import random_citizen


@given(
    born=st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2008, 12, 31)),
    female=st.booleans(),
    seq=st.integers(0, 999),
    region=st.sampled_from(sorted(REGIONS)),
)
def test_made_ids_are_valid_and_match_gender_and_birth(born, female, seq, region):
    number = make_id(region, born, seq, female)
    again = parse_id(number.value)  # check digit, shape and birth date
    assert again.birth_date == born
    assert again.is_female == female
    assert number.value[:6] == region


def test_unknown_region_is_refused():
    with pytest.raises(ValueError):
        make_id("999999", dt.date(1980, 1, 1), 1, False)


def test_random_citizens_have_valid_ids_and_consistent_gender():
    rng = random.Random(42)
    seen = set()
    for _ in range(300):
        citizen = random_citizen(rng, dt.date(2026, 11, 23))
        parsed = parse_id(citizen.id_number.value)
        assert (citizen.gender == "女") == parsed.is_female
        assert parsed.age_on(dt.date(2026, 11, 23)) >= 18
        seen.add(parsed.value)
    assert len(seen) > 290  # numbers practically never repeat


def test_random_ids_reproduce_from_a_seed():
    a = [random_id(random.Random(5), dt.date(1990, 5, 5), True).value for _ in range(3)]
    b = [random_id(random.Random(5), dt.date(1990, 5, 5), True).value for _ in range(3)]
    assert a == b


def test_demo_citizens_are_fixed_and_valid():
    first = demo_citizens(dt.date(2026, 11, 23))
    later = demo_citizens(dt.date(2027, 3, 1))
    assert [c.id_number.value for c in first] == [c.id_number.value for c in later]
    assert len({c.id_number.value for c in first}) == len(first) == 9
    for c in first:
        assert (c.gender == "女") == parse_id(c.id_number.value).is_female
    # The ≥70 priority case stays ≥70.
    elderly = next(c for c in first if c.demo_key == "elderly_priority")
    assert elderly.id_number.age_on(dt.date(2026, 11, 23)) >= 70
