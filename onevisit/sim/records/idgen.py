"""Synthetic GB 11643 ID numbers for demo and test citizens.

Every number has a real county-level region code, a real birth date, a sequence whose last digit
carries the gender (odd male, even female) and a correct check digit, so it passes the same checks
a real card does. They are generated, not collected: no real person stands behind them.
"""

from __future__ import annotations

import datetime as dt
import random

from onevisit.core.identity import IdNumber, check_digit, parse_id

#: Real county-level codes (GB/T 2260), so the region part of a masked number reads naturally.
REGIONS: dict[str, str] = {
    "110105": "北京市朝阳区",
    "120101": "天津市和平区",
    "130102": "石家庄市长安区",
    "210102": "沈阳市和平区",
    "310104": "上海市徐汇区",
    "320102": "南京市玄武区",
    "330106": "杭州市西湖区",
    "350203": "厦门市思明区",
    "370102": "济南市历下区",
    "410105": "郑州市金水区",
    "420106": "武汉市武昌区",
    "430104": "长沙市岳麓区",
    "440305": "深圳市南山区",
    "500103": "重庆市渝中区",
    "510107": "成都市武侯区",
    "610113": "西安市雁塔区",
}


def make_id(region: str, born: dt.date, sequence: int, female: bool) -> IdNumber:
    """The number for a region, birth date and 3-digit sequence; the sequence's last digit is
    adjusted to the gender the way GB 11643 assigns it."""
    if region not in REGIONS:
        raise ValueError(f"unknown region code {region}")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence is three digits")
    if (sequence % 2 == 0) != female:
        sequence = sequence + 1 if sequence < 999 else sequence - 1
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return parse_id(first17 + check_digit(first17), today=dt.date(2100, 1, 1))


def random_id(rng: random.Random, born: dt.date, female: bool) -> IdNumber:
    return make_id(rng.choice(sorted(REGIONS)), born, rng.randrange(0, 1000), female)
