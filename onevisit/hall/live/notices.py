"""到号提醒: watches the hall's events and sends subscribed citizens their notices.

Three notices per step, at most one of each (the outbox's UNIQUE row): "near" when
`notify.ahead` people or fewer are ahead in the step's queue, "called" with the window, and
"skipped" (过号) with how to check in again. The watcher only writes outbox rows: a listener of the
event hub must return fast, and a gateway that is slow or down must never delay a call. A separate
task sends due rows off the event loop and retries failures with exponential backoff (1 s, 2 s, 4 s …
up to `notify.max_backoff_seconds`), so a notice that failed while the gateway was down goes out when
it is back. A ticket whose visit ended is quiet: its pending notices are dropped and its address
erased (NoticeStore.end_visit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.devices.notify import Notice, Notifier, NotifyError
from onevisit.hall.live.gate import ServiceGate
from onevisit.hall.stores.notices import NoticeStore, Pending, Subscription
from onevisit.queue.errors import QueueError
from onevisit.queue.models import CLOSED_TICKET_STATES, StepState

log = logging.getLogger(__name__)

#: Events after which someone's place in a queue may have moved up ("subscribed": a citizen who
#: subscribes when already near is told at once).
MOVES = {
    "subscribed",
    "ticket.issued",
    "ticket.checked_in",
    "ticket.cancelled",
    "step.added",
    "step.called",
    "step.skipped",
    "step.finished",
    "step.transferred",
    "window.opened",
    "window.resumed",
}
ENDS = {"ticket.cancelled", "ticket.closed", "step.finished"}

HOW_TO_CHECK_IN = "请到自助机“过号重排”输入号码重新排队，或到服务台登记"


def backoff_seconds(attempts: int, cap: float) -> float:
    """1, 2, 4 … seconds after the 1st, 2nd, 3rd … failure, never more than `cap`."""
    return float(min(cap, 2 ** min(attempts, 20)))


class NoticeWatch:
    def __init__(
        self,
        config: Config,
        gate: ServiceGate,
        store: NoticeStore,
        notifier: Notifier | None,
        clock: Clock,
        *,
        poll_seconds: float = 0.5,
    ) -> None:
        self.config = config
        self.gate = gate
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        #: (subscription id, step id, kind) already queued: see _enqueue
        self._queued: set[tuple[int, int, str]] = set()
        self._erased_before: str | None = None  # the day erase_past_days last ran for
        #: Called after each send attempt (outbox id, delivered?): tests and the bench wait on it.
        self.on_attempt: Callable[[int, bool], Any] | None = None

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self.notifier is None:
            return
        self.erase_past_days()
        self._task = asyncio.create_task(self._send_loop(), name="notice-sender")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.notifier is not None:
            self.notifier.close()

    def wake(self) -> None:
        self._wake.set()

    # -- deciding -----------------------------------------------------------------------------

    async def on_event(self, event: Any) -> None:
        """Hub listener: queue the notices this event makes due (fast: reads, then outbox rows)."""
        if self.notifier is None:
            return
        kind = str(event.kind)
        if kind not in MOVES and kind not in ENDS:
            return
        subscriptions = self.store.active(event.day)
        if not subscriptions:
            return
        queued = await self.gate.read(
            self._decide, event.day, kind, event.number, event.window, subscriptions
        )
        self._enqueue(queued)

    async def on_subscribed(self, subscription: Subscription) -> None:
        """A new subscription: send "near" now if the citizen is already that close."""
        if self.notifier is None:
            return
        queued = await self.gate.read(
            self._decide, subscription.day, "subscribed", None, None, [subscription]
        )
        self._enqueue(queued)

    def _decide(
        self, day: str, kind: str, number: str | None, window: int | None, subscriptions: list[Subscription]
    ) -> list[tuple[Subscription, int, str, dict[str, str]]]:
        """On the service thread: which notices are due now. Ends the event's visit if it is over.

        Only the event's own ticket is read whole (called, 过号, ended); every other subscription
        needs just its place, and all places come from one query (QueueService.waiting_ahead): with
        200 subscriptions the per-ticket reads cost ~34 ms an event on the hall PC, holding the
        service thread a call waits for (bench/bench_notify.py, BENCHMARKS.md)."""
        service = self.gate.service
        out: list[tuple[Subscription, int, str, dict[str, str]]] = []
        mine = [s for s in subscriptions if s.number == number]
        if mine:
            try:
                ticket = service.ticket(number, day)
            except QueueError:
                ticket = None
            if ticket is not None and ticket.state in CLOSED_TICKET_STATES:
                self.store.end_visit(day, ticket.number)
                subscriptions = [s for s in subscriptions if s.number != number]
            elif ticket is not None:
                step = ticket.current_step
                for subscription in mine:
                    if kind == "step.called" and step is not None and step.state == StepState.CALLED:
                        params = {"number": ticket.number, "window": str(window)}
                        out.append((subscription, step.id, "called", params))
                    elif kind == "step.skipped":
                        skipped = next(
                            (s for s in reversed(ticket.steps) if s.state == StepState.SKIPPED), None
                        )
                        if skipped is not None:
                            params = {"number": ticket.number, "how": HOW_TO_CHECK_IN}
                            out.append((subscription, skipped.id, "skipped", params))
        if kind not in MOVES:
            return out
        places = service.waiting_ahead(day)
        for subscription in subscriptions:
            place = places.get(subscription.number)
            if place is None:
                continue
            step_id, matter, ahead = place
            if ahead <= self.config.notify.ahead and (subscription.id, step_id, "near") not in self._queued:
                name = self.config.matter(matter).name_zh
                params = {"number": subscription.number, "ahead": str(ahead), "matter": name}
                out.append((subscription, step_id, "near", params))
        return out

    def _enqueue(self, queued: list[tuple[Subscription, int, str, dict[str, str]]]) -> None:
        for subscription, step_id, notice_kind, params in queued:
            self.store.enqueue(subscription, step_id, notice_kind, params)
            # the outbox's UNIQUE row decides; this only spares a write per event for a citizen
            # already told (a restart forgets it and the UNIQUE row still holds)
            self._queued.add((subscription.id, step_id, notice_kind))
        if queued:
            self.wake()

    # -- sending ------------------------------------------------------------------------------

    def erase_past_days(self) -> int:
        """Erase the addresses of earlier days once per day: a hall left running over midnight
        keeps no number past the day it was given for (start() does it for a morning start)."""
        today = self.clock.now().date().isoformat()
        if today == self._erased_before:
            return 0
        self._erased_before = today
        return self.store.end_days_before(today)

    async def _send_loop(self) -> None:
        while not self._stopping:
            try:
                self.erase_past_days()
                for pending in self.store.due():
                    await self._send(pending)
            except Exception:
                log.exception("notice sender: a pass failed; retrying")
            next_at = self.store.next_due_at()
            timeout = self.poll_seconds
            if next_at is not None:
                timeout = min(timeout, max(0.0, (next_at - self.clock.now()).total_seconds()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(timeout, 0.01))

    async def _send(self, pending: Pending) -> None:
        if pending.address is None:
            self.store.drop(pending.id, "visit ended")
            return
        subscription = pending.subscription
        notice = Notice(
            channel=subscription.channel,  # type: ignore[arg-type]
            to=pending.address,
            kind=pending.kind,  # type: ignore[arg-type]
            template=self.config.notify.templates[pending.kind],  # type: ignore[index]
            params=pending.params,
            link=f"{self.config.hall.public_url}/t/{subscription.number}",
        )
        request_id = f"{subscription.day}-{subscription.number}-{pending.step_id}-{pending.kind}-{subscription.channel}"
        assert self.notifier is not None
        try:
            await asyncio.to_thread(self.notifier.send, notice, request_id)
        except NotifyError as exc:
            wait = backoff_seconds(pending.attempts, self.config.notify.max_backoff_seconds)
            self.store.failed(pending.id, str(exc.details.get("why") or exc), wait)
            log.warning(
                "notice %s for %s not accepted (%s); retry in %.0f s",
                pending.kind,
                subscription.masked,
                exc,
                wait,
            )
            delivered = False
        else:
            self.store.delivered(pending.id)
            delivered = True
        if self.on_attempt is not None:
            self.on_attempt(pending.id, delivered)
