"""Synthetic citizens and contribution histories for the demo backend.

The numbers follow how an urban employee's record really looks: the contribution base is a
multiple of the previous year's average wage, clipped to 60%–300% of it, so it rises year by
year; employer and personal rates follow the national schedule (the pension employer rate fell
from 20% to 16% in May 2019; unemployment from 1.5% to 0.5%); a job change or a spell out of work
leaves a gap. Everything is derived from a seeded random generator, so a seed reproduces a set.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from onevisit.core.identity import IdNumber
from onevisit.records.months import add_months, month_of, month_range, parse_month
from onevisit.sim.records.idgen import random_id

CENT = Decimal("0.01")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN_MALE = [
    "建国",
    "志强",
    "伟",
    "军",
    "海涛",
    "明",
    "国华",
    "德胜",
    "永刚",
    "俊杰",
    "浩",
    "文斌",
    "立新",
    "鹏",
    "晓东",
]
GIVEN_FEMALE = [
    "秀英",
    "桂兰",
    "丽",
    "静",
    "淑珍",
    "玉梅",
    "海燕",
    "晓红",
    "艳",
    "婷",
    "慧敏",
    "雪梅",
    "春燕",
    "芳",
    "佳怡",
]

EMPLOYERS = [
    "杭州西子机电设备有限公司",
    "浙江华东建设集团有限公司",
    "武汉光谷电子科技有限公司",
    "武汉楚天物流有限公司",
    "上海申城百货有限公司",
    "成都天府食品股份有限公司",
    "深圳南山精密制造有限公司",
    "南京金陵医药连锁有限公司",
    "西安高新区云帆网络科技有限公司",
    "济南泉城物业服务有限公司",
    "长沙岳麓教育咨询有限公司",
    "重庆山城汽车配件有限公司",
    "郑州中原纺织有限公司",
    "厦门鹭岛酒店管理有限公司",
    "北京京华软件技术有限公司",
]

#: Employee insurances one employer contributes to, in the order a certificate lists them.
EMPLOYEE_TYPES = ("pension_employee", "medical_employee", "unemployment", "injury", "maternity")


def average_wage(year: int) -> Decimal:
    """The demo district's monthly average wage: about 1,200 yuan in 2000, rising ~8% a year."""
    return (Decimal(1200) * Decimal("1.08") ** (year - 2000)).quantize(Decimal(1), ROUND_HALF_UP)


def contribution_base(year: int, ratio: float) -> Decimal:
    avg = average_wage(year - 1)
    ratio_d = min(max(Decimal(str(ratio)), Decimal("0.6")), Decimal(3))
    return (avg * ratio_d).quantize(Decimal(1), ROUND_HALF_UP)


def rates(insurance: str, month: str) -> tuple[Decimal, Decimal]:
    """(employer rate, personal rate) for an employee insurance in a month."""
    year, mon = parse_month(month)
    if insurance == "pension_employee":
        return (Decimal("0.16") if (year, mon) >= (2019, 5) else Decimal("0.20")), Decimal("0.08")
    if insurance == "medical_employee":
        return Decimal("0.08"), Decimal("0.02")
    if insurance == "unemployment":
        if (year, mon) >= (2016, 5):
            return Decimal("0.005"), Decimal("0.005")
        return Decimal("0.01"), Decimal("0.005")
    if insurance == "injury":
        return Decimal("0.004"), Decimal(0)
    if insurance == "maternity":
        return Decimal("0.008"), Decimal(0)
    raise ValueError(insurance)


@dataclass
class ContributionRow:
    month: str
    insurance: str
    base: Decimal | None
    employer_amount: Decimal
    personal_amount: Decimal
    paid: bool = True


@dataclass
class Job:
    """A spell with one employer: months first..last (inclusive) at a base ratio of the average wage."""

    employer: str
    first: str
    last: str
    ratio: float
    types: tuple[str, ...] = EMPLOYEE_TYPES


@dataclass
class Citizen:
    id_number: IdNumber
    name: str
    gender: str
    phone_tail: str
    jobs: list[Job] = field(default_factory=list)
    #: Months of a job left unpaid (arrears), shown as 欠缴 rather than missing.
    unpaid: set[str] = field(default_factory=set)
    #: Resident pension (城乡居民养老保险): {year: chosen yearly level in yuan}.
    resident_years: dict[int, int] = field(default_factory=dict)
    retired: str | None = None  # the first month of pension
    monthly_pension: Decimal | None = None
    certified_until: dt.date | None = None
    photo: str | None = None  # path under the shared faces folder
    #: Simulates a record the business system itself holds incomplete (missing enrollment date).
    incomplete: bool = False
    #: The 社保卡: a key of records.backend.CARD_STATES (active: in the citizen's hands).
    card: str = "active"
    demo_key: str | None = None
    about_zh: str = ""
    about_en: str = ""


#: The demo's yearly contribution levels (档次) for the resident pension, in yuan: most provinces
#: offer 200 to 2000 or more (国发〔2014〕8号 sets 100-2000 as the national floor of choices).
RESIDENT_LEVELS = (200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000)


def resident_subsidy(level: Decimal) -> Decimal:
    """The demo government subsidy (缴费补贴) for a yearly resident level: 30 yuan plus 10 per full
    100 of the level (a higher level earns more, as 国发〔2014〕8号 asks; figures are the demo's)."""
    return (Decimal(30) + Decimal(level) // 100 * 10).quantize(CENT)


def employee_rows(citizen: Citizen) -> list[ContributionRow]:
    rows: list[ContributionRow] = []
    for job in citizen.jobs:
        for month in month_range(job.first, job.last):
            base = contribution_base(parse_month(month)[0], job.ratio)
            paid = month not in citizen.unpaid
            for insurance in job.types:
                employer_rate, personal_rate = rates(insurance, month)
                rows.append(
                    ContributionRow(
                        month=month,
                        insurance=insurance,
                        base=base,
                        employer_amount=(base * employer_rate).quantize(CENT, ROUND_HALF_UP),
                        personal_amount=(base * personal_rate).quantize(CENT, ROUND_HALF_UP),
                        paid=paid,
                    )
                )
    for year, level in sorted(citizen.resident_years.items()):
        subsidy = resident_subsidy(Decimal(level))
        rows.append(
            ContributionRow(
                month=f"{year}-06",
                insurance="pension_resident",
                base=Decimal(level),
                employer_amount=subsidy.quantize(CENT),
                personal_amount=Decimal(level).quantize(CENT),
            )
        )
    rows.sort(key=lambda r: (r.month, r.insurance))
    return rows


def random_citizen(rng: random.Random, today: dt.date) -> Citizen:
    """One synthetic citizen: a working adult or a pensioner, with one to three jobs and gaps."""
    female = rng.random() < 0.5
    age = rng.randint(22, 80)
    born = dt.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    if born > today - dt.timedelta(days=365 * 18):
        born = dt.date(today.year - age - 1, born.month, born.day)
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    citizen = Citizen(
        id_number=random_id(rng, born, female),
        name=rng.choice(SURNAMES) + given,
        gender="女" if female else "男",
        phone_tail=f"{rng.randrange(10000):04d}",
    )
    last_month = add_months(month_of(today), -1)
    retire_age = 50 if female else 60
    retire_month = f"{born.year + retire_age:04d}-{born.month:02d}"
    work_start = max(f"{born.year + rng.randint(18, 24):04d}-{rng.randint(1, 12):02d}", "1995-01")
    work_end = min(last_month, add_months(retire_month, -1))
    month = work_start
    while month <= work_end:
        length = rng.randint(18, 120)
        last = min(add_months(month, length - 1), work_end)
        citizen.jobs.append(Job(rng.choice(EMPLOYERS), month, last, rng.uniform(0.6, 2.2)))
        # Sometimes a spell out of work before the next job.
        month = add_months(last, 1 + (rng.randint(2, 10) if rng.random() < 0.35 else 0))
    if citizen.jobs and rng.random() < 0.1:
        job = rng.choice(citizen.jobs)
        citizen.unpaid.add(rng.choice(list(month_range(job.first, job.last))))
    if retire_month <= last_month and citizen.jobs:
        citizen.retired = retire_month
        citizen.monthly_pension = Decimal(rng.randint(2400, 6800)) + Decimal(rng.randint(0, 99)) / 100
        citizen.certified_until = today + dt.timedelta(days=rng.randint(-90, 330))
    return citizen
