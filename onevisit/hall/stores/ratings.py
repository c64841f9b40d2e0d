"""好差评: the rating tablet at a window asks for 1–5 after a step there finishes; one rating per step.

The hub records each finished step as the window's pending prompt; a rating consumes it. Prompts
and ratings live in the hall database, so a tablet reloaded or a server restarted mid-prompt still
rates the right step.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from sqlalchemy.exc import IntegrityError

from onevisit.core.clock import Clock
from onevisit.core.errors import OneVisitError
from onevisit.db import Database, schema

log = logging.getLogger(__name__)

#: A prompt older than this is not shown any more: the citizen has left the window.
PROMPT_MINUTES = 10


class RatingError(OneVisitError):
    status = 409


@dataclass(frozen=True)
class RatingPrompt:
    window: int
    step_id: int
    day: str
    number: str
    matter: str | None
    finished_at: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class RatingStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def prompt_finished(self, window: int, step_id: int, day: str, number: str, matter: str | None) -> None:
        now = self.clock.now()
        with self.db.transaction() as tx:
            if tx.one("SELECT 1 FROM hall_ratings WHERE step_id = ?", step_id):
                return
            # one prompt per window: the newest finished step replaces the one before
            tx.upsert(
                schema.hall_rating_prompts,
                {
                    "window": window,
                    "step_id": step_id,
                    "day": day,
                    "number": number,
                    "matter": matter,
                    "finished_at": now.isoformat(timespec="seconds"),
                    "finished_ts": now.timestamp(),
                },
                ["window"],
            )

    def pending(self, window: int) -> RatingPrompt | None:
        rows = self.db.query('SELECT * FROM hall_rating_prompts WHERE "window" = ?', window)
        if not rows:
            return None
        row = rows[0]
        if self.clock.now().timestamp() - row["finished_ts"] > PROMPT_MINUTES * 60:
            return None
        return RatingPrompt(
            row["window"], row["step_id"], row["day"], row["number"], row["matter"], row["finished_at"]
        )

    def rate(self, window: int, score: int, step_id: int | None = None) -> dict[str, object]:
        """Record a score for the window's pending step; refuses a second rating of the same step."""
        prompt = self.pending(window)
        if prompt is None:
            if step_id is not None and self.db.query("SELECT 1 FROM hall_ratings WHERE step_id = ?", step_id):
                raise _already_rated(step_id)
            raise RatingError(
                "nothing_to_rate",
                "当前没有可评价的业务",
                "There is no finished service to rate at this window",
                window=window,
            )
        if step_id is not None and step_id != prompt.step_id:
            raise RatingError(
                "rating_stale",
                "该业务的评价已结束，请评价当前业务",
                "That service can no longer be rated; rate the current one",
                step_id=step_id,
                current_step_id=prompt.step_id,
            )
        at = self.clock.now().isoformat(timespec="seconds")
        try:
            with self.db.transaction() as tx:
                tx.insert(
                    schema.hall_ratings,
                    {
                        "step_id": prompt.step_id,
                        "day": prompt.day,
                        "number": prompt.number,
                        "window": window,
                        "matter": prompt.matter,
                        "score": score,
                        "at": at,
                    },
                )
                tx.execute('DELETE FROM hall_rating_prompts WHERE "window" = ?', window)
        except IntegrityError:
            raise _already_rated(prompt.step_id) from None
        log.info("window %s step %s rated %s", window, prompt.step_id, score)
        return {
            "window": window,
            "step_id": prompt.step_id,
            "number": prompt.number,
            "score": score,
            "at": at,
        }

    def summary(self, day: str | None = None) -> dict[str, object]:
        day = day or self.clock.now().date().isoformat()
        rows = self.db.query(
            'SELECT "window", COUNT(*) AS n, AVG(score) AS mean,'
            " SUM(CASE WHEN score <= 2 THEN 1 ELSE 0 END) AS bad FROM hall_ratings"
            ' WHERE day = ? GROUP BY "window" ORDER BY "window"',
            day,
        )
        return {
            "day": day,
            "windows": [
                {
                    "window": r["window"],
                    "ratings": r["n"],
                    "mean": round(float(r["mean"]), 2),
                    "bad": int(r["bad"]),
                }
                for r in rows
            ],
        }


def _already_rated(step_id: int) -> RatingError:
    return RatingError(
        "already_rated",
        "该业务已评价，谢谢",
        "This service has already been rated, thank you",
        step_id=step_id,
    )
