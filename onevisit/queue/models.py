"""The queue's records: a ticket for the whole visit, its itinerary of steps, windows and events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from onevisit.queue.priority import priority_label


class StepState(StrEnum):
    PENDING = "pending"  # a later matter of the itinerary, not queued yet
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    # 转出: this window sent the citizen on to another matter (e.g. 需补缴 → 缴费) without finishing
    # its own; not a served matter, so never shown or counted as 已完成.
    TRANSFERRED = "transferred"
    SKIPPED = "skipped"  # 过号: called and did not come; re-check-in puts it back to waiting
    CANCELLED = "cancelled"


OPEN_STEP_STATES = (
    StepState.PENDING,
    StepState.WAITING,
    StepState.CALLED,
    StepState.SERVING,
    StepState.SKIPPED,
)


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    MISSED = "missed"  # its current step was skipped; the citizen may re-check-in
    DONE = "done"
    CANCELLED = "cancelled"


CLOSED_TICKET_STATES = (TicketState.DONE, TicketState.CANCELLED)

#: Steps that are over: finished here, sent on (转出) or cancelled.
ENDED_STEP_STATES = (StepState.DONE, StepState.TRANSFERRED, StepState.CANCELLED)


class WindowState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Placement(StrEnum):
    ORIGINAL = "original"  # by the visit's arrival time
    FRONT = "front"
    END = "end"


class EventKind(StrEnum):
    TICKET_ISSUED = "ticket.issued"
    TICKET_CHECKED_IN = "ticket.checked_in"  # re-entered after 过号
    TICKET_CANCELLED = "ticket.cancelled"
    TICKET_CLOSED = "ticket.closed"  # daily rollover closed it
    STEP_ADDED = "step.added"
    STEP_CALLED = "step.called"
    STEP_RECALLED = "step.recalled"
    STEP_SKIPPED = "step.skipped"
    STEP_STARTED = "step.started"
    STEP_FINISHED = "step.finished"
    STEP_TRANSFERRED = "step.transferred"
    WINDOW_PAUSED = "window.paused"
    WINDOW_RESUMED = "window.resumed"
    WINDOW_OPENED = "window.opened"
    WINDOW_CLOSED = "window.closed"


@dataclass(frozen=True)
class Step:
    id: int
    ticket_id: int
    seq: int  # order within the itinerary
    matter: str
    state: StepState
    window: int | None
    queued_at: str | None  # effective queue time (ISO); ordering uses sort_key
    sort_key: float | None
    call_count: int
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    from_window: int | None = None
    transfer_reason: str | None = None
    transfer_note: str | None = None
    outcome: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("sort_key")
        return out


@dataclass(frozen=True)
class Ticket:
    id: int
    day: str  # YYYY-MM-DD, the hall's local date
    number: str  # e.g. A012: prefix of the first matter + daily sequence
    short_code: str  # printed on the ticket; with the number it opens the public status page
    state: TicketState
    priority: int  # 0 regular, 1 priority
    priority_reason: str | None
    person_masked: str | None
    created_at: str
    source: str | None  # which kiosk or window issued it
    tag: str | None  # why a kiosk sent the citizen to a window (what was tried)
    appointment_at: str | None = None
    steps: tuple[Step, ...] = field(default_factory=tuple)

    @property
    def current_step(self) -> Step | None:
        """The step the visit is on now: the first one that is neither pending nor finished."""
        for step in self.steps:
            if step.state in (StepState.WAITING, StepState.CALLED, StepState.SERVING, StepState.SKIPPED):
                return step
        return None

    def to_dict(self) -> dict[str, Any]:
        current = self.current_step
        label = priority_label(self.priority_reason) if self.priority else None
        return {
            "number": self.number,
            "day": self.day,
            "short_code": self.short_code,
            "state": str(self.state),
            "priority": self.priority,
            "priority_reason": self.priority_reason,
            "priority_label_zh": label[0] if label else None,
            "priority_label_en": label[1] if label else None,
            "person_masked": self.person_masked,
            "created_at": self.created_at,
            "source": self.source,
            "tag": self.tag,
            "appointment_at": self.appointment_at,
            "current_matter": current.matter if current else None,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class WindowStatus:
    number: int
    state: WindowState
    matters: tuple[str, ...]
    current_step_id: int | None
    current_number: str | None
    staff: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "state": str(self.state),
            "matters": list(self.matters),
            "current_number": self.current_number,
            "staff": self.staff,
        }


@dataclass(frozen=True)
class Event:
    """One row of the append-only events table. `changes` lists the rows the change wrote, so the
    tables can be rebuilt from events alone; displays and devices read kind/number/window/matter."""

    id: int
    at: str
    actor: str
    kind: EventKind
    day: str
    number: str | None
    window: int | None
    matter: str | None
    data: dict[str, Any]

    def to_dict(self, with_changes: bool = False) -> dict[str, Any]:
        data = self.data if with_changes else {k: v for k, v in self.data.items() if k != "changes"}
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "kind": str(self.kind),
            "day": self.day,
            "number": self.number,
            "window": self.window,
            "matter": self.matter,
            "data": data,
        }
