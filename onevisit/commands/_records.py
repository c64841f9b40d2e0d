"""The composition root's one way to the records system: `[records] type` chooses, and for
"demo" the commands (which may import the simulators) supply the demo backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onevisit.records.backend import RecordsBackend
from onevisit.records.systems import open_records


def records_from_config(config: Any, *, seed_today: dt.date | None = None) -> RecordsBackend:
    """type "http": the records service at `records.url`. type "demo": the demo SQLite file at
    `records.database`, seeded with the demo citizens first when `seed_today` is given and the
    file does not exist yet. Raises OneVisitError when the http token file is unreadable."""

    def demo(cfg: Any) -> RecordsBackend:
        from onevisit.sim.records.demo_backend import ensure_seeded, open_backend

        return ensure_seeded(cfg, seed_today) if seed_today is not None else open_backend(cfg)

    return open_records(config, demo=demo)
