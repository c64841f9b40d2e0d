"""Bad input gets a specific error and changes nothing: no row, no event."""

from __future__ import annotations

import pytest

from onevisit.core.identity import InvalidIdNumber
from onevisit.queue import errors as e


@pytest.fixture
def busy_hall(service, clock):
    service.issue(["enroll", "benefit"])
    service.issue(["contrib"])
    service.call_next(3, "staff:wang")
    return service


@pytest.mark.parametrize(
    ("action", "error", "code"),
    [
        (lambda s: s.issue(["passport"]), e.UnknownMatter, "unknown_matter"),
        (lambda s: s.issue([]), e.BadRequest, "no_matters"),
        (lambda s: s.issue(["card", "card"]), e.BadRequest, "duplicate_matter"),
        (lambda s: s.issue(["card"], id_number="110105199003078878"), InvalidIdNumber, "id_check_digit"),
        (lambda s: s.issue(["card"], id_number="110105199002307889"), InvalidIdNumber, "id_birth_date"),
        (lambda s: s.issue(["card"], id_number="11010519900307"), InvalidIdNumber, "id_length"),
        (lambda s: s.issue(["card"], declared="vip"), e.BadRequest, "bad_priority_declaration"),
        (lambda s: s.call_number(6, "B001", "staff"), e.WindowNotServing, "window_not_serving"),
        (lambda s: s.call_next(99, "staff"), e.UnknownWindow, "unknown_window"),
        (lambda s: s.finish(3, "staff:wang"), e.NothingServing, "nothing_serving"),
        (lambda s: s.finish(4, "staff"), e.NothingAtWindow, "nothing_at_window"),
        (lambda s: s.recall(3, "staff:wang"), e.RecallTooSoon, "recall_too_soon"),
        (lambda s: s.call_next(3, "staff:wang"), e.WindowBusy, "window_busy"),
        (lambda s: s.transfer(3, "contrib", "sideways", "x", None, "staff"), e.BadRequest, "bad_placement"),
        (
            lambda s: s.transfer(3, "contrib", "end", "  ", None, "staff"),
            e.BadRequest,
            "transfer_reason_required",
        ),
        (lambda s: s.transfer(3, "nope", "end", "x", None, "staff"), e.UnknownMatter, "unknown_matter"),
        (lambda s: s.checkin("B001", "kiosk"), e.NotMissed, "ticket_not_missed"),
        (lambda s: s.checkin("Z999", "kiosk"), e.TicketNotFound, "ticket_not_found"),
        (lambda s: s.add_matter("A001", "benefit", "staff"), e.BadRequest, "matter_already_in_visit"),
        (lambda s: s.close_window(3, "supervisor"), e.WindowBusy, "window_busy"),
    ],
)
def test_refusal_is_specific_and_changes_nothing(busy_hall, unchanged, action, error, code):
    with unchanged(), pytest.raises(error) as refused:
        action(busy_hall)
    assert refused.value.code == code
    assert refused.value.zh and refused.value.en  # a citizen or clerk reads this


def test_closed_ticket_refuses_further_changes(service, unchanged):
    number = service.issue(["card"]).ticket.number
    service.cancel(number, "staff")
    with unchanged(), pytest.raises(e.TicketClosed):
        service.add_matter(number, "enroll", "staff")
