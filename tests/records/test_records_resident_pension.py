"""The resident pension (城乡居民养老保险) in the demo records: the year's levels with what each
means, what is paid, payment orders made idempotently, settled once, cancelled when abandoned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from onevisit.records.backend import NotResident, PaymentRefused
from onevisit.sim.records.demo_backend import demo_id
from tests.records.conftest import NOW

YEAR = NOW.year


def test_levels_and_what_is_paid(backend):
    who = demo_id("resident_pension", NOW.date())
    this_year = backend.resident_pension_year(who, YEAR)
    assert this_year.due and this_year.paid is None
    amounts = [lv.amount for lv in this_year.levels]
    assert amounts == sorted(amounts) and Decimal("200.00") in amounts and Decimal("2000.00") in amounts
    level = next(lv for lv in this_year.levels if lv.amount == Decimal("500"))
    assert level.subsidy == Decimal("80.00")
    # (500 + 80) × 15 ÷ 139 ≈ 63 yuan a month from the personal account
    assert "每年缴500元" in level.meaning_zh and "约63元" in level.meaning_zh and "63" in level.meaning_en
    last_year = backend.resident_pension_year(who, YEAR - 1)
    assert not last_year.due and last_year.paid == Decimal("900.00")
    with pytest.raises(NotResident):
        backend.resident_pension_year(demo_id("long_history", NOW.date()), YEAR)


def test_an_order_is_idempotent_settled_once_and_recorded(backend):
    who = demo_id("resident_pension", NOW.date())
    order = backend.create_payment_order(who, YEAR, Decimal("500"), "RP-test-0001", NOW)
    assert (
        order.state == "open" and order.amount == Decimal("500.00") and order.id_masked.startswith("500103")
    )
    assert backend.create_payment_order(who, YEAR, Decimal("500"), "RP-test-0001", NOW) == order
    paid = backend.settle_payment_order("RP-test-0001", NOW + dt.timedelta(minutes=1), "txn-1")
    assert paid.state == "paid" and paid.settled_at == NOW + dt.timedelta(minutes=1)
    # a duplicate and a late notification change nothing
    assert backend.settle_payment_order("RP-test-0001", NOW + dt.timedelta(minutes=5), "txn-1") == paid
    assert backend.cancel_payment_order("RP-test-0001", NOW + dt.timedelta(minutes=6)) == paid
    assert backend.resident_pension_year(who, YEAR).paid == Decimal("500.00")
    rows = [c for c in backend.contributions(who, since=f"{YEAR}-01") if c.insurance == "pension_resident"]
    assert [(c.month, c.personal_amount, c.employer_amount) for c in rows] == [
        (f"{YEAR}-06", Decimal("500.00"), Decimal("80.00"))
    ]
    with pytest.raises(PaymentRefused) as info:
        backend.create_payment_order(who, YEAR, Decimal("500"), "RP-test-0002", NOW)
    assert info.value.code == "already_paid"


def test_an_abandoned_order_is_cancelled_and_never_paid_after(backend):
    who = demo_id("resident_pension", NOW.date())
    backend.create_payment_order(who, YEAR, Decimal("300"), "RP-test-0003", NOW)
    cancelled = backend.cancel_payment_order("RP-test-0003", NOW + dt.timedelta(minutes=3))
    assert cancelled.state == "cancelled"
    with pytest.raises(PaymentRefused) as info:
        backend.settle_payment_order("RP-test-0003", NOW + dt.timedelta(minutes=4), "txn-late")
    assert info.value.code == "order_closed"
    assert backend.resident_pension_year(who, YEAR).due


def test_refusals(backend):
    who = demo_id("resident_pension", NOW.date())
    for amount, code in ((Decimal("450"), "invalid_level"),):
        with pytest.raises(PaymentRefused) as info:
            backend.create_payment_order(who, YEAR, amount, "RP-test-0004", NOW)
        assert info.value.code == code and info.value.zh
    with pytest.raises(PaymentRefused) as info:
        backend.payment_order("RP-nope")
    assert info.value.code == "order_not_found"
