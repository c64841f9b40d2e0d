"""One ticket for the whole visit: the number follows the citizen from window to window."""

from __future__ import annotations

import datetime as dt

import pytest

from onevisit.queue import EventKind, StepState, TicketState, policy
from onevisit.queue import errors as e

# Synthetic, valid GB 11643 numbers: born 1950 (75 on the test day) and 1990.
ELDER = "11010519491231002X"
ADULT = "110105199003078879"


def test_two_matter_visit_keeps_its_number_across_windows(service, clock):
    issued = service.issue(["enroll", "benefit"], actor="kiosk:k1").ticket
    assert issued.number == "A001"
    assert [s.state for s in issued.steps] == [StepState.WAITING, StepState.PENDING]

    called = service.call_next(3, "staff:wang")
    assert called.number == "A001" and called.state == TicketState.CALLED
    clock.advance(30)
    service.start(3, "staff:wang")
    clock.advance(420)
    after = service.finish(3, "staff:wang")
    assert after.number == "A001" and after.state == TicketState.WAITING
    assert after.current_step.matter == "benefit"
    # Auto-advance keeps the visit's arrival time, so it is not sent to the back of the benefit queue.
    assert after.current_step.queued_at == issued.created_at

    clock.advance(60)
    at_five = service.call_next(5, "staff:li")
    assert at_five.number == "A001"
    service.start(5, "staff:li")
    clock.advance(600)
    done = service.finish(5, "staff:li")
    assert done.state == TicketState.DONE

    shown = service.ticket("A001")
    assert [(s.matter, s.window, s.state) for s in shown.steps] == [
        ("enroll", 3, StepState.DONE),
        ("benefit", 5, StepState.DONE),
    ]
    first, second = shown.steps
    assert first.called_at < first.started_at < first.finished_at <= second.called_at
    assert second.started_at < second.finished_at
    kinds = [ev.kind for ev in service.events_since(0)]
    assert kinds.count(EventKind.TICKET_ISSUED) == 1  # never a second ticket


def test_auto_advance_keeps_arrival_order_in_the_next_queue(service, clock):
    early = service.issue(["enroll", "benefit"]).ticket
    clock.advance(60)
    later = service.issue(["benefit"]).ticket
    service.call_next(3, "staff")
    service.start(3, "staff")
    clock.advance(300)
    service.finish(3, "staff")
    # `early` arrived first, so it is called for benefit before `later`, though it joined that queue after.
    assert service.call_next(6, "staff").number == early.number
    assert service.position(service.ticket(later.number)).ahead == 0


def test_numbers_use_the_first_matters_prefix_and_a_daily_sequence(service, clock):
    numbers = [service.issue([m]).ticket.number for m in ("enroll", "contrib", "enroll", "benefit")]
    assert numbers == ["A001", "B001", "A002", "C001"]
    clock.advance(days=1)
    assert service.issue(["enroll"]).ticket.number == "A001"


def test_idempotency_key_returns_the_same_ticket(service):
    first = service.issue(["card"], idempotency_key="kiosk-1:abc")
    again = service.issue(["card"], idempotency_key="kiosk-1:abc")
    assert first.created and not again.created
    assert again.ticket.number == first.ticket.number
    assert len(service.events_since(0)) == 1


def test_one_open_ticket_per_person_per_day(service, clock):
    first = service.issue(["enroll"], id_number=ADULT)
    again = service.issue(["contrib"], id_number=ADULT)
    assert not again.created and again.ticket.number == first.ticket.number
    assert again.ticket.person_masked == "110105********8879"
    service.cancel(first.ticket.number, "staff")
    assert service.issue(["contrib"], id_number=ADULT).created


def test_full_id_number_is_never_stored(service):
    service.issue(["enroll"], id_number=ADULT, tag=f"tried certificate for {ADULT}")
    with service.store.reading() as tx:
        dump = "\n".join(str(r) for t in ("tickets", "steps", "events") for r in tx.all(f"SELECT * FROM {t}"))
    assert ADULT not in dump
    assert "110105********8879" in dump


def test_age_priority_is_called_first_but_never_starves_others(service, clock):
    regulars = [service.issue(["contrib"]).ticket.number for _ in range(2)]
    clock.advance(10)
    elders = []
    for i in range(5):
        elders.append(service.issue(["contrib"], declared="veteran", idempotency_key=f"e{i}").ticket.number)
    order = []
    for _ in range(7):
        ticket = service.call_next(4, "staff")
        order.append(ticket.number)
        service.start(4, "staff")
        service.finish(4, "staff")
    interleave = service.config.priority.interleave
    assert order[:interleave] == elders[:interleave]
    assert order[interleave] == regulars[0]  # the streak is broken for the longest-waiting regular
    assert sorted(order) == sorted(regulars + elders)


def test_seventy_year_old_gets_priority_from_the_id_number(service):
    elder = service.issue(["card"], id_number=ELDER).ticket
    adult = service.issue(["card"], id_number=ADULT).ticket
    assert (elder.priority, elder.priority_reason) == (1, "age70")
    assert adult.priority == 0


@pytest.mark.parametrize(
    ("placement", "expected_order"),
    [("front", ["X", "P", "Q"]), ("end", ["P", "Q", "X"]), ("original", ["X", "P", "Q"])],
)
def test_transfer_placement(service, clock, placement, expected_order):
    x = service.issue(["enroll"]).ticket.number
    clock.advance(60)
    p = service.issue(["contrib"]).ticket.number
    clock.advance(60)
    q = service.issue(["contrib"]).ticket.number
    names = {x: "X", p: "P", q: "Q"}
    service.call_next(3, "staff:wang")
    service.start(3, "staff:wang")
    moved = service.transfer(3, "contrib", placement, "需补缴", "请核对2019年欠费", "staff:wang")
    assert moved.number == x
    new_step = moved.current_step
    assert (new_step.matter, new_step.from_window, new_step.transfer_reason) == ("contrib", 3, "需补缴")
    assert new_step.transfer_note == "请核对2019年欠费"
    order = []
    for _ in range(3):
        order.append(names[service.call_next(4, "staff").number])
        service.start(4, "staff")
        service.finish(4, "staff")
    assert order == expected_order


def test_transfer_keeps_the_rest_of_the_itinerary(service):
    service.issue(["enroll", "card"])
    service.call_next(3, "staff")
    moved = service.transfer(3, "contrib", "original", "先缴费", None, "staff")
    assert [(s.matter, s.state) for s in moved.steps] == [
        ("enroll", StepState.TRANSFERRED),
        ("contrib", StepState.WAITING),
        ("card", StepState.PENDING),
    ]
    service.call_next(4, "staff")
    service.start(4, "staff")
    after = service.finish(4, "staff")
    assert after.current_step.matter == "card"


def test_transferred_step_is_not_done_and_a_cancelled_visit_stays_cancelled(service):
    """转出 is its own state: the benefit claim was not finished at window 5, so the visit is not
    done either if the citizen then leaves (cancelled) without finishing anything."""
    number = service.issue(["benefit"]).ticket.number
    service.call_next(5, "staff:li")
    service.start(5, "staff:li")
    moved = service.transfer(5, "contrib", "original", "需补缴", None, "staff:li")
    assert moved.steps[0].state == StepState.TRANSFERRED and moved.steps[0].outcome == "transferred"
    assert moved.state == TicketState.WAITING
    cancelled = service.cancel(number, "staff:li")
    assert [s.state for s in cancelled.steps] == [StepState.TRANSFERRED, StepState.CANCELLED]
    assert cancelled.state == TicketState.CANCELLED


def test_transfer_with_return_brings_the_citizen_back_to_the_original_matter(service):
    """一窗受理: 待遇申领 at window 5 sends A001 to 缴费 (需补缴) and back; same number throughout."""
    issued = service.issue(["benefit", "card"]).ticket
    service.call_next(5, "staff:li")
    service.start(5, "staff:li")
    moved = service.transfer(5, "contrib", "original", "需补缴", "2019年欠费", "staff:li", return_after=True)
    assert [(s.matter, s.state) for s in moved.steps] == [
        ("benefit", StepState.TRANSFERRED),
        ("contrib", StepState.WAITING),
        ("benefit", StepState.PENDING),
        ("card", StepState.PENDING),
    ]
    assert moved.steps[2].from_window == 5 and moved.steps[2].transfer_reason == "需补缴"
    assert service.call_next(4, "staff").number == issued.number
    service.start(4, "staff")
    back = service.finish(4, "staff")
    assert back.number == issued.number
    assert (back.current_step.matter, back.current_step.state) == ("benefit", StepState.WAITING)
    # Back in the benefit queue by the visit's arrival time, not at the end.
    assert back.current_step.queued_at == issued.created_at


def test_transfer_to_the_same_matter_is_refused(service):
    service.issue(["benefit"])
    service.call_next(5, "staff")
    with pytest.raises(e.BadRequest) as refused:
        service.transfer(5, "benefit", "original", "x", None, "staff")
    assert refused.value.code == "same_matter"
    assert service.current_ticket(5).current_step.state == StepState.CALLED


def test_skip_then_recheckin_reenters_offset_places_back(service, clock):
    late = service.issue(["card"]).ticket.number
    others = []
    for _ in range(5):
        clock.advance(30)
        others.append(service.issue(["card"]).ticket.number)
    service.call_next(3, "staff")
    missed = service.skip(3, "staff")
    assert missed.state == TicketState.MISSED
    assert late in service.status()["missed"]
    clock.advance(120)
    back = service.checkin(late, "kiosk:k1")
    assert back.state == TicketState.WAITING
    offset = service.config.recall.reentry_offset
    assert service.position(back).ahead == offset
    with pytest.raises(e.NotMissed):
        service.checkin(others[0], "kiosk:k1")


def test_recall_policy(service, clock):
    service.issue(["card"])
    service.call_next(3, "staff")
    rules = service.config.recall
    with pytest.raises(e.RecallTooSoon) as too_soon:
        service.recall(3, "staff")
    assert too_soon.value.details["seconds_left"] == rules.min_seconds
    for _ in range(rules.max_recalls):
        clock.advance(rules.min_seconds)
        service.recall(3, "staff")
    clock.advance(rules.min_seconds)
    with pytest.raises(e.RecallLimit):
        service.recall(3, "staff")


def test_unanswered_call_is_skipped_automatically(service, clock):
    number = service.issue(["card"]).ticket.number
    service.call_next(3, "staff")
    clock.advance(service.config.recall.auto_skip_seconds - 1)
    assert service.expire_calls() == []
    clock.advance(1)
    skipped = service.expire_calls()
    assert [t.number for t in skipped] == [number]
    assert service.window_status(3).current_number is None
    assert service.events_since(0)[-1].actor == "system:auto-skip"


def test_cutoff_and_opening_hours_say_so_before_issuing(service, clock):
    assert service.availability()["card"].open
    clock.set(clock.now().replace(hour=16, minute=30))
    assert service.availability()["card"].reason_code == "matter_closed"
    with pytest.raises(e.MatterClosed):
        service.issue(["card"])
    clock.set(clock.now().replace(hour=7, minute=0))
    assert service.availability()["card"].reason_code == "hall_closed"
    with pytest.raises(e.HallClosed):
        service.issue(["card"])


def test_daily_cap(service, clock, hall_config):
    small = hall_config.model_copy(
        update={
            "matters": [
                m.model_copy(update={"daily_cap": 2}) if m.code == "card" else m for m in hall_config.matters
            ]
        }
    )
    service.config = small
    service.issue(["card"])
    service.issue(["enroll", "card"])
    assert service.availability()["card"].reason_code == "matter_full"
    with pytest.raises(e.MatterFull):
        service.issue(["card"])
    assert service.issue(["enroll"]).created  # other matters are unaffected


def test_rollover_closes_yesterdays_open_tickets(service, clock):
    number = service.issue(["benefit"]).ticket.number
    yesterday = clock.now().date().isoformat()
    clock.advance(days=1)
    service.expire_calls()
    old = service.ticket(number, day=yesterday)
    assert old.state == TicketState.CANCELLED
    assert old.steps[0].outcome == "day_closed"
    with pytest.raises(e.NothingWaiting):
        service.call_next(5, "staff")


def test_pause_blocks_calls_and_resume_restores(service):
    service.issue(["contrib"])
    service.pause(4, "staff")
    with pytest.raises(e.WindowUnavailable) as paused:
        service.call_next(4, "staff")
    assert paused.value.code == "window_paused"
    service.resume(4, "staff")
    assert service.call_next(4, "staff").number == "B001"


def test_wait_estimate_uses_rolling_service_time_and_open_windows(service, clock):
    for _ in range(4):
        service.issue(["contrib"])
    minutes = service.config.matter("contrib").minutes
    last = service.ticket("B004")
    wait = service.position(last).wait
    assert wait.minutes == pytest.approx(4 * minutes / 3, abs=0.05) and not wait.learned  # windows 1, 2, 4
    for _ in range(policy.MIN_LEARNED + 2):
        service.issue(["contrib"])
    for _ in range(policy.MIN_LEARNED):
        service.call_next(4, "staff")
        service.start(4, "staff")
        clock.advance(minutes=12)
        service.finish(4, "staff")
    last = service.ticket(f"B{4 + policy.MIN_LEARNED + 2:03d}")
    ahead = service.position(last).ahead
    wait = service.position(last).wait
    assert wait.learned and wait.minutes == pytest.approx((ahead + 1) * 12 / 3)
    service.pause(1, "staff")
    assert service.position(last).wait.minutes == pytest.approx((ahead + 1) * 12 / 2)


def test_wait_estimate_is_never_zero_with_people_ahead(service, clock):
    """The kiosk said "前面还有3人，预计等候约0分钟" after a few services finished in seconds."""
    numbers = [service.issue(["contrib"]).ticket.number for _ in range(6)]
    for _ in range(2):  # two services "done" in three seconds: too little learned to trust
        service.call_next(4, "staff")
        service.start(4, "staff")
        clock.advance(seconds=3)
        service.finish(4, "staff")
    position = service.position(service.ticket(numbers[-1]))
    assert position.ahead == 3
    configured = service.config.matter("contrib").minutes
    assert position.wait.minutes == pytest.approx(4 * configured / 3, abs=0.05)
    assert position.to_dict()["wait_minutes"] >= 1 and position.to_dict()["wait_zh"] != "约0分钟"
    newcomer = service.availability()["contrib"]
    assert newcomer.waiting == 4 and newcomer.wait_minutes >= 1


def test_appointment_ranks_by_slot_time(service, clock):
    walk_in = service.issue(["benefit"]).ticket.number
    clock.advance(minutes=20)
    slot = clock.now() - dt.timedelta(minutes=30)  # booked for 08:50, checked in at 09:20
    booked = service.issue(["benefit"], appointment_at=slot).ticket.number
    assert service.call_next(6, "staff").number == booked
    assert walk_in != booked


def test_emoji_in_a_transfer_note_are_removed_cleanly(service):
    """The hall's CJK font has no emoji: they would be boxes on the receiving console and the phone."""
    service.issue(["benefit"])
    service.call_next(5, "staff")
    moved = service.transfer(5, "contrib", "original", "需补缴 💰", "请核对2019年欠费 👍🏻\n谢谢😀", "staff")
    new_step = moved.current_step
    assert (new_step.transfer_reason, new_step.transfer_note) == ("需补缴", "请核对2019年欠费\n谢谢")


def test_a_reason_of_emoji_only_is_no_reason(service):
    service.issue(["benefit"])
    service.call_next(5, "staff")
    with pytest.raises(e.BadRequest) as refused:
        service.transfer(5, "contrib", "original", "👍", None, "staff")
    assert refused.value.code == "transfer_reason_required"


def test_supervisor_moves_a_waiting_ticket_to_another_matter_or_to_the_front(service, clock):
    first = service.issue(["enroll"]).ticket.number
    clock.advance(60)
    second = service.issue(["enroll"]).ticket.number
    # Same matter: to the front of its queue (placement), nothing 转出.
    moved = service.move(second, "enroll", "front", "窗口叫错号，补办", "supervisor:zhao")
    assert [s.state for s in moved.steps] == [StepState.WAITING]
    assert service.call_next(3, "staff").number == second
    # Another matter: the waiting step is 转出 and the ticket waits for contributions.
    moved = service.move(first, "contrib", "original", "选错业务", "supervisor:zhao")
    assert [(s.matter, s.state) for s in moved.steps] == [
        ("enroll", StepState.TRANSFERRED),
        ("contrib", StepState.WAITING),
    ]
    assert moved.steps[1].from_window is None and moved.steps[1].transfer_reason == "选错业务"
    moves = [ev for ev in service.events_since(0) if ev.kind == EventKind.STEP_TRANSFERRED]
    assert [ev.actor for ev in moves] == ["supervisor:zhao", "supervisor:zhao"]
    # A ticket at a window is that window's to transfer.
    with pytest.raises(e.TicketNotWaiting):
        service.move(second, "contrib", "original", "x", "supervisor:zhao")
