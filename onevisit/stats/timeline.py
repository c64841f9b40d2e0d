"""Each step's life, folded from the event table: when it joined its queue, every call, start, finish.

The steps table keeps only a step's last state (a recall overwrites `called_at`, a re-check-in after
过号 resets it), so waits and no-shows come from the events. Every queue event carries the rows its
transaction wrote (`data.changes`), which names the step by id even when a ticket visits the same
matter twice. Pure functions over event rows: no database here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass
class StepTimeline:
    step_id: int
    ticket_id: int
    number: str
    matter: str
    priority: int = 0
    #: First moment the step waited in its matter's queue (issue, auto-advance or transfer).
    entered_at: dt.datetime | None = None
    first_called_at: dt.datetime | None = None
    first_call_window: int | None = None
    calls: int = 0  # calls by policy or 叫指定号, including a second call after re-check-in
    recalls: int = 0
    no_shows: int = 0  # times marked 过号 (by staff or by the auto-skip timeout)
    checkins: int = 0  # re-check-ins after 过号
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    window: int | None = None  # the window that served it (or last called it)
    staff: str | None = None  # actor who started the service
    outcome: str | None = None  # completed, transferred, cancelled, day_closed, no_show…
    state: str = "pending"
    transferred_in: bool = False
    from_window: int | None = None
    actors: set[str] = field(default_factory=set)

    @property
    def wait_seconds(self) -> float | None:
        """Queue entry to first call; None for a step never called."""
        if self.entered_at is None or self.first_called_at is None:
            return None
        return (self.first_called_at - self.entered_at).total_seconds()

    @property
    def service_seconds(self) -> float | None:
        """Start to finish at the window; None unless the step was both started and finished there."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def served(self) -> bool:
        return self.state == "done" and self.outcome != "transferred"

    @property
    def transferred_out(self) -> bool:
        """转出: its own state since the queue stopped calling a transfer done; events written before
        that say state done with outcome transferred, and still count here, never as served."""
        return self.state == "transferred" or (self.state == "done" and self.outcome == "transferred")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def event_data(row: Row) -> dict[str, Any]:
    data = row.get("data")
    if isinstance(data, str):
        return json.loads(data) if data else {}
    return dict(data or {})


def fold_steps(events: Iterable[Row]) -> dict[int, StepTimeline]:
    """Step timelines keyed by step id, from event rows in id order (as read from the table)."""
    tickets: dict[int, dict[str, Any]] = {}
    steps: dict[int, StepTimeline] = {}
    for event in events:
        changes = event_data(event).get("changes") or []
        if not changes:
            continue
        at = parse_time(event["at"])
        actor = event.get("actor") or ""
        for change in changes:
            table = change.get("t")
            if table == "tickets":
                if "insert" in change:
                    row = change["insert"]
                    tickets[row["id"]] = {"number": row["number"], "priority": row.get("priority") or 0}
                continue
            if table != "steps":
                continue
            if "insert" in change:
                row = change["insert"]
                ticket = tickets.get(row["ticket_id"], {})
                step = StepTimeline(
                    step_id=row["id"],
                    ticket_id=row["ticket_id"],
                    number=ticket.get("number", event.get("number") or "?"),
                    matter=row["matter"],
                    priority=int(ticket.get("priority", 0)),
                    from_window=row.get("from_window"),
                    transferred_in=row.get("from_window") is not None,
                )
                steps[step.step_id] = step
                _apply(step, row, at, actor, is_insert=True)
            else:
                step = steps.get(change["key"])
                if step is not None:
                    _apply(step, change["set"], at, actor, is_insert=False)
    return steps


def _apply(step: StepTimeline, values: dict[str, Any], at: dt.datetime, actor: str, is_insert: bool) -> None:
    state = values.get("state")
    if state is None:
        # A write that touches the call time but not the state is a recall.
        if "called_at" in values and not is_insert:
            step.recalls += 1
            step.actors.add(actor)
        return
    if state == "waiting":
        if step.entered_at is None:
            step.entered_at = at
        elif step.state == "skipped":
            step.checkins += 1
    elif state == "called":
        step.calls += 1
        if step.first_called_at is None:
            step.first_called_at = at
            step.first_call_window = values.get("window")
        step.window = values.get("window", step.window)
        step.actors.add(actor)
    elif state == "skipped":
        step.no_shows += 1
        step.actors.add(actor)
    elif state == "serving":
        step.started_at = at
        step.staff = actor
        step.actors.add(actor)
    elif state in ("done", "transferred"):
        step.finished_at = at
        step.actors.add(actor)
    step.state = state
    if "outcome" in values:
        step.outcome = values["outcome"]
