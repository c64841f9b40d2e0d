"""Ticket numbers as citizens type them (kind 2) and as they sort past 999 (kind 3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onevisit.queue import TicketState
from onevisit.queue import errors as e
from onevisit.queue.numbers import BadTicketNumber, canonical, format_number, number_order, parse_number
from onevisit.queue.policy import queue_order

WIDE = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}


@st.composite
def spellings(draw):
    """(prefix, seq, one way a person may type it): any case, zero padding, full-width characters
    and spaces or U+3000 around."""
    prefix = draw(st.sampled_from("ABCDEZ"))
    seq = draw(st.integers(1, 99999))
    digits = str(seq).zfill(draw(st.integers(len(str(seq)), 5)))
    text = draw(st.sampled_from([prefix, prefix.lower()])) + digits
    text = "".join(WIDE[c] if draw(st.booleans()) else c for c in text)
    pad = st.sampled_from(["", " ", "\u3000", "\t "])
    return prefix, seq, draw(pad) + text + draw(pad)


@given(spellings())
def test_every_spelling_of_a_number_is_that_number(case):
    prefix, seq, typed = case
    assert parse_number(typed) == (prefix, seq)
    assert canonical(typed) == format_number(prefix, seq)


def test_the_reported_spellings_are_one_ticket():
    assert {canonical(t) for t in ("a1", "A01", "A001", "ａ００１", "Ａ１", " A001\u3000")} == {"A001"}
    assert canonical("a1000") == "A1000" and canonical("A01000") == "A1000"


@pytest.mark.parametrize("typed", ["", " ", "A", "1", "AA1", "A0", "A000", "A123456", "甲1", "A-1", "A1B"])
def test_what_is_no_number_is_refused_by_name(typed):
    with pytest.raises(BadTicketNumber) as error:
        parse_number(typed)
    assert error.value.code == "bad_ticket_number" and error.value.status == 422
    assert "A012" in error.value.zh and "A012" in error.value.en


@given(st.lists(st.integers(1, 99999), min_size=2, max_size=30, unique=True))
def test_equal_queue_times_order_by_numeric_sequence(seqs):
    rows = [{"priority": 0, "sort_key": 100.0, "number": format_number("A", n)} for n in seqs]
    assert [number_order(r["number"])[1] for r in sorted(rows, key=queue_order)] == sorted(seqs)


def test_lookups_find_the_ticket_however_it_is_typed(service):
    issued = service.issue(["enroll"]).ticket
    assert issued.number == "A001"
    for typed in ("a1", "A01", "ａ００１", " A001 "):
        assert service.ticket(typed).number == "A001"
        assert service.ticket_by_code(typed, issued.short_code.lower()).number == "A001"
    with pytest.raises(e.TicketNotFound) as missing:
        service.ticket("a2")
    assert missing.value.details["number"] == "A002"  # the message names the number as printed


def test_a_missed_citizen_rechecks_in_with_the_number_as_typed(service):
    service.issue(["enroll"])
    service.call_next(1, "staff")
    service.skip(1, "staff")
    assert service.checkin("ａ１", "kiosk:k1").state == TicketState.WAITING
    assert service.call_number(1, "a01", "staff").number == "A001"


def test_a_typed_non_number_is_a_refusal_and_changes_nothing(service, unchanged):
    service.issue(["enroll"])
    with unchanged(), pytest.raises(BadTicketNumber):
        service.checkin("第一号", "kiosk:k1")


def test_past_999_the_call_order_and_positions_follow_the_number(service):
    """A daily cap above 999: A999, A1000 and A1001 issued in one second (a fixed clock: equal queue
    times) are called and counted in that order, not A1000 < A1001 < A999 as text would have it."""
    day = service._today()
    with service.store.transaction() as tx:  # the day's first 998 numbers, through the real counter
        for _ in range(998):
            tx.next_seq(day, "A")
    tickets = [service.issue(["enroll"]).ticket for _ in range(3)]
    assert [t.number for t in tickets] == ["A999", "A1000", "A1001"]
    assert [service.position(t).ahead for t in tickets] == [0, 1, 2]
    assert [service.call_next(w, "staff").number for w in (1, 2, 3)] == ["A999", "A1000", "A1001"]
