"""Random days of operations: every ticket in exactly one consistent state, numbers never change,
and the events replay to exactly the tables."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config
from onevisit.queue import QueueError, QueueService, policy
from onevisit.queue.models import StepState
from onevisit.queue.replay import differences, rebuild, snapshot
from onevisit.queue.service import derive_ticket_state
from tests.conftest import REPO

CONFIG = load_config(REPO / "config.toml")
MATTERS = [m.code for m in CONFIG.matters]
WINDOWS = [w.number for w in CONFIG.windows]
ACTIVE = {StepState.WAITING, StepState.CALLED, StepState.SERVING, StepState.SKIPPED}

matters = st.lists(st.sampled_from(MATTERS), min_size=1, max_size=3, unique=True)
windows = st.sampled_from(WINDOWS)


class HallDay(RuleBasedStateMachine):
    @initialize()
    def open_hall(self):
        self.dir = tempfile.TemporaryDirectory()
        config = CONFIG.model_copy(update={"base_dir": Path(self.dir.name)})
        self.clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        self.service = QueueService.open(config, db_path=Path(self.dir.name) / "hall.db", clock=self.clock)
        self.numbers: dict[int, str] = {}

    def teardown(self):
        if hasattr(self, "service"):
            self.service.close()
            self.dir.cleanup()

    def _try(self, action):
        try:
            return action()
        except QueueError:
            return None  # refusals are fine; the invariants check they changed nothing wrong

    @rule(itinerary=matters, priority=st.booleans(), key=st.none() | st.sampled_from(["k1", "k2", "k3"]))
    def issue(self, itinerary, priority, key):
        self._try(
            lambda: self.service.issue(
                itinerary, declared="veteran" if priority else None, idempotency_key=key
            )
        )

    @rule(window=windows, action=st.sampled_from(["call_next", "recall", "skip", "start", "finish"]))
    def window_action(self, window, action):
        self._try(lambda: getattr(self.service, action)(window, "staff"))

    @rule(window=windows)
    def serve(self, window):
        """What a clerk mostly does: call when free, start when called, finish when serving."""
        status = self.service.window_status(window)
        if status.current_number is None:
            self._try(lambda: self.service.call_next(window, "staff"))
            return
        step = self.service.ticket(status.current_number).current_step
        action = self.service.start if step.state == StepState.CALLED else self.service.finish
        self._try(lambda: action(window, "staff"))

    @rule(
        window=windows,
        to=st.sampled_from(MATTERS),
        placement=st.sampled_from(["original", "front", "end"]),
        return_after=st.booleans(),
    )
    def transfer(self, window, to, placement, return_after):
        self._try(
            lambda: self.service.transfer(
                window, to, placement, "转办", None, "staff", return_after=return_after
            )
        )

    @rule(
        data=st.data(), to=st.sampled_from(MATTERS), placement=st.sampled_from(["original", "front", "end"])
    )
    def supervisor_moves(self, data, to, placement):
        if not self.numbers:
            return
        number = data.draw(st.sampled_from(sorted(self.numbers.values())))
        self._try(lambda: self.service.move(number, to, placement, "调整", "supervisor"))

    @rule(data=st.data(), action=st.sampled_from(["checkin", "cancel", "add_matter"]))
    def ticket_action(self, data, action):
        if not self.numbers:
            return
        number = data.draw(st.sampled_from(sorted(self.numbers.values())))
        if action == "add_matter":
            self._try(lambda: self.service.add_matter(number, data.draw(st.sampled_from(MATTERS)), "staff"))
        else:
            self._try(lambda: getattr(self.service, action)(number, "staff"))

    @rule(window=windows, action=st.sampled_from(["pause", "resume"]))
    def window_state(self, window, action):
        getattr(self.service, action)(window, "staff")

    @rule(seconds=st.integers(0, 400))
    def time_passes(self, seconds):
        self.clock.advance(seconds)
        self.service.expire_calls()

    @invariant()
    def tickets_are_consistent(self):
        if not hasattr(self, "service"):
            return
        tables = snapshot(self.service.store)
        steps_by_ticket: dict[int, list[dict]] = {}
        for step in tables["steps"].values():
            steps_by_ticket.setdefault(step["ticket_id"], []).append(step)
        for ticket_id, ticket in tables["tickets"].items():
            steps = sorted(steps_by_ticket[ticket_id], key=lambda s: s["seq"])
            assert ticket["state"] == derive_ticket_state(steps)  # exactly one state, the right one
            assert sum(s["state"] in ACTIVE for s in steps) <= 1  # in one queue or at one window at a time
            assert (
                self.numbers.setdefault(ticket_id, ticket["number"]) == ticket["number"]
            )  # never renumbered
        for number, window in tables["windows"].items():
            if window["current_step_id"] is not None:
                step = tables["steps"][window["current_step_id"]]
                if step["state"] in (StepState.CALLED, StepState.SERVING):
                    assert step["window"] == number
        held = [w["current_step_id"] for w in tables["windows"].values() if w["current_step_id"]]
        live = [h for h in held if tables["steps"][h]["state"] in (StepState.CALLED, StepState.SERVING)]
        assert len(live) == len(set(live))  # no citizen at two windows
        numbers = [t["number"] for t in tables["tickets"].values()]
        assert len(numbers) == len(set(numbers))

    @invariant()
    def positions_follow_the_call_order(self):
        """The store counts places in SQL; the count must match policy.queue_order on the rows."""
        if not hasattr(self, "service"):
            return
        day = self.clock.now().date().isoformat()
        with self.service.store.reading() as tx:
            for matter in MATTERS:
                waiting = tx.waiting(day, [matter])
                assert tx.waiting_count(day, matter) == len(waiting)
                for row in waiting:
                    assert tx.ahead_count(row["id"]) == policy.ahead_of(row, waiting)
            # the 到号提醒 watcher's one-query places agree with the per-step count
            for place in tx.waiting_ahead(day):
                assert place["ahead"] == tx.ahead_count(place["step_id"]), place

    @invariant()
    def calls_choose_from_the_whole_queue(self):
        """A call reads only the queue's heads; choose_next must pick what it picks over every row."""
        if not hasattr(self, "service"):
            return
        day = self.clock.now().date().isoformat()
        interleave = self.service.config.priority.interleave
        with self.service.store.reading() as tx:
            for window in self.service.config.windows:
                matters = list(window.matters)
                every = tx.waiting(day, matters)
                for streak in (0, interleave - 1, interleave):
                    heads = QueueService._call_candidates(tx, day, matters, streak, interleave)
                    assert policy.choose_next(heads, streak, interleave) == policy.choose_next(
                        every, streak, interleave
                    )

    @invariant()
    def events_replay_to_the_tables(self):
        if not hasattr(self, "service"):
            return
        replayed = rebuild(self.service.config, self.service.events_since(0, 100000))
        assert differences(replayed, snapshot(self.service.store)) == []


HallDay.TestCase.settings = settings(
    max_examples=50, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestHallDay = HallDay.TestCase
