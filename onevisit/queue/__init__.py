"""The domain: visits, one ticket each, their itinerary of steps, windows and the call policy."""

from onevisit.queue.errors import QueueError
from onevisit.queue.models import (
    Event,
    EventKind,
    Placement,
    Step,
    StepState,
    Ticket,
    TicketState,
    WindowState,
)
from onevisit.queue.service import IssueResult, MatterAvailability, Position, QueueService

__all__ = [
    "Event",
    "EventKind",
    "IssueResult",
    "MatterAvailability",
    "Placement",
    "Position",
    "QueueError",
    "QueueService",
    "Step",
    "StepState",
    "Ticket",
    "TicketState",
    "WindowState",
]
