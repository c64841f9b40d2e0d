"""A tap counts once: every kiosk action button goes through one ActionLog per citizen session.

Touchscreens double taps (a shaky finger, a slow screen, an elderly citizen pressing again because
nothing seemed to happen). An action is named by what it does and what it acts on, e.g.
("recheck", "A012"); for one such action

- a second press while the first is still running does nothing: the first's answer will show;
- a second press after the first succeeded shows the first's answer again and runs nothing, so a
  double tap on 过号重排 never re-queues and then says "没有过号" (for a print, `repeat_after`
  seconds later a press is a deliberate reprint and runs again);
- a press after a failure runs again; when the failure may not have reached the hall (no answer:
  HTTP status 500 and up, HallUnavailable) it keeps the idempotency key, so the hall answers a
  retry of a request that did arrive from its first run instead of doing it twice.

The key goes to the hall with the request (ticket issue, appointment check-in, re-check-in), so a
request retried by the network is idempotent there too. No Kivy here: the rules are tested alone
(tests/kiosk/test_kiosk_actions.py); KioskApp.act runs actions through it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)

#: A print pressed again this many seconds after the last one finished is a reprint, not a double tap.
REPRINT_AFTER_SECONDS = 5.0


@dataclass
class ActionRun:
    """One action's runs within a session: the key sent to the hall, and how the last one ended."""

    key: str
    state: str = "running"  # running | done | failed
    result: Any = None
    finished_at: float = 0.0


@dataclass
class ActionLog:
    """Actions of one citizen's session, by (name, inputs). Inputs may hold an ID number: the log
    lives in the session (wiped on going home) and never logs them."""

    runs: dict[tuple[str, Hashable], ActionRun] = field(default_factory=dict)

    def begin(
        self,
        name: str,
        inputs: Hashable,
        now: float,
        *,
        repeat_after: float | None = None,
        key: str | None = None,
    ) -> tuple[str, ActionRun]:
        """What a press does: ("run", run) start it with run.key; ("wait", run) the first press is
        still running; ("show", run) show run.result, the first press's answer. `key` forces the
        idempotency key (an action that keeps its own, like the take-number choice)."""
        ident = (name, inputs)
        run = self.runs.get(ident)
        if run is not None and run.state == "running":
            log.info("%s pressed again while it runs: one action", name)
            return "wait", run
        fresh = run is not None and (repeat_after is None or now - run.finished_at < repeat_after)
        if run is not None and run.state == "done" and fresh:
            log.info("%s pressed again after it was done: its answer is shown again", name)
            return "show", run
        if key is None:
            key = (
                run.key
                if run is not None and run.state == "failed" and run.result is None
                else uuid.uuid4().hex
            )
        run = ActionRun(key)
        self.runs[ident] = run
        return "run", run

    @staticmethod
    def succeeded(run: ActionRun, result: Any, now: float) -> None:
        run.state, run.result, run.finished_at = "done", result, now

    @staticmethod
    def failed(run: ActionRun, error: OneVisitError, now: float) -> None:
        run.state, run.finished_at = "failed", now
        # result None marks "may not have reached the hall": a retry keeps the key (see begin)
        run.result = None if getattr(error, "status", 400) >= 500 else error


def press(
    actions: ActionLog,
    name: str,
    inputs: Hashable,
    now: Callable[[], float],
    start: Callable[[str, Callable[[Any], None], Callable[[OneVisitError], None]], None],
    done: Callable[[Any], None],
    fail: Callable[[OneVisitError], None],
    *,
    repeat_after: float | None = None,
    key: str | None = None,
    settled: Callable[[Any], bool] | None = None,
) -> str:
    """Run one press of an action through `actions`: `start(key, ok, bad)` begins the work and
    calls back once; `done`/`fail` show the answer. `settled(result)` False marks an answer that
    did not do the thing (a print that came out as "paper out"): shown, and the next press runs
    again. Returns what the press did (run, wait, show)."""
    what, run = actions.begin(name, inputs, now(), repeat_after=repeat_after, key=key)
    if what == "show":
        done(run.result)
    elif what == "run":

        def ok(result: Any) -> None:
            if settled is None or settled(result):
                ActionLog.succeeded(run, result, now())
            else:  # an answer, not a success: a new press is a new attempt with a new key
                run.state, run.result, run.finished_at = "failed", result, now()
            done(result)

        def bad(error: OneVisitError) -> None:
            ActionLog.failed(run, error, now())
            fail(error)

        start(run.key, ok, bad)
    return what
