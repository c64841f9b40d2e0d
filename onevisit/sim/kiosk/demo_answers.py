"""Demo data for screenshot mode: what the hall would answer on a busy morning. Used only to render
screens for docs and review, never by a running kiosk."""

from __future__ import annotations

from typing import Any

from onevisit.core.config import Config

DEMO_WAITING = {"enroll": 7, "contrib": 3, "benefit": 12, "card": 0, "medical": 5}


def demo_availability(config: Config) -> list[dict[str, Any]]:
    out = []
    for m in config.matters:
        full = m.code == "card"  # one matter full, so "today full" shows before choosing
        waiting = DEMO_WAITING.get(m.code, 2)
        out.append(
            {
                "code": m.code,
                "name_zh": m.name_zh,
                "name_en": m.name_en,
                "open": not full,
                "remaining": 0 if full else m.daily_cap - 40,
                "reason_code": "full" if full else None,
                "waiting": waiting,
                "wait_minutes": waiting * m.minutes / 2,
                "windows": [w.number for w in config.windows if m.code in w.matters],
                "materials_zh": m.materials_zh,
                "materials_en": m.materials_en,
            }
        )
    return out


def demo_ticket(config: Config) -> dict[str, Any]:
    return {
        "created": True,
        "ticket": {
            "number": "C012",
            "day": "2026-11-23",
            "short_code": "K7QF",
            "state": "waiting",
            "priority": 1,  # born 1949: 年满70周岁
            "priority_reason": "age70",
            "person_masked": "110105********002X",
            "steps": [
                {"matter": "benefit", "state": "waiting", "window": None},
                {"matter": "medical", "state": "pending", "window": None},
            ],
        },
        "position": {"ahead": 11, "position": 12, "wait_minutes": 28, "windows": [1, 2, 5, 6]},
        "status_url": f"{config.hall.public_url}/t/C012?c=K7QF",
        "notify": True,  # the demo hall offers 到号提醒
    }


def demo_appointment_refusal():
    """What the hall answers a citizen who comes at 09:00 for a 15:00 booking (see
    onevisit.hall.stores.appointments), for the refusal screenshot."""
    from onevisit.core.errors import OneVisitError

    return OneVisitError(
        "appointment_too_early",
        "您预约的时段是 15:00，请于 14:00 后再来签到",
        "Your booking is at 15:00; please come back to check in from 14:00",
    )


def demo_appointment_ticket(config: Config) -> dict[str, Any]:
    """A checked-in booking: 刘德明's 09:30 benefit appointment, ranked by its slot."""
    result = demo_ticket(config)
    result["ticket"] = dict(
        result["ticket"],
        number="C004",
        person_masked="510107********3156",
        tag="appointment",
        appointment_at="2026-11-23T09:30:00.000+08:00",
        steps=[{"matter": "benefit", "state": "waiting", "window": None}],
    )
    result["position"] = {"ahead": 3, "position": 4, "wait_minutes": 11, "windows": [1, 2, 5, 6]}
    result["status_url"] = f"{config.hall.public_url}/t/C004?c=K7QF"
    result["slot"] = "2026-11-23T09:30+08:00"
    result["already_open"] = False
    return result
