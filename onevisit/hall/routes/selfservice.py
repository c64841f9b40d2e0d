"""POST /api/selfservice: a kiosk reports a visit that ended (or failed) at the kiosk.

Such visits never touch the queue, so the kiosk tells the hall, and the statistics count them as
queues avoided.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from onevisit.hall.deps import HallDep, KioskOnly
from onevisit.hall.schemas import SelfServiceIn
from onevisit.stats.selfservice import SelfServiceLog

router = APIRouter()


@router.post("/api/selfservice", tags=["kiosk"], status_code=201)
def selfservice(body: SelfServiceIn, hall: HallDep, principal: KioskOnly) -> dict[str, Any]:
    """A kiosk reports a visit that ended (or failed) at the kiosk: counted in the statistics."""
    actor = f"kiosk:{principal.name}"
    row_id = SelfServiceLog(hall.db).record(body.kind, actor, hall.clock.now(), dict(body.data))
    return {"id": row_id, "kind": body.kind}
