"""[payment]: optional; with a url it needs a signing secret; URLs are http(s); unknown keys refused."""

from __future__ import annotations

import tomllib

import pytest

from onevisit.core.config import ConfigError, parse_config
from tests.conftest import REPO


@pytest.fixture
def raw():
    return tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))


def test_payment_is_off_by_default_and_read_when_given(raw):
    assert parse_config(raw).payment.url is None
    raw["payment"] = {
        "url": "http://127.0.0.1:8620/",
        "secret": "a-long-enough-secret",
        "notify_url": "http://10.0.0.5:8600/api/payments/notify",
    }
    payment = parse_config(raw).payment
    assert payment.url == "http://127.0.0.1:8620" and payment.wait_seconds == 180


@pytest.mark.parametrize(
    ("payment", "expected"),
    [
        ({"url": "http://127.0.0.1:8620", "secret": "short"}, "at least 16 characters"),
        ({"url": "ftp://pay", "secret": "a-long-enough-secret"}, "payment.url"),
        ({"notify_url": "hall:8600"}, "payment.notify_url"),
        ({"wait_seconds": 5}, "payment.wait_seconds"),
        ({"secrit": "typo"}, "payment.secrit"),
    ],
)
def test_bad_payment_config_is_refused_with_its_key(raw, payment, expected):
    raw["payment"] = payment
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert expected in str(info.value)
