"""The queue's rules: one ticket for the whole visit, moving from matter to matter.

Every method that changes something runs in one BEGIN IMMEDIATE transaction that also appends the
event saying who did what; a refusal raises a QueueError before anything is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onevisit.core.clock import Clock, SystemClock
from onevisit.core.config import Config, parse_hhmm
from onevisit.core.identity import IdNumber, parse_id, redact_ids
from onevisit.core.secrets import load_or_create_key
from onevisit.core.text import without_emoji
from onevisit.core.typed import squeezed
from onevisit.db import Database
from onevisit.db.epoch import EPOCH_KEY
from onevisit.queue import errors as e
from onevisit.queue import policy
from onevisit.queue.models import (
    CLOSED_TICKET_STATES,
    ENDED_STEP_STATES,
    Event,
    EventKind,
    Placement,
    Step,
    StepState,
    Ticket,
    TicketState,
    WindowState,
    WindowStatus,
)
from onevisit.queue.numbers import canonical, format_number
from onevisit.queue.priority import priority_label
from onevisit.queue.store import QueueStore
from onevisit.queue.store import QueueTx as Tx

log = logging.getLogger(__name__)

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed from paper
MAX_MATTERS = 5
MAX_REASON = 100
MAX_NOTE = 500
MAX_TAG = 300
MAX_KEY = 100
SERVICE_SAMPLE = 20  # finished steps in the rolling mean of service time


@dataclass(frozen=True)
class IssueResult:
    ticket: Ticket
    created: bool


@dataclass(frozen=True)
class Position:
    """Where a ticket stands in its current matter's queue; `wait` is policy.estimate_wait's."""

    matter: str | None
    ahead: int
    position: int
    wait: policy.WaitEstimate
    windows: list[int]

    @property
    def wait_minutes(self) -> int:
        """Whole minutes as shown (the upper end of a range)."""
        return self.wait.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "matter": self.matter,
            "ahead": self.ahead,
            "position": self.position,
            **self.wait.to_dict(),
            "windows": self.windows,
        }


@dataclass(frozen=True)
class MatterAvailability:
    """A matter seen by a newcomer: open?, tickets left, people waiting, the wait they would face."""

    code: str
    open: bool
    remaining: int
    reason_code: str | None
    waiting: int
    wait: policy.WaitEstimate
    windows: list[int]

    @property
    def wait_minutes(self) -> int:
        """Whole minutes as shown (the upper end of a range)."""
        return self.wait.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "open": self.open,
            "remaining": self.remaining,
            "reason_code": self.reason_code,
            "waiting": self.waiting,
            **self.wait.to_dict(),
            "windows": self.windows,
        }


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def _step(row: dict[str, Any]) -> Step:
    return Step(
        id=row["id"],
        ticket_id=row["ticket_id"],
        seq=row["seq"],
        matter=row["matter"],
        state=StepState(row["state"]),
        window=row["window"],
        queued_at=row["queued_at"],
        sort_key=row["sort_key"],
        call_count=row["call_count"],
        called_at=row["called_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        from_window=row["from_window"],
        transfer_reason=row["transfer_reason"],
        transfer_note=row["transfer_note"],
        outcome=row["outcome"],
    )


def _ticket(row: dict[str, Any], steps: Iterable[dict[str, Any]]) -> Ticket:
    return Ticket(
        id=row["id"],
        day=row["day"],
        number=row["number"],
        short_code=row["short_code"],
        state=TicketState(row["state"]),
        priority=row["priority"],
        priority_reason=row["priority_reason"],
        person_masked=row["person_masked"],
        created_at=row["created_at"],
        source=row["source"],
        tag=row["tag"],
        appointment_at=row["appointment_at"],
        steps=tuple(_step(s) for s in steps),
    )


def derive_ticket_state(steps: Iterable[dict[str, Any]]) -> TicketState:
    """A ticket's state follows from its steps; kept in a column so lists need no join."""
    states = [s["state"] for s in steps]
    for step_state, ticket_state in (
        (StepState.SERVING, TicketState.SERVING),
        (StepState.CALLED, TicketState.CALLED),
        (StepState.SKIPPED, TicketState.MISSED),
        (StepState.WAITING, TicketState.WAITING),
        (StepState.PENDING, TicketState.WAITING),
    ):
        if step_state in states:
            return ticket_state
    # A transfer (转出) never ends a visit by itself: it always queues the next matter, so a visit is
    # done only when some window finished a matter, never because one sent the citizen on.
    return TicketState.DONE if StepState.DONE in states else TicketState.CANCELLED


class QueueService:
    def __init__(self, config: Config, store: QueueStore, clock: Clock, id_key: bytes) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._id_key = id_key
        self._ensure_windows()

    @classmethod
    def open(
        cls,
        config: Config,
        db_path: str | Path | Database | None = None,
        clock: Clock | None = None,
        *,
        durable: bool = True,
    ) -> QueueService:
        """The queue of the hall in `config`, on `db_path` (a file path, a postgresql:// URL, or an
        open Database shared with the hall's other stores), by default `[hall] database`.
        durable=False only for simulated days (see Database)."""
        key = load_or_create_key(config.path(config.security.secrets_dir), "id-hash.key")
        if isinstance(db_path, Database):
            store = QueueStore(db_path)
        else:
            target = str(db_path) if db_path else config.database_target
            store = QueueStore.open(target, config.hall.code, durable=durable)
        return cls(config, store, clock or SystemClock(config.hall.timezone), key)

    def close(self) -> None:
        self.store.close()

    # -- helpers ---------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return self.clock.now()

    def _today(self) -> str:
        return self._now().date().isoformat()

    def _ensure_windows(self) -> None:
        with self.store.transaction() as tx:
            for window in self.config.windows:
                if tx.window(window.number) is None:
                    tx.add_window(window.number)

    def _matter(self, code: str):
        try:
            return self.config.matter(code)
        except KeyError:
            raise e.UnknownMatter(code, [m.code for m in self.config.matters]) from None

    def _window_config(self, number: int):
        try:
            return self.config.window(number)
        except KeyError:
            raise e.UnknownWindow(number) from None

    def _load(self, tx: Tx, row: dict[str, Any]) -> Ticket:
        return _ticket(tx.ticket(row["id"]) or row, tx.steps(row["id"]))

    def _sync_ticket(self, tx: Tx, ticket_id: int, row: dict[str, Any] | None = None) -> Ticket:
        """The ticket with its state derived from its steps (written when it changed). `row`: the
        ticket's row when this transaction already read it and wrote nothing to it since, which
        saves a read on every call, recall, start and finish."""
        row = row if row is not None else tx.ticket(ticket_id)
        assert row is not None and row["id"] == ticket_id
        steps = tx.steps(ticket_id)
        state = derive_ticket_state(steps)
        if row["state"] != state:
            tx.update("tickets", ticket_id, {"state": str(state)})
            row["state"] = str(state)
        return _ticket(row, steps)

    def _event(
        self,
        tx: Tx,
        kind: EventKind,
        actor: str,
        *,
        number: str | None = None,
        window: int | None = None,
        matter: str | None = None,
        **data: Any,
    ) -> None:
        now = self._now()
        tx.append_event(
            at=_iso(now),
            actor=actor,
            kind=str(kind),
            day=now.date().isoformat(),
            number=number,
            window=window,
            matter=matter,
            data=data,
        )

    def _check_can_issue(self, tx: Tx, matters: list[str], now: dt.datetime) -> None:
        hours = self.config.hall.hours
        if hours.enforce and not (parse_hhmm(hours.open) <= now.time() < parse_hhmm(hours.close)):
            raise e.HallClosed(hours.open, hours.close)
        day = now.date().isoformat()
        # Counting a matter's steps today walks the day; skip it when the cap is out of reach
        # anyway (a new hall, or a simulated day whose caps are lifted).
        ceiling = tx.steps_ceiling()
        for code in matters:
            matter = self._matter(code)
            if hours.enforce and now.time() >= parse_hhmm(matter.cutoff):
                raise e.MatterClosed(code, matter.name_zh, matter.cutoff)
            if matter.daily_cap <= ceiling and tx.steps_issued(day, code) >= matter.daily_cap:
                raise e.MatterFull(code, matter.name_zh)

    def _priority(
        self, person: IdNumber | None, declared: str | None, today: dt.date
    ) -> tuple[int, str | None]:
        rules = self.config.priority
        if declared:
            return 1, declared
        if person is not None and person.age_on(today) >= rules.age_at_least:
            return 1, f"age{rules.age_at_least}"
        return 0, None

    def _at_window(self, tx: Tx, window: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The window's row, its current step and that step's ticket; refuses when it has none."""
        self._window_config(window)
        w = tx.window(window)
        assert w is not None
        step = tx.step(w["current_step_id"]) if w["current_step_id"] else None
        if step is None or step["state"] not in (StepState.CALLED, StepState.SERVING):
            raise e.NothingAtWindow(window)
        ticket = tx.ticket(step["ticket_id"])
        assert ticket is not None
        return w, step, ticket

    # -- issuing ---------------------------------------------------------------------------
    def issue(
        self,
        matters: Iterable[str],
        *,
        id_number: str | None = None,
        declared: str | None = None,
        idempotency_key: str | None = None,
        source: str | None = None,
        tag: str | None = None,
        appointment_at: dt.datetime | None = None,
        actor: str = "kiosk",
    ) -> IssueResult:
        """A ticket for a visit with an ordered itinerary. Returns the existing ticket (created=False)
        for a retried idempotency key or a person who already has an open ticket today."""
        matters = [m.strip() for m in matters if m and m.strip()]
        if not matters:
            raise e.BadRequest("no_matters", "请至少选择一项业务", "Choose at least one matter")
        if len(matters) > MAX_MATTERS:
            raise e.BadRequest(
                "too_many_matters",
                f"一次最多选择{MAX_MATTERS}项业务",
                f"At most {MAX_MATTERS} matters per visit",
            )
        if len(set(matters)) != len(matters):
            raise e.BadRequest("duplicate_matter", "同一业务只需选择一次", "Each matter only once")
        for code in matters:
            self._matter(code)
        if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_KEY):
            raise e.BadRequest(
                "bad_idempotency_key", "请求标识无效", f"idempotency_key must be 1–{MAX_KEY} characters"
            )
        if declared is not None and declared not in self.config.priority.declared:
            raise e.BadRequest(
                "bad_priority_declaration",
                "优先类别无效",
                f"declared must be one of {self.config.priority.declared}",
            )
        if tag is not None and len(tag) > MAX_TAG:
            raise e.BadRequest("tag_too_long", "备注过长", f"tag is limited to {MAX_TAG} characters")
        now = self._now()
        person = parse_id(id_number, now.date()) if id_number else None
        person_hash = person.keyed_hash(self._id_key) if person else None
        day = now.date().isoformat()
        with self.store.transaction() as tx:
            if idempotency_key:
                existing = tx.ticket_by_key(idempotency_key)
                if existing:
                    return IssueResult(self._load(tx, existing), False)
            if person_hash:
                existing = tx.open_ticket_of_person(day, person_hash)
                if existing:
                    return IssueResult(self._load(tx, existing), False)
            self._check_can_issue(tx, matters, now)
            prefix = self._matter(matters[0]).prefix
            seq = tx.next_seq(day, prefix)
            number = format_number(prefix, seq)
            priority, reason = self._priority(person, declared, now.date())
            arrival = appointment_at if appointment_at else now
            ticket_id = tx.insert(
                "tickets",
                {
                    "day": day,
                    "seq": seq,
                    "number": number,
                    "short_code": "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6)),
                    "state": str(TicketState.WAITING),
                    "priority": priority,
                    "priority_reason": reason,
                    "person_hash": person_hash,
                    "person_masked": person.masked if person else None,
                    "created_at": _iso(now),
                    "arrival_key": arrival.timestamp(),
                    "idempotency_key": idempotency_key,
                    "source": source,
                    "tag": redact_ids(tag) if tag else None,
                    "appointment_at": _iso(appointment_at) if appointment_at else None,
                },
            )
            for i, code in enumerate(matters):
                first = i == 0
                tx.insert(
                    "steps",
                    {
                        "ticket_id": ticket_id,
                        "seq": i,
                        "matter": code,
                        "state": str(StepState.WAITING if first else StepState.PENDING),
                        "queued_at": _iso(arrival) if first else None,
                        "sort_key": arrival.timestamp() if first else None,
                        "call_count": 0,
                    },
                )
            self._event(
                tx,
                EventKind.TICKET_ISSUED,
                actor,
                number=number,
                matter=matters[0],
                matters=matters,
                priority=priority,
                source=source,
            )
            return IssueResult(self._load(tx, {"id": ticket_id}), True)

    # -- windows calling -------------------------------------------------------------------
    def call_next(self, window: int, actor: str) -> Ticket:
        """Call whoever the policy says is next for this window's matters."""
        return self._call(window, actor, number=None)

    def call_number(self, window: int, number: str, actor: str) -> Ticket:
        """叫指定号: call one particular waiting ticket (an appointment, a citizen staff can see)."""
        return self._call(window, actor, number=number)

    def _call(self, window: int, actor: str, number: str | None) -> Ticket:
        spec = self._window_config(window)
        self.expire_calls()
        now = self._now()
        day = now.date().isoformat()
        with self.store.transaction() as tx:
            w = tx.window(window)
            assert w is not None
            if w["state"] != WindowState.OPEN:
                raise e.WindowUnavailable(window, w["state"])
            if w["current_step_id"]:
                current = tx.step(w["current_step_id"])
                if current and current["state"] in (StepState.CALLED, StepState.SERVING):
                    ticket = tx.ticket(current["ticket_id"])
                    raise e.WindowBusy(window, ticket["number"] if ticket else "?", current["state"])
            streak = w["priority_streak"]
            if number is None:
                interleave = self.config.priority.interleave
                candidates = self._call_candidates(tx, day, list(spec.matters), streak, interleave)
                chosen, streak = policy.choose_next(candidates, streak, interleave)
                if chosen is None:
                    raise e.NothingWaiting(window)
            else:
                row = self._open_ticket(tx, number)
                chosen = next((s for s in tx.steps(row["id"]) if s["state"] == StepState.WAITING), None)
                if chosen is None:
                    raise e.TicketNotWaiting(row["number"], row["state"])
                if chosen["matter"] not in spec.matters:
                    raise e.WindowNotServing(window, chosen["matter"])
            tx.update(
                "steps",
                chosen["id"],
                {
                    "state": str(StepState.CALLED),
                    "window": window,
                    "call_count": chosen["call_count"] + 1,
                    "called_at": _iso(now),
                },
            )
            tx.update("windows", window, {"current_step_id": chosen["id"], "priority_streak": streak})
            ticket = self._sync_ticket(tx, chosen["ticket_id"])
            self._event(
                tx,
                EventKind.STEP_CALLED,
                actor,
                number=ticket.number,
                window=window,
                matter=chosen["matter"],
                chosen_by="staff" if number else "policy",
            )
            return ticket

    @staticmethod
    def _call_candidates(
        tx: Tx, day: str, matters: list[str], streak: int, interleave: int
    ) -> list[dict[str, Any]]:
        """The waiting steps policy.choose_next has to see: the head of the queue and, when that is
        a priority citizen and the window's priority streak has run out, the head of the regular
        tier. choose_next picks from these what it picks from the whole queue (checked by the
        stateful property test); a call reads one or two rows instead of every waiting step.
        """
        head = tx.queue_head(day, matters)
        if head is None or int(head["priority"]) <= 0 or streak < interleave:
            return [head] if head else []
        regular = tx.queue_head(day, matters, regular=True)
        return [head, regular] if regular else [head]

    def recall(self, window: int, actor: str) -> Ticket:
        rules = self.config.recall
        now = self._now()
        with self.store.transaction() as tx:
            _, step, ticket_row = self._at_window(tx, window)
            if step["state"] != StepState.CALLED:
                raise e.NothingCalled(window)
            if step["call_count"] - 1 >= rules.max_recalls:
                raise e.RecallLimit(rules.max_recalls)
            since = (now - dt.datetime.fromisoformat(step["called_at"])).total_seconds()
            if since < rules.min_seconds:
                raise e.RecallTooSoon(int(rules.min_seconds - since + 0.999))
            tx.update("steps", step["id"], {"call_count": step["call_count"] + 1, "called_at": _iso(now)})
            self._event(
                tx,
                EventKind.STEP_RECALLED,
                actor,
                number=ticket_row["number"],
                window=window,
                matter=step["matter"],
                call_count=step["call_count"] + 1,
            )
            return self._sync_ticket(tx, ticket_row["id"], ticket_row)

    def skip(self, window: int, actor: str) -> Ticket:
        """过号: the called citizen did not come. They may re-check-in at a kiosk or window."""
        with self.store.transaction() as tx:
            _, step, ticket_row = self._at_window(tx, window)
            if step["state"] != StepState.CALLED:
                raise e.NothingCalled(window)
            return self._skip(tx, window, step, ticket_row, actor, "no_show")

    def _skip(self, tx: Tx, window: int, step: dict, ticket_row: dict, actor: str, outcome: str) -> Ticket:
        tx.update("steps", step["id"], {"state": str(StepState.SKIPPED), "outcome": outcome})
        tx.update("windows", window, {"current_step_id": None})
        ticket = self._sync_ticket(tx, ticket_row["id"], ticket_row)
        self._event(
            tx,
            EventKind.STEP_SKIPPED,
            actor,
            number=ticket.number,
            window=window,
            matter=step["matter"],
            outcome=outcome,
        )
        return ticket

    def start(self, window: int, actor: str) -> Ticket:
        now = self._now()
        with self.store.transaction() as tx:
            _, step, ticket_row = self._at_window(tx, window)
            if step["state"] != StepState.CALLED:
                raise e.NothingCalled(window)
            tx.update("steps", step["id"], {"state": str(StepState.SERVING), "started_at": _iso(now)})
            ticket = self._sync_ticket(tx, ticket_row["id"], ticket_row)
            self._event(
                tx, EventKind.STEP_STARTED, actor, number=ticket.number, window=window, matter=step["matter"]
            )
            return ticket

    def finish(self, window: int, actor: str, outcome: str | None = None) -> Ticket:
        """Ends this matter and moves the same ticket on to its next matter, keeping its arrival time."""
        if outcome is not None and len(outcome) > MAX_REASON:
            raise e.BadRequest(
                "outcome_too_long", "办理结果过长", f"outcome is limited to {MAX_REASON} characters"
            )
        now = self._now()
        with self.store.transaction() as tx:
            _, step, ticket_row = self._at_window(tx, window)
            if step["state"] != StepState.SERVING:
                raise e.NothingServing(window)
            tx.update(
                "steps",
                step["id"],
                {"state": str(StepState.DONE), "finished_at": _iso(now), "outcome": outcome or "completed"},
            )
            tx.update("windows", window, {"current_step_id": None})
            next_step = self._advance(tx, ticket_row)
            ticket = self._sync_ticket(tx, ticket_row["id"], ticket_row)
            self._event(
                tx,
                EventKind.STEP_FINISHED,
                actor,
                number=ticket.number,
                window=window,
                matter=step["matter"],
                step_id=step["id"],
                next_matter=next_step["matter"] if next_step else None,
            )
            return ticket

    def _advance(self, tx: Tx, ticket_row: dict[str, Any]) -> dict[str, Any] | None:
        """Queue the itinerary's next pending matter by the visit's original arrival time."""
        pending = [s for s in tx.steps(ticket_row["id"]) if s["state"] == StepState.PENDING]
        if not pending:
            return None
        nxt = pending[0]
        arrival = dt.datetime.fromtimestamp(ticket_row["arrival_key"], self._now().tzinfo)
        tx.update(
            "steps",
            nxt["id"],
            {
                "state": str(StepState.WAITING),
                "sort_key": ticket_row["arrival_key"],
                "queued_at": _iso(arrival),
            },
        )
        return nxt

    def transfer(
        self,
        window: int,
        to_matter: str,
        placement: str,
        reason: str,
        note: str | None,
        actor: str,
        *,
        return_after: bool = False,
    ) -> Ticket:
        """转出: send the citizen at this window on to another matter; the receiving window sees reason
        and note. This step becomes `transferred` (not done: its matter was not finished here).

        `return_after` (一窗受理 halls' "办完再回来"): the itinerary gets this step's matter again right
        after the new one, as a pending step with the same number, so finishing the new matter brings
        the citizen back to the one they came for. Refused (`same_matter`) when `to_matter` is the
        matter being served."""
        placement, reason, note = self._transfer_args(to_matter, placement, reason, note)
        with self.store.transaction() as tx:
            _, step, ticket_row = self._at_window(tx, window)
            tx.update("windows", window, {"current_step_id": None})
            return self._send_on(
                tx, step, ticket_row, to_matter, placement, reason, note, actor, window, return_after
            )

    def move(self, number: str, to_matter: str, placement: str, reason: str, actor: str) -> Ticket:
        """The supervisor moves a waiting ticket: to another matter's queue (its current step becomes
        转出 and a new step waits, as with a window's transfer) or, for the same matter, to the
        front, the end or back to its arrival place. Refuses a ticket that is not waiting
        (`ticket_not_waiting`): one at a window is transferred by that window."""
        placement, reason, _ = self._transfer_args(to_matter, placement, reason, None)
        now = self._now()
        with self.store.transaction() as tx:
            row = self._open_ticket(tx, number)
            step = next((s for s in tx.steps(row["id"]) if s["state"] == StepState.WAITING), None)
            if step is None:
                raise e.TicketNotWaiting(row["number"], row["state"])
            if step["matter"] != to_matter:
                return self._send_on(tx, step, row, to_matter, placement, reason, None, actor, None, False)
            waiting = [w for w in tx.waiting(row["day"], [to_matter]) if w["id"] != step["id"]]
            key = policy.key_for_placement(placement, waiting, row["arrival_key"], now.timestamp())
            tx.update(
                "steps",
                step["id"],
                {"sort_key": key, "queued_at": _iso(dt.datetime.fromtimestamp(key, now.tzinfo))},
            )
            ticket = self._sync_ticket(tx, row["id"])
            self._event(
                tx,
                EventKind.STEP_TRANSFERRED,
                actor,
                number=ticket.number,
                matter=to_matter,
                to_matter=to_matter,
                placement=str(placement),
                reason=redact_ids(reason),
                return_after=False,
            )
            return ticket

    def _transfer_args(
        self, to_matter: str, placement: str, reason: str, note: str | None
    ) -> tuple[Placement, str, str | None]:
        """Checked placement, reason and note of a transfer or move; refusals before any write."""
        self._matter(to_matter)
        try:
            checked = Placement(placement)
        except ValueError:
            raise e.BadRequest(
                "bad_placement",
                "排队位置无效",
                "placement must be original, front or end",
                placement=placement,
            ) from None
        # Emoji are removed here, once: the hall's CJK font has none, so they would show as boxes
        # on the receiving console, the phone page and the boards (core/text.py).
        reason = without_emoji(reason or "")
        note = without_emoji(note) if note else None
        if not reason:
            raise e.BadRequest("transfer_reason_required", "请填写转移原因", "A transfer needs a reason")
        if len(reason) > MAX_REASON or (note and len(note) > MAX_NOTE):
            raise e.BadRequest(
                "transfer_text_too_long",
                "原因或备注过长",
                f"reason is limited to {MAX_REASON} and note to {MAX_NOTE} characters",
            )
        return checked, reason, note or None

    def _send_on(
        self,
        tx: Tx,
        step: dict[str, Any],
        ticket_row: dict[str, Any],
        to_matter: str,
        placement: Placement,
        reason: str,
        note: str | None,
        actor: str,
        window: int | None,
        return_after: bool,
    ) -> Ticket:
        """The transfer itself: `step` becomes 转出, a new step waits for `to_matter` right after it
        (and, with `return_after`, `step`'s matter again after that), in one transaction."""
        now = self._now()
        if step["matter"] == to_matter:
            raise e.BadRequest(
                "same_matter",
                "不能转到正在办理的同一项业务",
                "Transfer to another matter than the one being served",
                matter=to_matter,
            )
        tx.update(
            "steps",
            step["id"],
            {"state": str(StepState.TRANSFERRED), "finished_at": _iso(now), "outcome": "transferred"},
        )
        # Later steps move down one place (two with a return step); highest first so
        # (ticket_id, seq) stays unique.
        shift = 2 if return_after else 1
        for later in sorted(
            (s for s in tx.steps(ticket_row["id"]) if s["seq"] > step["seq"]), key=lambda s: -s["seq"]
        ):
            tx.update("steps", later["id"], {"seq": later["seq"] + shift})
        waiting = tx.waiting(now.date().isoformat(), [to_matter])
        key = policy.key_for_placement(placement, waiting, ticket_row["arrival_key"], now.timestamp())
        tx.insert(
            "steps",
            {
                "ticket_id": ticket_row["id"],
                "seq": step["seq"] + 1,
                "matter": to_matter,
                "state": str(StepState.WAITING),
                "queued_at": _iso(dt.datetime.fromtimestamp(key, now.tzinfo)),
                "sort_key": key,
                "call_count": 0,
                "from_window": window,
                "transfer_reason": redact_ids(reason),
                "transfer_note": redact_ids(note) if note else None,
            },
        )
        if return_after:
            tx.insert(
                "steps",
                {
                    "ticket_id": ticket_row["id"],
                    "seq": step["seq"] + 2,
                    "matter": step["matter"],
                    "state": str(StepState.PENDING),
                    "call_count": 0,
                    "from_window": window,
                    "transfer_reason": redact_ids(reason),
                },
            )
        ticket = self._sync_ticket(tx, ticket_row["id"])
        self._event(
            tx,
            EventKind.STEP_TRANSFERRED,
            actor,
            number=ticket.number,
            window=window,
            matter=step["matter"],
            to_matter=to_matter,
            placement=str(placement),
            reason=redact_ids(reason),
            return_after=return_after,
        )
        return ticket

    # -- the visit -------------------------------------------------------------------------
    def _open_ticket(self, tx: Tx, number: str) -> dict[str, Any]:
        wanted = canonical(number)  # a1, A01, ａ００１ are A001; a malformed one is refused (422)
        row = tx.ticket_by_number(self._today(), wanted)
        if row is None:
            raise e.TicketNotFound(wanted)
        if row["state"] in CLOSED_TICKET_STATES:
            raise e.TicketClosed(row["number"], row["state"])
        return row

    def add_matter(self, number: str, matter: str, actor: str) -> Ticket:
        spec = self._matter(matter)
        with self.store.transaction() as tx:
            row = self._open_ticket(tx, number)
            steps = tx.steps(row["id"])
            if any(
                s["matter"] == matter and s["state"] in (StepState.PENDING, StepState.WAITING) for s in steps
            ):
                raise e.BadRequest(
                    "matter_already_in_visit",
                    f"该号码已包含“{spec.name_zh}”",
                    f"{matter} is already on this visit",
                )
            if tx.steps_issued(row["day"], matter) >= spec.daily_cap:
                raise e.MatterFull(matter, spec.name_zh)
            tx.insert(
                "steps",
                {
                    "ticket_id": row["id"],
                    "seq": max(s["seq"] for s in steps) + 1,
                    "matter": matter,
                    "state": str(StepState.PENDING),
                    "call_count": 0,
                },
            )
            ticket = self._sync_ticket(tx, row["id"])
            self._event(tx, EventKind.STEP_ADDED, actor, number=ticket.number, matter=matter)
            return ticket

    def checkin(self, number: str, actor: str) -> Ticket:
        """A late citizen (过号) re-enters their matter's queue `reentry_offset` places back."""
        now = self._now()
        with self.store.transaction() as tx:
            row = self._open_ticket(tx, number)
            step = next((s for s in tx.steps(row["id"]) if s["state"] == StepState.SKIPPED), None)
            if step is None:
                raise e.NotMissed(row["number"])
            waiting = tx.waiting(row["day"], [step["matter"]])
            key = policy.key_after(
                waiting, row["priority"], self.config.recall.reentry_offset, now.timestamp()
            )
            tx.update(
                "steps",
                step["id"],
                {
                    "state": str(StepState.WAITING),
                    "window": None,
                    "call_count": 0,
                    "called_at": None,
                    "sort_key": key,
                    "queued_at": _iso(dt.datetime.fromtimestamp(key, now.tzinfo)),
                    "outcome": None,
                },
            )
            ticket = self._sync_ticket(tx, row["id"])
            self._event(tx, EventKind.TICKET_CHECKED_IN, actor, number=ticket.number, matter=step["matter"])
            return ticket

    def cancel(self, number: str, actor: str) -> Ticket:
        with self.store.transaction() as tx:
            row = self._open_ticket(tx, number)
            self._close_ticket(tx, row, "cancelled")
            ticket = self._sync_ticket(tx, row["id"])
            self._event(tx, EventKind.TICKET_CANCELLED, actor, number=ticket.number)
            return ticket

    def _close_ticket(self, tx: Tx, row: dict[str, Any], outcome: str) -> None:
        for step in tx.steps(row["id"]):
            if step["state"] in ENDED_STEP_STATES:
                continue
            tx.update("steps", step["id"], {"state": str(StepState.CANCELLED), "outcome": outcome})
            if step["window"] is not None:
                w = tx.window(step["window"])
                if w and w["current_step_id"] == step["id"]:
                    tx.update("windows", step["window"], {"current_step_id": None})

    # -- windows ---------------------------------------------------------------------------
    def _set_window(self, window: int, state: WindowState, kind: EventKind, actor: str) -> WindowStatus:
        self._window_config(window)
        with self.store.transaction() as tx:
            w = tx.window(window)
            assert w is not None
            if w["state"] != state:
                if state == WindowState.CLOSED and w["current_step_id"]:
                    current = tx.step(w["current_step_id"])
                    if current and current["state"] in (StepState.CALLED, StepState.SERVING):
                        ticket = tx.ticket(current["ticket_id"])
                        raise e.WindowBusy(window, ticket["number"] if ticket else "?", current["state"])
                tx.update("windows", window, {"state": str(state)})
                self._event(tx, kind, actor, window=window)
            return self._window_status(tx, window)

    def pause(self, window: int, actor: str) -> WindowStatus:
        return self._set_window(window, WindowState.PAUSED, EventKind.WINDOW_PAUSED, actor)

    def resume(self, window: int, actor: str) -> WindowStatus:
        return self._set_window(window, WindowState.OPEN, EventKind.WINDOW_RESUMED, actor)

    def open_window(self, window: int, actor: str) -> WindowStatus:
        return self._set_window(window, WindowState.OPEN, EventKind.WINDOW_OPENED, actor)

    def close_window(self, window: int, actor: str) -> WindowStatus:
        return self._set_window(window, WindowState.CLOSED, EventKind.WINDOW_CLOSED, actor)

    # -- housekeeping ----------------------------------------------------------------------
    def expire_calls(self) -> list[Ticket]:
        """Auto-skip calls nobody answered within the timeout, and close yesterday's open tickets."""
        now = self._now()
        today = now.date().isoformat()
        limit = now - dt.timedelta(seconds=self.config.recall.auto_skip_seconds)

        def stale(tx: Tx) -> list[dict[str, Any]]:
            called = tx.all("SELECT * FROM steps WHERE state = 'called'")
            return [s for s in called if dt.datetime.fromisoformat(s["called_at"]) <= limit]

        def old_open(tx: Tx) -> list[dict[str, Any]]:
            return tx.all("SELECT * FROM tickets WHERE day < ? AND state NOT IN ('done', 'cancelled')", today)

        # Called before every call: a cheap read first, so the common case writes nothing. Only the
        # called steps' times (one per busy window at most) and whether any old ticket is open.
        with self.store.reading() as tx:
            called = tx.all("SELECT called_at FROM steps WHERE state = 'called'")
            due = any(dt.datetime.fromisoformat(c["called_at"]) <= limit for c in called)
            left_open = tx.one(
                "SELECT 1 AS open FROM tickets WHERE day < ? AND state NOT IN ('done', 'cancelled') LIMIT 1",
                today,
            )
            if not due and left_open is None:
                return []
        skipped: list[Ticket] = []
        with self.store.transaction() as tx:
            for row in old_open(tx):
                self._close_ticket(tx, row, "day_closed")
                self._sync_ticket(tx, row["id"])
                self._event(
                    tx, EventKind.TICKET_CLOSED, "system:rollover", number=row["number"], day_of=row["day"]
                )
            for step in stale(tx):
                ticket_row = tx.ticket(step["ticket_id"])
                assert ticket_row is not None
                skipped.append(
                    self._skip(tx, step["window"], step, ticket_row, "system:auto-skip", "no_show_timeout")
                )
        return skipped

    # -- reads -----------------------------------------------------------------------------
    def ticket(self, number: str, day: str | None = None) -> Ticket:
        with self.store.reading() as tx:
            wanted = canonical(number)
            row = tx.ticket_by_number(day or self._today(), wanted)
            if row is None:
                raise e.TicketNotFound(wanted)
            return _ticket(row, tx.steps(row["id"]))

    def ticket_by_code(self, number: str, short_code: str) -> Ticket:
        ticket = self.ticket(number)
        # 查询码 as typed: NFKC folds full-width letters, spaces and case do not matter.
        # Bytes: compare_digest refuses a str holding anything but ASCII (a TypeError, i.e. a 500).
        typed = squeezed(short_code).upper().encode("utf-8")
        if not secrets.compare_digest(ticket.short_code.encode("ascii"), typed):
            raise e.TicketNotFound(number)
        return ticket

    def _service_minutes(self, tx: Tx, matter: str, day: str) -> list[float]:
        """Today's last SERVICE_SAMPLE finished services of the matter, minutes each, newest first."""
        rows = tx.all(
            # finished_at >= the day (ISO text in the hall's zone) bounds the index range to today,
            # so the estimate costs the same in the hall's first week and after years of history.
            """SELECT s.started_at, s.finished_at FROM steps s JOIN tickets t ON t.id = s.ticket_id
               WHERE s.matter = ? AND s.state = 'done' AND s.finished_at >= ? AND t.day = ?
                 AND s.started_at IS NOT NULL
               ORDER BY s.finished_at DESC LIMIT ?""",
            matter,
            day,
            day,
            SERVICE_SAMPLE,
        )
        return [
            (
                dt.datetime.fromisoformat(r["finished_at"]) - dt.datetime.fromisoformat(r["started_at"])
            ).total_seconds()
            / 60
            for r in rows
        ]

    def _estimate(
        self, tx: Tx, matter: str, day: str, position: int, open_windows: list[int]
    ) -> policy.WaitEstimate:
        """The one wait estimate (policy.estimate_wait) from today's services and the open windows.

        With no window open yet (before the hall opens) the windows configured for the matter
        stand in: they are who will serve the queue once open.
        """
        serving = len(open_windows) or sum(1 for w in self.config.windows if matter in w.matters)
        return policy.estimate_wait(
            position, self._service_minutes(tx, matter, day), self._matter(matter).minutes, serving
        )

    def _open_windows_for(self, tx: Tx, matter: str) -> list[int]:
        states = {r["number"]: r["state"] for r in tx.all("SELECT number, state FROM windows")}
        return [
            w.number for w in self.config.windows if matter in w.matters and states.get(w.number) == "open"
        ]

    def waiting_ahead(self, day: str | None = None) -> dict[str, tuple[int, str, int]]:
        """Ticket number → (waiting step id, matter, people ahead) for every waiting ticket of the
        day, in one query; `ahead` equals position(ticket).ahead (tested alike)."""
        with self.store.reading() as tx:
            rows = tx.waiting_ahead(day or self._today())
        return {r["number"]: (int(r["step_id"]), str(r["matter"]), int(r["ahead"])) for r in rows}

    def position(self, ticket: Ticket) -> Position:
        step = ticket.current_step
        if step is None:
            return Position(None, 0, 0, policy.NO_WAIT, [])
        if step.state in (StepState.CALLED, StepState.SERVING):
            return Position(step.matter, 0, 0, policy.NO_WAIT, [step.window] if step.window else [])
        with self.store.reading() as tx:
            windows = self._open_windows_for(tx, step.matter)
            if step.state != StepState.WAITING:
                return Position(step.matter, 0, 0, policy.NO_WAIT, windows)
            ahead = tx.ahead_count(step.id)
            wait = self._estimate(tx, step.matter, ticket.day, ahead + 1, windows)
            return Position(step.matter, ahead, ahead + 1, wait, windows)

    def availability(self) -> dict[str, MatterAvailability]:
        """Per matter: can a ticket be issued now, how many remain, and the wait a newcomer faces."""
        now = self._now()
        day = now.date().isoformat()
        hours = self.config.hall.hours
        out: dict[str, MatterAvailability] = {}
        with self.store.reading() as tx:
            for matter in self.config.matters:
                issued = tx.steps_issued(day, matter.code)
                reason = None
                if hours.enforce and not (parse_hhmm(hours.open) <= now.time() < parse_hhmm(hours.close)):
                    reason = "hall_closed"
                elif hours.enforce and now.time() >= parse_hhmm(matter.cutoff):
                    reason = "matter_closed"
                elif issued >= matter.daily_cap:
                    reason = "matter_full"
                waiting = tx.waiting_count(day, matter.code)
                windows = self._open_windows_for(tx, matter.code)
                out[matter.code] = MatterAvailability(
                    code=matter.code,
                    open=reason is None,
                    remaining=max(matter.daily_cap - issued, 0),
                    reason_code=reason,
                    waiting=waiting,
                    wait=self._estimate(tx, matter.code, day, waiting + 1, windows),
                    windows=windows,
                )
        return out

    def waiting_list(self, window: int, limit: int = 50) -> list[dict[str, Any]]:
        """Who waits for this window's matters, in the order the policy would call them (priority
        tier, effective queue time, number; the interleave is not applied to the listing).

        Each row: number, matter, priority (0/1), priority_reason and its words
        (``priority_label_zh``/``_en``), created_at, waited_minutes (whole minutes since the ticket
        was issued, never negative), appointment_at, tag (what was tried at the kiosk), from_window,
        transfer_reason, transfer_note, returning (coming back to a matter it was transferred out of).
        No personal data beyond what the ticket shows staff."""
        spec = self._window_config(window)
        now = self._now()
        with self.store.reading() as tx:
            rows = tx.waiting(now.date().isoformat(), list(spec.matters))
            rows.sort(key=policy.queue_order)
            out = []
            for row in rows[:limit]:
                ticket = tx.ticket(row["ticket_id"])
                assert ticket is not None
                label = priority_label(ticket["priority_reason"]) if ticket["priority"] else None
                created = dt.datetime.fromisoformat(ticket["created_at"])
                # Back to a matter a window sent them away from (transfer with return_after).
                returning = any(
                    s["matter"] == row["matter"]
                    and s["state"] == StepState.TRANSFERRED
                    and s["seq"] < row["seq"]
                    for s in tx.steps(row["ticket_id"])
                )
                out.append(
                    {
                        "number": ticket["number"],
                        "matter": row["matter"],
                        "priority": ticket["priority"],
                        "priority_reason": ticket["priority_reason"],
                        "priority_label_zh": label[0] if label else None,
                        "priority_label_en": label[1] if label else None,
                        "created_at": ticket["created_at"],
                        "waited_minutes": max(int((now - created).total_seconds() // 60), 0),
                        "appointment_at": ticket["appointment_at"],
                        "tag": ticket["tag"],
                        "from_window": row["from_window"],
                        "transfer_reason": row["transfer_reason"],
                        "transfer_note": row["transfer_note"],
                        "returning": returning,
                    }
                )
            return out

    def _window_status(self, tx: Tx, number: int) -> WindowStatus:
        w = tx.window(number)
        assert w is not None
        current = None
        if w["current_step_id"]:
            step = tx.step(w["current_step_id"])
            if step and step["state"] in (StepState.CALLED, StepState.SERVING):
                t = tx.ticket(step["ticket_id"])
                current = t["number"] if t else None
        return WindowStatus(
            number=number,
            state=WindowState(w["state"]),
            matters=tuple(self._window_config(number).matters),
            current_step_id=w["current_step_id"] if current else None,
            current_number=current,
            staff=w["staff"],
        )

    def window_status(self, window: int) -> WindowStatus:
        self._window_config(window)
        with self.store.reading() as tx:
            return self._window_status(tx, window)

    def windows(self) -> list[WindowStatus]:
        with self.store.reading() as tx:
            return [self._window_status(tx, w.number) for w in self.config.windows]

    def current_ticket(self, window: int) -> Ticket | None:
        status = self.window_status(window)
        return self.ticket(status.current_number) if status.current_number else None

    def status(self) -> dict[str, Any]:
        """The hall at a glance, with no personal data: what displays and the kiosk home show."""
        day = self._today()
        avail = self.availability()
        with self.store.reading() as tx:
            calls = tx.all(
                'SELECT number, "window", matter, at FROM events WHERE day = ? AND kind IN (?, ?) '
                "ORDER BY id DESC LIMIT 10",
                day,
                str(EventKind.STEP_CALLED),
                str(EventKind.STEP_RECALLED),
            )
            missed = [
                r["number"]
                for r in tx.all(
                    "SELECT number FROM tickets WHERE day = ? AND state = 'missed' ORDER BY id", day
                )
            ]
            # A number marked 过号 (or cancelled) is no longer called: it leaves the recent calls and so
            # the TV's headline, and shows only in the 过号 list. Called again after a re-check-in,
            # its state is "called" and it comes back.
            gone = set(missed) | {
                r["number"]
                for r in tx.all("SELECT number FROM tickets WHERE day = ? AND state = 'cancelled'", day)
            }
            calls = [c for c in calls if c["number"] not in gone]
            windows = [self._window_status(tx, w.number).to_dict() for w in self.config.windows]
        return {
            "day": day,
            "matters": [
                {
                    "code": m.code,
                    "name_zh": m.name_zh,
                    "name_en": m.name_en,
                    "waiting": avail[m.code].waiting,
                    **avail[m.code].wait.to_dict(),
                    "open": avail[m.code].open,
                }
                for m in self.config.matters
            ],
            "windows": windows,
            "recent_calls": calls,
            "missed": missed,
        }

    def epoch(self) -> str:
        """The database's epoch (store.ensure_epoch): event ids are unique within one epoch only."""
        with self.store.reading() as tx:
            return tx.meta(EPOCH_KEY) or ""

    def events_since(self, after_id: int = 0, limit: int = 500) -> list[Event]:
        with self.store.reading() as tx:
            rows = tx.all("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", after_id, limit)
        return _events(rows)

    def events_of_day(self, until_id: int, day: str | None = None) -> list[Event]:
        """A day's events (today's by default) up to and including `until_id`, oldest first:
        what a restarted display or board needs to show the hall as it was."""
        with self.store.reading() as tx:
            rows = tx.all(
                "SELECT * FROM events WHERE day = ? AND id <= ? ORDER BY id", day or self._today(), until_id
            )
        return _events(rows)


def _events(rows: list[dict[str, Any]]) -> list[Event]:
    import json

    return [
        Event(
            id=r["id"],
            at=r["at"],
            actor=r["actor"],
            kind=EventKind(r["kind"]),
            day=r["day"],
            number=r["number"],
            window=r["window"],
            matter=r["matter"],
            data=json.loads(r["data"]),
        )
        for r in rows
    ]
