"""The event hub: tails the queue's events table and pushes every new event to every /ws client.

It reads the table rather than listening to this process's writes, so a CLI command or a second
process writing the same database reaches the displays too. A local write wakes the tailer at once;
on PostgreSQL every other process's commit wakes it through LISTEN/NOTIFY (db/listen.py) and the
poll is only a safety net; on SQLite a short poll catches everyone else's. The same loop feeds listeners (the rating prompts, the call-out
of boards and voice) and runs the queue's auto-skip of unanswered calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket

from onevisit.db import Database, schema
from onevisit.db.listen import EventListener
from onevisit.hall.live.gate import ServiceGate

log = logging.getLogger(__name__)

#: A display that falls this many messages behind is dropped; it reconnects and refetches status.
CLIENT_BACKLOG = 2000
BATCH = 500
CURSOR_SAVE_SECONDS = 2.0
#: With LISTEN/NOTIFY the poll is only a safety net (seconds).
NOTIFIED_POLL_SECONDS = 30.0


class Client:
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str] = asyncio.Queue(CLIENT_BACKLOG)
        self.task: asyncio.Task | None = None
        self.overflowed = False

    async def pump(self) -> None:
        while True:
            text = await self.queue.get()
            await self.ws.send_text(text)


class EventHub:
    def __init__(
        self,
        gate: ServiceGate,
        db: Database,
        *,
        poll_seconds: float = 0.5,
        expire_seconds: float = 5.0,
    ) -> None:
        self.gate = gate
        self.db = db
        self.poll_seconds = max(poll_seconds, NOTIFIED_POLL_SECONDS) if db.postgres else poll_seconds
        self._listener = EventListener(db, self.wake_threadsafe) if db.postgres else None
        self.expire_seconds = expire_seconds
        self.clients: set[Client] = set()
        self.listeners: list[Callable[[Any], Any]] = []
        #: Called once at start with (windows' states, today's events up to the listener cursor):
        #: a restarted process shows the hall as it was, then listeners get the rest as usual.
        self.primers: list[Callable[[list[dict], list[Any]], Any]] = []
        self.last_id = 0
        self.epoch = ""
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._dropping: set[asyncio.Task] = set()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener_cursor = 0
        self._cursor_saved = 0.0

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.gate.on_write = self.wake_threadsafe
        self.last_id = await self.gate.read(self._latest_event_id)
        # The database's identity for the stream: ids count from 1 again in a new epoch.
        self.epoch = await self.gate.read(self.gate.service.epoch)
        if self._listener is not None:
            self._listener.start()
        stored = self.db.query("SELECT value FROM hall_meta WHERE key = 'listener_cursor'")
        # Listeners (rating prompts, call-out) resume where they stopped; clients see only new events.
        self._listener_cursor = int(stored[0]["value"]) if stored else self.last_id
        if self.primers:
            windows, history = await self.gate.read(self._history, self._listener_cursor)
            for primer in self.primers:
                try:
                    primer(windows, history)
                except Exception:
                    log.exception("restoring %r failed", primer)
        self._tasks = [
            asyncio.create_task(self._tail(), name="hub-tail"),
            asyncio.create_task(self._expire(), name="hub-expire"),
        ]
        await self._catch_up_listeners()

    async def stop(self) -> None:
        self.gate.on_write = None
        # A flag as well as cancel(): on Python 3.11 wait_for() can swallow a cancel that lands
        # as its inner wait finishes, and the loop would then run on forever.
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=5)
            for task in stuck:
                log.warning("event hub task %s did not stop", task.get_name())
        if self._listener is not None:
            await asyncio.to_thread(self._listener.stop)
        for client in list(self.clients):
            await self._drop(client, code=1012)  # 1012: service restart; displays reconnect
        self._save_cursor()

    def wake_threadsafe(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    # -- clients ------------------------------------------------------------------------------

    async def serve(self, ws: WebSocket, since: int | None = None, epoch: str | None = None) -> None:
        """Run one /ws connection until it closes.

        The first message is `{"kind": "stream.hello", "epoch", "last_id", "resync"}`. `since` (and
        the `epoch` it belongs to) replays what a reconnecting client missed; when the client's
        last id belongs to another database (its epoch differs, or it is past our newest id: a
        restore of an older copy) nothing is replayed and `resync` is true: the client drops its
        last id and fetches the full state (db/epoch.py)."""
        await ws.accept()
        client = Client(ws)
        self.clients.add(client)
        try:
            resync = (epoch is not None and epoch != self.epoch) or (
                since is not None and since > self.last_id
            )
            hello = {"kind": "stream.hello", "epoch": self.epoch, "last_id": self.last_id, "resync": resync}
            await ws.send_text(json.dumps(hello))
            if not resync and since is not None and 0 <= since < self.last_id:
                backlog = await self.gate.read(self.gate.service.events_since, since, 200)
                for event in backlog:
                    await ws.send_text(_encode(event, self.epoch))
            client.task = asyncio.create_task(client.pump())
            receiver = asyncio.create_task(self._drain(ws))
            done, _ = await asyncio.wait({client.task, receiver}, return_when=asyncio.FIRST_COMPLETED)
            for task in (client.task, receiver):
                task.cancel()
            for task in done:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    task.result()
        except Exception as exc:  # a vanished client is routine, not an error
            log.debug("ws client ended: %s", exc)
        finally:
            self.clients.discard(client)

    @staticmethod
    async def _drain(ws: WebSocket) -> None:
        # Clients have nothing to say; reading is how a closed connection is noticed.
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return

    async def _drop(self, client: Client, code: int = 1011) -> None:
        self.clients.discard(client)
        if client.task:
            client.task.cancel()
        with contextlib.suppress(Exception):
            await client.ws.close(code=code)

    def broadcast(self, text: str) -> None:
        for client in list(self.clients):
            try:
                client.queue.put_nowait(text)
            except asyncio.QueueFull:
                log.warning("dropping a /ws client that fell %d messages behind", CLIENT_BACKLOG)
                task = asyncio.create_task(self._drop(client, code=1013))
                self._dropping.add(task)
                task.add_done_callback(self._dropping.discard)

    # -- loops --------------------------------------------------------------------------------

    def _latest_event_id(self) -> int:
        service = self.gate.service
        latest = getattr(service, "last_event_id", None)
        if callable(latest):
            return int(latest() or 0)
        last = 0
        while True:
            events = service.events_since(last, BATCH)
            if not events:
                return last
            last = events[-1].id

    def _history(self, until_id: int) -> tuple[list[dict], list[Any]]:
        service = self.gate.service
        windows = [w.to_dict() for w in service.windows()]
        events = service.events_of_day(until_id) if hasattr(service, "events_of_day") else []
        return windows, events

    async def _tail(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            if self._stopping:
                return
            self._wake.clear()
            try:
                await self.pump_once()
            except Exception:
                log.exception("event hub: reading events failed; retrying")
                await asyncio.sleep(self.poll_seconds)

    async def pump_once(self) -> int:
        """Send every event after `last_id` to the clients and the listeners; returns how many."""
        sent = 0
        while True:
            events = await self.gate.read(self.gate.service.events_since, self.last_id, BATCH)
            if not events:
                break
            # Listeners first: a rating tablet that hears step.finished then finds its prompt there.
            await self._feed_listeners(events)
            for event in events:
                self.broadcast(_encode(event, self.epoch))
            self.last_id = events[-1].id
            sent += len(events)
            if len(events) < BATCH:
                break
        return sent

    async def _catch_up_listeners(self) -> None:
        while self._listener_cursor < self.last_id:
            events = await self.gate.read(self.gate.service.events_since, self._listener_cursor, BATCH)
            events = [e for e in events if e.id <= self.last_id]
            if not events:
                break
            await self._feed_listeners(events)

    async def _feed_listeners(self, events: list) -> None:
        fresh = [e for e in events if e.id > self._listener_cursor]
        if not fresh:
            return
        for event in fresh:
            for listener in self.listeners:
                try:
                    result = listener(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("event listener %r failed on event %s", listener, event.id)
        self._listener_cursor = fresh[-1].id
        # Saved at most every few seconds: it only spares listeners a replay after a restart.
        if time.monotonic() - self._cursor_saved > CURSOR_SAVE_SECONDS:
            self._save_cursor()

    def _save_cursor(self) -> None:
        self._cursor_saved = time.monotonic()
        with self.db.transaction() as tx:
            tx.upsert(
                schema.hall_meta,
                {"key": "listener_cursor", "value": str(self._listener_cursor)},
                keys=("key",),
            )

    async def _expire(self) -> None:
        """The queue's auto-skip: calls nobody answered within the configured time become 过号."""
        while not self._stopping:
            await asyncio.sleep(self.expire_seconds)
            try:
                skipped = await self.gate.write(self.gate.service.expire_calls)
                if skipped:
                    log.info("auto-skipped %s", ", ".join(t.number for t in skipped))
            except Exception:
                log.exception("expire_calls failed")


def _encode(event: Any, epoch: str) -> str:
    return json.dumps({**event.to_dict(), "epoch": epoch}, ensure_ascii=False)
