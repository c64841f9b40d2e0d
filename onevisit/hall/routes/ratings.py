"""/api/ratings: 好差评 — the rating tablet at a window asks about the step just finished there.

The tablet needs no login (it stands at the window, facing the citizen); one rating per step, and
the step id the tablet showed guards against rating the next citizen's step by a late tap.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from onevisit.hall.deps import HallDep, Supervisor
from onevisit.hall.schemas import ERRORS, RatingIn
from onevisit.queue.errors import UnknownWindow

router = APIRouter(prefix="/api/ratings", responses=ERRORS, tags=["ratings"])


def _known_window(hall: HallDep, window: int) -> None:
    """A tablet set up for a window the hall does not have (/rate?window=99) is refused (404
    unknown_window), so a mistyped address shows an error instead of waiting forever."""
    if window not in {w.number for w in hall.config.windows}:
        raise UnknownWindow(window)


@router.get("/pending")
async def rating_pending(hall: HallDep, window: Annotated[int, Query(ge=1, le=999)]) -> dict:
    """The finished step the window's tablet should ask about now, if any; 404 for an unknown window."""
    _known_window(hall, window)
    prompt = hall.ratings.pending(window)
    return {"prompt": prompt.to_dict() if prompt else None}


@router.get("/summary")
def rating_summary(hall: HallDep, principal: Supervisor) -> dict:
    """Today's ratings per window: count, mean, and how many were 1 or 2."""
    return hall.ratings.summary()


@router.post("", status_code=201)
def rate(body: RatingIn, hall: HallDep) -> dict:
    """好差评: 1–5 for the step just finished at this window; one rating per step."""
    _known_window(hall, body.window)
    return hall.ratings.rate(body.window, body.score, body.step_id)
