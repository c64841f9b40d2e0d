"""Window keypads on the boards' line: the 呼叫器 works the queue, the 评价器 records 好差评.

The board bus polls the keypads and hands each key press over once (its sequence number removes a
report repeated after a lost acknowledgement); this module turns presses into the same queue
operations the staff console uses, on the same service gate, and keeps the keypads' displays and
lamps in step with the queue's events.

Caller keys (config [boards] keypads, kind "caller", bound to one window):

- 呼叫 call: ends the current citizen's service if there is one (a called citizen is started and
  finished, a served one finished: a keypad has no 开始/完成 keys, so "next" means "this one is
  done", as on the halls' usual keypads), then calls the next waiting citizen for that window.
- 重呼 recall, 过号 skip: as the console, with the queue's recall rules.
- 暂停 pause: pauses the window, or resumes it when paused. A closed window stays closed (opening a
  window is the supervisor's decision).
- 转移 transfer: sends the current citizen to the keypad's `transfer_matter` (placement
  "original", reason "呼叫器转移"); without one configured the key is refused with E5.

Every action's actor is ``keypad:ADDRESS``, joined by ``+staff:NAME`` when a staff user of that
window is logged in (e.g. ``keypad:21+staff:wang``).

The display shows the current number and how many wait, e.g. ``A012 候5`` (``---- 候0`` with
nobody at the window, ``暂停 候5`` when paused). A refused press shows a short code for at least
`keypad_error_seconds` (REFUSALS below, documented in docs/board-protocol.md).

Rater keys r1..r4 are 非常满意 5, 满意 4, 基本满意 3, 不满意 2 on the rating tablet's 1-5 scale.
After a step finishes at its window the lamp lights ("请评价"); the first key within
`rating_seconds` (by the injected clock) is recorded through RatingStore.rate() exactly as the
tablet's rating, for that step; a second press, or one outside the time, records nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from onevisit.core.clock import Clock
from onevisit.core.config import Config, KeypadConfig
from onevisit.core.errors import OneVisitError
from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.codec import Key
from onevisit.hall.live.gate import ServiceGate
from onevisit.hall.stores.accounts import AccountStore
from onevisit.hall.stores.ratings import RatingStore
from onevisit.queue.models import StepState, WindowState

log = logging.getLogger(__name__)

#: Queue refusal code -> what a caller's display shows. Short: a keypad display has 8-16 cells.
REFUSALS: dict[str, str] = {
    "recall_too_soon": "E1 太快",
    "nothing_waiting": "E2 无人等候",
    "recall_limit": "E3 重呼超限",
    "nothing_called": "E4 无当前号",
    "nothing_serving": "E4 无当前号",
    "nothing_at_window": "E4 无当前号",
    "no_transfer_matter": "E5 未设转移",
    "window_paused": "E6 已暂停",
    "window_closed": "E6 窗口未开",
    "window_busy": "E7 窗口忙",
}
#: Any other refusal (a bug, a database problem): the keypad still says something.
OTHER_REFUSAL = "E9 失败"
#: Rater key -> score on the rating tablet's 1-5 scale (rate.html: 5 非常满意 … 1 非常不满意).
SCORES = {Key.R1: 5, Key.R2: 4, Key.R3: 3, Key.R4: 2}
TRANSFER_REASON = "呼叫器转移"
#: How often lamps and refusal codes are checked for expiry (real time; deadlines use the clock).
TICK_SECONDS = 0.5


class KeypadRefused(OneVisitError):
    status = 409


@dataclass
class _Rating:
    window: int
    step_id: int
    until: dt.datetime


class KeypadDesk:
    """Key presses in, queue operations and ratings out; displays and lamps from the events."""

    def __init__(
        self,
        config: Config,
        clock: Clock,
        gate: ServiceGate,
        ratings: RatingStore,
        accounts: AccountStore,
        bus: BoardBus,
    ) -> None:
        self.config = config
        self.clock = clock
        self.gate = gate
        self.ratings = ratings
        self.accounts = accounts
        self.bus = bus
        self.keypads: dict[int, KeypadConfig] = {k.address: k for k in config.boards.keypads}
        self.rating_seconds = config.boards.rating_seconds
        self.error_seconds = config.boards.keypad_error_seconds
        self._open: dict[int, _Rating] = {}  # rater address -> the step it may rate now
        self._error_until: dict[int, dt.datetime] = {}  # caller address -> refusal shown until
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tick: asyncio.Task | None = None
        self._refresher: asyncio.Task | None = None
        self._dirty = False
        self._pending: set[Future] = set()
        #: Called after each press is handled with (address, key, outcome code or "ok"); tests wait on it.
        self.on_handled: Callable[[int, Key, str], None] | None = None

    # -- life cycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.bus.on_key = self.on_key
        for address, spec in self.keypads.items():
            if spec.kind == "rater":
                self.bus.lamp(address, False)
        await self.refresh()
        self._tick = asyncio.create_task(self._ticker(), name="keypad-tick")

    async def stop(self) -> None:
        self.bus.on_key = None
        for task in (self._tick, self._refresher):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # -- key presses -----------------------------------------------------------------------------
    def on_key(self, address: int, key: Key, seq: int) -> None:
        """From the bus thread: hand the press to the event loop and return at once."""
        loop = self._loop
        if loop is None or loop.is_closed():
            log.warning("key %s from keypad %s before the hall was up: ignored", key, address)
            return
        future = asyncio.run_coroutine_threadsafe(self.press(address, key), loop)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    async def press(self, address: int, key: Key) -> str:
        """Apply one key press; returns "ok", "ignored" or the refusal code shown on the keypad."""
        spec = self.keypads.get(address)
        if spec is None:
            outcome = "ignored"
            log.warning("key %s from address %s, which is no configured keypad", key, address)
        elif spec.kind == "caller":
            outcome = await self._caller(spec, key)
        else:
            outcome = self._rater(spec, key)
        if self.on_handled is not None:
            self.on_handled(address, key, outcome)
        return outcome

    async def _caller(self, spec: KeypadConfig, key: Key) -> str:
        if key not in (Key.CALL, Key.RECALL, Key.SKIP, Key.PAUSE, Key.TRANSFER):
            log.warning("caller keypad %s sent rating key %s: ignored", spec.address, key)
            return "ignored"
        actor = self.actor(spec)
        try:
            await self.gate.write(self._act, spec, key, actor)
        except OneVisitError as exc:
            shown = REFUSALS.get(exc.code, OTHER_REFUSAL)
            log.info("keypad %s %s refused: %s (%s)", spec.address, key, exc.code, shown)
            self._error_until[spec.address] = self.clock.now() + dt.timedelta(seconds=self.error_seconds)
            self._show(spec.address, shown)
            return exc.code
        except Exception:
            log.exception("keypad %s %s failed", spec.address, key)
            self._error_until[spec.address] = self.clock.now() + dt.timedelta(seconds=self.error_seconds)
            self._show(spec.address, OTHER_REFUSAL)
            return "error"
        self._error_until.pop(spec.address, None)
        await self.refresh([spec])
        return "ok"

    def actor(self, spec: KeypadConfig) -> str:
        staff = self.accounts.staff_at_window(spec.window)
        return f"keypad:{spec.address}" + (f"+staff:{staff}" if staff else "")

    def _act(self, spec: KeypadConfig, key: Key, actor: str) -> None:
        """On the service thread: one key's queue operations, with the console's rules."""
        service, window = self.gate.service, spec.window
        if key is Key.CALL:
            current = service.current_ticket(window)
            step = _step_at(current, window)
            if step is not None and step.state == StepState.CALLED:
                service.start(window, actor)
                service.finish(window, actor)
            elif step is not None and step.state == StepState.SERVING:
                service.finish(window, actor)
            service.call_next(window, actor)
        elif key is Key.RECALL:
            service.recall(window, actor)
        elif key is Key.SKIP:
            service.skip(window, actor)
        elif key is Key.PAUSE:
            state = service.window_status(window).state
            if state == WindowState.CLOSED:
                raise KeypadRefused("window_closed", f"{window}号窗口已关闭", f"Window {window} is closed")
            (service.resume if state == WindowState.PAUSED else service.pause)(window, actor)
        elif key is Key.TRANSFER:
            if spec.transfer_matter is None:
                raise KeypadRefused(
                    "no_transfer_matter",
                    "该呼叫器未设置转移业务",
                    f"keypad {spec.address} has no transfer_matter in [boards] keypads",
                )
            service.transfer(window, spec.transfer_matter, "original", TRANSFER_REASON, None, actor)

    def _rater(self, spec: KeypadConfig, key: Key) -> str:
        score = SCORES.get(key)
        if score is None:
            log.warning("rater keypad %s sent caller key %s: ignored", spec.address, key)
            return "ignored"
        open_ = self._open.pop(spec.address, None)
        if open_ is None or self.clock.now() > open_.until:
            # Nothing finished here lately, already rated, or too late: the citizen has gone.
            self.bus.lamp(spec.address, False)
            return "ignored"
        self.bus.lamp(spec.address, False)
        try:
            self.ratings.rate(open_.window, score, open_.step_id)
        except OneVisitError as exc:
            log.info("rater %s: %s", spec.address, exc.code)
            return exc.code
        return "ok"

    # -- events ----------------------------------------------------------------------------------
    async def on_event(self, event: Any) -> None:
        """A hub listener: light a rater after 完成 at its window; refresh the callers' displays."""
        if str(event.kind) == "step.finished" and event.window is not None:
            step_id = event.data.get("step_id")
            # From when the step finished, not from now: a hall catching up on events after a
            # restart must not light the lamp for a citizen who left long ago.
            until = _parse_at(event.at, self.clock.now()) + dt.timedelta(seconds=self.rating_seconds)
            for address, spec in self.keypads.items():
                if spec.kind == "rater" and spec.window == event.window and step_id is not None:
                    if self.clock.now() > until:
                        continue
                    self._open[address] = _Rating(event.window, int(step_id), until)
                    self.bus.lamp(address, True)
        # One refresh for a burst of events (a 呼叫 writes started, finished and called at once):
        # the listeners after this one, and the next events, are not held up by it.
        self._dirty = True
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh_while_dirty(), name="keypad-refresh")

    async def _refresh_while_dirty(self) -> None:
        while self._dirty:
            self._dirty = False
            try:
                await self.refresh()
            except Exception:
                log.exception("keypad displays not refreshed")

    async def refresh(self, specs: list[KeypadConfig] | None = None) -> None:
        """Each caller's display: its window's current number and the count waiting for its matters."""
        callers = [s for s in (specs or self.keypads.values()) if s.kind == "caller"]
        if not callers:
            return
        texts = await self.gate.read(self._texts, callers)
        now = self.clock.now()
        for address, text in texts.items():
            if address in self._error_until and now < self._error_until[address]:
                continue  # the refusal code stays up a moment
            self._error_until.pop(address, None)
            self._show(address, text)

    def _texts(self, callers: list[KeypadConfig]) -> dict[int, str]:
        service = self.gate.service
        avail = service.availability()
        out = {}
        for spec in callers:
            status = service.window_status(spec.window)
            waiting = sum(avail[code].waiting for code in status.matters if code in avail)
            head = "暂停" if status.state == WindowState.PAUSED else (status.current_number or "----")
            if status.state == WindowState.CLOSED:
                head = "未开"
            out[spec.address] = f"{head} 候{waiting}"
        return out

    def _show(self, address: int, text: str) -> None:
        try:
            self.bus.show(address, text)
        except OneVisitError as exc:  # a text the keypad cannot show must not stop the others
            log.error("keypad %s: %s", address, exc)

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.expire()
            except Exception:
                log.exception("keypad expiry check failed")

    async def expire(self) -> None:
        """Turn off lamps whose rating time is over; put displays back after a refusal code."""
        now = self.clock.now()
        for address, open_ in list(self._open.items()):
            if now > open_.until:
                self._open.pop(address, None)
                self.bus.lamp(address, False)
        expired = [a for a, until in self._error_until.items() if now >= until]
        if expired:
            await self.refresh([self.keypads[a] for a in expired])


def _step_at(ticket: Any, window: int) -> Any:
    """The ticket's step being called or served at `window`, if any."""
    if ticket is None:
        return None
    for step in ticket.steps:
        if step.window == window and step.state in (StepState.CALLED, StepState.SERVING):
            return step
    return None


def _parse_at(at: object, default: dt.datetime) -> dt.datetime:
    """An event's `at` (ISO, with offset) as an aware datetime; `default` when it is unreadable."""
    try:
        when = dt.datetime.fromisoformat(str(at))
    except ValueError:
        return default
    return when if when.tzinfo is not None else default
