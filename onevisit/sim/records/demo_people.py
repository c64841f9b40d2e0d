"""The fixed demo citizens: the same ID numbers on every machine, each showing one situation.

Their ID numbers are synthetic (generated with valid region codes and check digits; no real
person has them) and are listed in docs/records.md so a technician can type them at a kiosk.
Histories run up to the month before the seed date, and certification dates are set relative to
it, so "due" stays due whenever the demo is seeded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from onevisit.records.months import add_months, month_of
from onevisit.sim.records.idgen import make_id
from onevisit.sim.records.synthetic import Citizen, Job

#: Reference photos, relative to the shared faces folder (see tests/conftest.py `faces_dir`).
OBAMA = "face_recognition/examples/obama.jpg"
BIDEN = "face_recognition/examples/biden.jpg"
KIT = "face_recognition/examples/knn_examples/train/kit_harington/john1.jpeg"


def demo_citizens(today: dt.date) -> list[Citizen]:
    last = add_months(month_of(today), -1)
    return [
        Citizen(
            id_number=make_id("330106", dt.date(1975, 3, 14), 231, female=False),
            name="张建国",
            gender="男",
            phone_tail="3021",
            jobs=[
                Job("杭州西子机电设备有限公司", "1997-07", "2009-12", 0.9),
                Job("浙江华东建设集团有限公司", "2010-01", last, 1.6),
            ],
            demo_key="long_history",
            about_zh="连续缴费近30年，两家单位；选“全部”时证明分多页打印",
            about_en="Nearly 30 years without a break at two employers; 'all' prints several pages",
        ),
        Citizen(
            id_number=make_id("420106", dt.date(1985, 9, 2), 142, female=True),
            name="李秀英",
            gender="女",
            phone_tail="7788",
            jobs=[
                Job("武汉光谷电子科技有限公司", "2008-07", "2020-12", 1.1),
                Job("武汉楚天物流有限公司", "2021-10", last, 1.0),
            ],
            unpaid={add_months(last, -9)},
            demo_key="gap",
            about_zh="2021年1月至9月中断缴费（失业），近一年内有一个月欠缴",
            about_en="Out of work Jan-Sep 2021 (a gap), and one unpaid month within the last year",
        ),
        Citizen(
            id_number=make_id("310104", dt.date(1964, 5, 20), 86, female=True),
            name="王桂兰",
            gender="女",
            phone_tail="5512",
            jobs=[Job("上海申城百货有限公司", "1990-03", "2014-04", 0.8)],
            retired="2014-05",
            monthly_pension=Decimal("3860.50"),
            certified_until=today - dt.timedelta(days=12),
            photo=OBAMA,
            demo_key="pensioner_due",
            about_zh="退休人员，资格认证已到期（12天前），有参照照片，可做刷脸认证",
            about_en="Pensioner whose certification ran out 12 days ago; has a reference photo for the face check",
        ),
        Citizen(
            id_number=make_id("510107", dt.date(1958, 8, 8), 315, female=False),
            name="刘德明",
            gender="男",
            phone_tail="0466",
            jobs=[Job("成都天府食品股份有限公司", "1995-01", "2018-07", 1.3)],
            retired="2018-08",
            monthly_pension=Decimal("4712.30"),
            certified_until=today + dt.timedelta(days=200),
            photo=KIT,
            card="lost",
            demo_key="pensioner_certified",
            about_zh="退休人员，本年度已认证（200天后到期），无需再认证；社保卡5天前已挂失",
            about_en="Pensioner already certified (valid for 200 more days): nothing to do; card reported lost 5 days ago",
        ),
        Citizen(
            id_number=make_id("110105", dt.date(1951, 2, 11), 68, female=True),
            name="陈淑珍",
            gender="女",
            phone_tail="2290",
            jobs=[Job("北京京华软件技术有限公司", "1995-01", "2001-01", 0.7)],
            retired="2001-02",
            monthly_pension=Decimal("2950.00"),
            certified_until=today - dt.timedelta(days=40),
            photo=BIDEN,
            demo_key="elderly_priority",
            about_zh="75岁以上退休人员：取号优先；认证已到期（40天前）",
            about_en="Pensioner over 70: priority ticket; certification ran out 40 days ago",
        ),
        Citizen(
            id_number=make_id("440305", dt.date(1962, 11, 30), 507, female=False),
            name="赵小军",
            gender="男",
            phone_tail="6603",
            jobs=[Job("深圳南山精密制造有限公司", "1996-04", "2022-11", 1.2)],
            retired="2022-12",
            monthly_pension=Decimal("5230.00"),
            certified_until=today - dt.timedelta(days=3),
            incomplete=True,
            demo_key="incomplete",
            about_zh="记录不完整：养老保险缺首次参保日期、无参照照片；打印证明和刷脸认证都会转窗口",
            about_en="Incomplete record: no first-enrollment date and no reference photo; certificate and face check go to a window",
        ),
        Citizen(
            id_number=make_id("610113", dt.date(2001, 6, 18), 24, female=True),
            name="孙丽",
            gender="女",
            phone_tail="1357",
            jobs=[Job("西安高新区云帆网络科技有限公司", add_months(last, -7), last, 0.75)],
            card="made",
            demo_key="new_worker",
            about_zh="参加工作8个月：近36个月证明只有8个月记录；社保卡正在制作中",
            about_en="Working for 8 months: a 36-month certificate shows only 8 months; her card is being made",
        ),
        Citizen(
            id_number=make_id("500103", dt.date(1970, 12, 5), 153, female=True),
            name="周玉梅",
            gender="女",
            phone_tail="8842",
            resident_years={
                year: 300 + 100 * min(7, (year - 2012) // 2)
                # the seed year is left unpaid: she is due to pay it at the kiosk
                for year in range(2012, today.year)
                if f"{year}-06" <= last
            },
            demo_key="resident_pension",
            about_zh="城乡居民养老保险，每年选档缴费，无单位；本年度尚未缴费，可在自助机缴费",
            about_en="Urban-rural resident pension: one yearly payment at a chosen level, no employer; this year not paid yet (pay at the kiosk)",
        ),
        Citizen(
            id_number=make_id("320102", dt.date(1988, 4, 9), 57, female=False),
            # 䶮 (yǎn, U+4DAE) is in CJK Extension A: not in WenQuanYi Micro Hei, drawn from the
            # fallback chain (Hanazono); a certificate must never print it as a box.
            name="孙\u4dae",
            gender="男",
            phone_tail="2046",
            jobs=[Job("南京玄武湖文化传媒有限公司", "2012-07", last, 1.3)],
            demo_key="rare_name",
            about_zh="姓名含生僻字（䶮，扩展A区）：证明用后备字体打印，不出现方框",
            about_en="A rare character in the name (䶮, CJK Extension A): printed from the fallback font, never as a box",
        ),
    ]
