"""/api/queues: every queue at once for the supervisor — the hall status, each matter's
availability and today's ratings. (Opening and closing windows lives with the windows.)"""

from __future__ import annotations

from fastapi import APIRouter

from onevisit.hall.deps import HallDep, Supervisor
from onevisit.hall.schemas import ERRORS

router = APIRouter(prefix="/api", responses=ERRORS, tags=["supervisor"])


@router.get("/queues")
async def queues(hall: HallDep, principal: Supervisor) -> dict:
    """Every queue: the hall status plus each matter's availability, and today's ratings."""

    def read() -> dict:
        return {
            "status": hall.service.status(),
            "availability": {k: v.to_dict() for k, v in hall.service.availability().items()},
        }

    out = await hall.gate.read(read)
    out["ratings"] = hall.ratings.summary()
    return out
