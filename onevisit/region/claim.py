"""The hall server's claimer: a citizen at this hall's kiosk whose booking of today is at another
hall (docs/region.md "Central bookings"). `onevisit hall` builds it from `[region]` and injects it
into create_app (the hall never imports the region); hall/stores/appointments.py calls it from the
check-in when the hall finds no booking of its own.

One POST /api/bookings/claim {"person_hash", "day"} with this hall's token: the city-keyed hash of
the ID only, never the ID. The whole request is bounded by `[region] claim_timeout_seconds`
(default 3 s: a citizen stands at the kiosk), split over connecting, sending and reading.
"""

from __future__ import annotations

import logging
from typing import Any

from onevisit.core.clock import Clock, SystemClock
from onevisit.core.config import Config
from onevisit.region.ship import RegionClient, hall_token

log = logging.getLogger(__name__)


class RegionClaimer:
    """claimer(person_hash, day) -> the region's booking, now this hall's, or None when the region
    holds no live booking. Raises RegionUnreachable (down, cut, slower than the timeout) and
    RegionRefused (already_claimed by another hall, a bad token): the check-in logs them and
    answers as for no booking."""

    def __init__(self, client: RegionClient) -> None:
        self.client = client

    def __call__(self, person_hash: str, day: str) -> dict[str, Any] | None:
        answer = self.client.request(
            "POST", "/api/bookings/claim", json={"person_hash": person_hash, "day": day}
        )
        return answer.get("booking")

    def close(self) -> None:
        self.client.close()


def claimer_for(
    url: str, token: str, clock: Clock, timeout_seconds: float = 3.0, hall_code: str | None = None
) -> RegionClaimer:
    # httpx's timeout bounds each phase, not the request: a third each for connect, write and read
    return RegionClaimer(RegionClient(url, token, clock, timeout=timeout_seconds / 3, hall_code=hall_code))


def claimer_from_config(config: Config) -> RegionClaimer | None:
    """From `[region]` url and token (or token_file); None when either is missing (no region)."""
    token = hall_token(config)
    if not config.region.url or not token:
        return None
    return claimer_for(
        config.region.url,
        token,
        SystemClock(config.hall.timezone),
        config.region.claim_timeout_seconds,
        hall_code=config.hall.code,
    )
