"""The serial bus to the hall's boards: one worker thread, a bounded queue, per-board health.

Why it is shaped like this:
- A staff call must never wait for a board, so `show()` validates the text, records it as the
  board's desired state and returns; the worker thread does the serial I/O.
- Jobs for the same board coalesce: the worker always sends a board's *latest* text, so a burst of
  calls costs one frame per board, and the bounded queue cannot fill up with stale texts.
- A board that does not answer costs the others at most one timeout at a time: its retries go to
  the back of the line (after every fresh job), and once it is marked offline it is only probed
  every `probe_seconds`, one attempt per probe.
- The port can vanish (USB adapter pulled, emulator killed). The worker then reconnects with
  backoff and resends every board's current state; it also notices a device path that now points
  at a different device.
- Every `keepalive_seconds` each online board gets its text again: that is the ping, and it also
  repairs a board that rebooted blank.
- Keypads (呼叫器, 评价器) hang on the same line and speak only when polled. The worker polls each
  online keypad every `poll_seconds`, but only when no board job is waiting, and a keypad's display
  and lamp frames wait behind every board frame too: a call's frame always goes out first, and a
  keypad delays it by one round trip at most. A key report carries the
  keypad's sequence number; the next poll acknowledges it, and a report repeated because that
  acknowledgement was lost is recognised by its number and applied once. A keypad that misses
  `retries + 1` polls in a row is offline, and is then only probed every `probe_seconds`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import termios
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import serial

from onevisit.core.clock import Clock, SystemClock
from onevisit.core.errors import OneVisitError
from onevisit.devices.boards.codec import Ack, BoardCodec, Key, KeyReport, Nak, check_address

log = logging.getLogger(__name__)

#: What a vanished port raises. termios.error is not an OSError: a pty whose far end closed raises it
#: from tcdrain(), and a worker that let it escape would stop driving every board for good.
PORT_FAILURES: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)

#: How often the idle worker checks that the device path still names the device it opened.
WATCH_SECONDS = 0.2


class BoardBusError(OneVisitError):
    pass


@dataclass
class _Board:
    address: int
    label: str
    text: str | None = None  # desired; None until the hall says what to show
    scroll: bool = False
    brightness: int | None = None
    version: int = 0  # bumps on every new desired text
    shown_version: int = -1  # the version the board last acknowledged
    online: bool | None = None  # None: not heard from yet
    since: str | None = None
    last_ack: str | None = None
    last_sent: float = 0.0  # monotonic
    next_probe: float = 0.0  # monotonic; offline boards are tried again from here
    errors: int = 0
    timeouts: int = 0
    naks: int = 0
    last_error: str | None = None
    # keypads only
    keypad: bool = False
    lamp: bool | None = None  # desired; None until the hall says
    lamp_version: int = 0
    lamp_shown_version: int = -1
    ack_seq: int = 0  # the last key report received: acknowledged by the next poll
    last_seq: int | None = None  # the last key report applied (a repeat of it is ignored)
    next_poll: float = 0.0  # monotonic
    misses: int = 0  # polls in a row without an answer
    presses: int = 0
    repeats: int = 0

    @property
    def shown(self) -> bool:
        return self.text is not None and self.shown_version == self.version


@dataclass
class _Job:
    address: int
    kind: str  # "state" | "ping" | "brightness" | "lamp" | "poll"
    attempt: int = 0
    probe: bool = False  # one attempt only: the board is offline
    future: Future[bool] | None = field(default=None, compare=False)


class BoardBus:
    def __init__(
        self,
        port: str,
        codec: BoardCodec,
        boards: dict[int, str],
        *,
        baud: int = 9600,
        parity: str = "N",
        timeout: float = 0.3,
        write_timeout: float = 0.5,
        retries: int = 2,
        queue_size: int = 256,
        probe_seconds: float = 5.0,
        keepalive_seconds: float = 10.0,
        reconnect_min: float = 0.05,
        reconnect_max: float = 5.0,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        keypads: dict[int, str] | None = None,
        poll_seconds: float = 0.1,
        on_key: Callable[[int, Key, int], None] | None = None,
    ) -> None:
        """`boards` and `keypads` map address -> label. `on_key(address, key, seq)` is called on the
        bus thread once per key press (repeats removed); it must return quickly."""
        self.port_url = port
        self.codec = codec
        self.baud = baud
        self.parity = parity
        self.timeout = timeout
        self.write_timeout = write_timeout
        self.retries = retries
        self.probe_seconds = probe_seconds
        self.keepalive_seconds = keepalive_seconds
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self._boards = {check_address(a): _Board(a, label) for a, label in boards.items()}
        keypads = keypads or {}
        if keypads and not codec.supports_keypads:
            raise codec._no_keypads()
        for address, label in keypads.items():
            if check_address(address) in self._boards:
                raise BoardBusError(
                    "keypad_address_taken",
                    f"地址{address}已被显示屏使用",
                    f"address {address} is a board's; a keypad needs its own",
                    address=address,
                )
            self._boards[address] = _Board(address, label, keypad=True)
        self.poll_seconds = poll_seconds
        self.on_key = on_key
        self.polls = 0
        self._jobs: queue.Queue[_Job] = queue.Queue(maxsize=queue_size)
        self._retry: deque[_Job] = deque()
        #: Keypads' display and lamp frames: sent when no board frame waits (a call goes first).
        self._low: deque[_Job] = deque()
        self._pending: set[int] = set()  # boards with a state job waiting in _jobs
        self._overflow = False
        self._busy = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.SerialBase | None = None
        self._port_identity: tuple[int, int, int] | None = None
        self._last_watch = 0.0
        self.connected = False
        self.reconnects = 0
        self.frames_sent = 0
        self.bytes_sent = 0
        self.last_port_error: str | None = None
        self.connected_since: str | None = None

    # -- the hall's side: returns at once ------------------------------------------------------------
    def start(self) -> BoardBus:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="board-bus", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._jobs.put_nowait(_Job(0, "wake"))
        if self._thread:
            self._thread.join(timeout=5 + self.timeout * 2)
            self._thread = None
        self._close("stopped")

    def show(self, address: int, text: str, scroll: bool = False) -> None:
        """Make board `address` show `text`. Raises BoardTextError (before anything is sent) when
        the board cannot show it; otherwise returns at once."""
        board = self._board(address)
        if board.keypad:
            self.codec.encode_display(address, text)  # validates: GB2312, 32 bytes, control chars
            scroll = False
        else:
            self.codec.encode_text(address, text, scroll)  # validates: GB2312, length, control chars
        with self._cond:
            if board.text == text and board.scroll == scroll:
                return
            board.text, board.scroll = text, scroll
            board.version += 1
        self._enqueue_state(address)

    def clear(self, address: int) -> None:
        self.show(address, "")

    def brightness(self, address: int, level: int) -> None:
        self.codec.encode_brightness(address, level)
        with self._cond:
            self._board(address).brightness = level
        self._put(_Job(address, "brightness"))

    def lamp(self, address: int, on: bool) -> None:
        """Switch keypad `address`'s lamp; returns at once (the worker sends it)."""
        board = self._board(address)
        if not board.keypad:
            raise BoardBusError(
                "keypad_unknown", f"地址{address}不是呼叫器/评价器", f"address {address} is not a keypad"
            )
        with self._cond:
            if board.lamp == on:
                return
            board.lamp = on
            board.lamp_version += 1
        self._put(_Job(address, "lamp"))

    def lamps(self) -> dict[int, bool | None]:
        with self._cond:
            return {a: b.lamp for a, b in self._boards.items() if b.keypad}

    def ping(self, address: int) -> Future[bool]:
        """A future that resolves True when the board answers, False when it does not."""
        self._board(address)
        future: Future[bool] = Future()
        self._put(_Job(address, "ping", future=future))
        return future

    def resend_all(self) -> None:
        """Send every board its current state again (after a board swap, or on request)."""
        with self._cond:
            addresses = [b.address for b in self._boards.values() if b.text is not None]
            for board in self._boards.values():
                board.next_probe = 0.0
        for address in addresses:
            self._enqueue_state(address)

    def desired(self) -> dict[int, str | None]:
        """Each board's desired text (keypads' displays: keypad_texts())."""
        with self._cond:
            return {a: b.text for a, b in self._boards.items() if not b.keypad}

    def keypad_texts(self) -> dict[int, str | None]:
        with self._cond:
            return {a: b.text for a, b in self._boards.items() if b.keypad}

    def health(self) -> dict[str, Any]:
        """What a technician needs: is the link up, and which boards answer."""
        with self._cond:
            boards, keypads = [], []
            for b in sorted(self._boards.values(), key=lambda b: b.address):
                status = "unknown" if b.online is None else ("online" if b.online else "offline")
                (keypads if b.keypad else boards).append(
                    {
                        "address": b.address,
                        "label": b.label,
                        "status": status,
                        "online": b.online,
                        "since": b.since,
                        "last_ack": b.last_ack,
                        "errors": b.errors,
                        "timeouts": b.timeouts,
                        "naks": b.naks,
                        "last_error": b.last_error,
                        "text": b.text,
                        "shown": b.shown,
                        **({"lamp": b.lamp, "presses": b.presses, "repeats": b.repeats} if b.keypad else {}),
                    }
                )
            return {
                "port": self.port_url,
                "codec": self.codec.name,
                "connected": self.connected,
                "connected_since": self.connected_since,
                "reconnects": self.reconnects,
                "last_port_error": self.last_port_error,
                "queued": self._jobs.qsize() + len(self._retry) + len(self._low),
                "frames_sent": self.frames_sent,
                "bytes_sent": self.bytes_sent,
                "polls": self.polls,
                "boards": boards,
                "keypads": keypads,
            }

    def wait_settled(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued and every board shows its text or is offline."""

        def settled() -> bool:
            if (
                not self.connected
                or self._busy
                or self._pending
                or self._retry
                or self._low
                or self._jobs.qsize()
            ):
                return False
            return all(b.shown or b.online is False or b.text is None for b in self._boards.values())

        with self._cond:
            return self._cond.wait_for(settled, timeout)

    def wait_for(self, predicate: Callable[[BoardBus], bool], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    # -- queueing ----------------------------------------------------------------------------------------
    def _board(self, address: int) -> _Board:
        try:
            return self._boards[address]
        except KeyError:
            raise BoardBusError(
                "board_unknown",
                f"没有地址为{address}的显示屏",
                f"no board with address {address} on this bus",
                address=address,
            ) from None

    def _enqueue_state(self, address: int) -> None:
        with self._cond:
            if address in self._pending:
                return  # coalesced: the worker sends the latest text anyway
            self._pending.add(address)
        if not self._put(_Job(address, "state")):
            with self._cond:
                self._pending.discard(address)

    def _put(self, job: _Job) -> bool:
        board = self._boards.get(job.address)
        if board is not None and board.keypad and job.kind in ("state", "lamp"):
            # Bounded: a keypad's display coalesces like a board's, and a lamp job whose state
            # is already shown is skipped. The worker wakes for polls every poll_seconds anyway.
            with self._cond:
                self._low.append(job)
            return True
        try:
            self._jobs.put_nowait(job)
            return True
        except queue.Full:
            # Never block a staff call: remember to resend everything once the queue drains.
            log.warning("board queue full; board %s will be refreshed when it drains", job.address)
            with self._cond:
                self._overflow = True
            if job.future:
                job.future.set_result(False)
            return False

    def _next_job(self) -> _Job | None:
        try:
            return self._jobs.get_nowait()
        except queue.Empty:
            pass
        if self._retry:
            return self._retry.popleft()
        if self._low:
            return self._low.popleft()
        now = self.monotonic()
        with self._cond:
            if self._overflow:
                self._overflow = False
                for board in self._boards.values():
                    board.next_probe = 0.0
                    if board.text is not None and board.address not in self._pending:
                        self._pending.add(board.address)
                        self._retry.append(_Job(board.address, "state", probe=board.online is False))
                if self._retry:
                    return self._retry.popleft()
            for board in self._boards.values():
                if board.online is False and now >= board.next_probe:
                    board.next_probe = now + self.probe_seconds
                    if board.keypad:
                        return _Job(board.address, "poll", probe=True)
                    return _Job(board.address, "state" if board.text is not None else "ping", probe=True)
                if (
                    board.online
                    and board.text is not None
                    and now - board.last_sent >= self.keepalive_seconds
                ):
                    return _Job(board.address, "state")  # keepalive: full retries, like a call
            poll = self._due_poll(now)
            if poll is not None:
                return poll
            wait = WATCH_SECONDS
            polled = [b.next_poll for b in self._boards.values() if b.keypad and b.online is not False]
            if polled:
                wait = max(0.0, min(wait, min(polled) - now))
        try:
            return self._jobs.get(timeout=wait) if wait > 0 else None
        except queue.Empty:
            return None

    def _due_poll(self, now: float) -> _Job | None:
        """The keypad waiting longest for its poll, if one is due (under self._cond)."""
        due = [b for b in self._boards.values() if b.keypad and b.online is not False and now >= b.next_poll]
        if not due:
            return None
        board = min(due, key=lambda b: b.next_poll)
        board.next_poll = now + self.poll_seconds
        return _Job(board.address, "poll")

    # -- the worker --------------------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.reconnect_min
        while not self._stop.is_set():
            if self._port is None:
                if not self._open():
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.reconnect_max)
                    continue
                backoff = self.reconnect_min
                self._after_connect()
            job = self._next_job()
            if self._stop.is_set():
                break
            if job is None or job.kind == "wake":
                self._watch_link()
                with self._cond:
                    self._cond.notify_all()
                continue
            with self._cond:
                self._busy = True
                if job.kind == "state" and not job.probe:
                    self._pending.discard(job.address)
            try:
                self._do(job)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()
            if self.monotonic() - self._last_watch >= WATCH_SECONDS:
                self._watch_link()
        self._close("stopped")

    def _open(self) -> bool:
        try:
            port = serial.serial_for_url(
                self.port_url,
                baudrate=self.baud,
                parity=self.parity,
                bytesize=serial.EIGHTBITS,
                stopbits=serial.STOPBITS_ONE,
                timeout=self.timeout,
                write_timeout=self.write_timeout,
            )
            port.reset_input_buffer()
        except (*PORT_FAILURES, ValueError) as exc:
            with self._cond:
                if self.last_port_error != str(exc):
                    log.warning("board port %s unavailable: %s", self.port_url, exc)
                self.last_port_error = str(exc)
                self._cond.notify_all()
            return False
        self._port = port
        self._port_identity = self._identity()
        with self._cond:
            if self.connected_since is not None:
                self.reconnects += 1
            self.connected = True
            self.connected_since = self.clock.now().isoformat(timespec="seconds")
            self._cond.notify_all()
        log.info("board port %s open", self.port_url)
        return True

    def _after_connect(self) -> None:
        """Every board gets its current state again: the boards may have lost power with the link."""
        with self._cond:
            for board in self._boards.values():
                board.shown_version = -1
                board.next_probe = 0.0
                if board.online is False:
                    continue  # probed right away by _next_job, one attempt
                if board.text is not None and board.address not in self._pending:
                    self._pending.add(board.address)
                    self._retry.append(_Job(board.address, "state"))
                if board.brightness is not None:
                    self._retry.append(_Job(board.address, "brightness"))
                if board.lamp is not None:
                    board.lamp_shown_version = -1
                    self._retry.append(_Job(board.address, "lamp"))

    def _identity(self) -> tuple[int, int, int] | None:
        if "://" in self.port_url:
            return None
        try:
            st = os.stat(self.port_url)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_rdev)

    def _watch_link(self) -> None:
        self._last_watch = self.monotonic()
        if self._port is None or self._port_identity is None:
            return
        if self._identity() != self._port_identity:
            self._lost("device path no longer names the open device")

    def _close(self, why: str) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        with self._cond:
            self.connected = False
            self._cond.notify_all()

    def _lost(self, why: str) -> None:
        log.warning("board port %s lost: %s; reconnecting", self.port_url, why)
        with self._cond:
            self.last_port_error = why
        self._close(why)

    def _frame(self, job: _Job, board: _Board) -> tuple[bytes, int]:
        with self._cond:
            if job.kind == "ping":
                return self.codec.encode_ping(job.address), -1
            if job.kind == "brightness":
                return self.codec.encode_brightness(job.address, board.brightness or 0), -1
            if job.kind == "poll":
                return self.codec.encode_poll(job.address, board.ack_seq), -1
            if job.kind == "lamp":
                return self.codec.encode_lamp(job.address, bool(board.lamp)), board.lamp_version
            if board.keypad:
                return self.codec.encode_display(job.address, board.text or ""), board.version
            if not board.text:
                return self.codec.encode_clear(job.address), board.version
            return self.codec.encode_text(job.address, board.text, board.scroll), board.version

    def _do(self, job: _Job) -> None:
        board = self._boards[job.address]
        with self._cond:
            if job.kind == "state" and board.text is None:
                return
            if job.kind == "lamp" and (board.lamp is None or board.lamp_shown_version == board.lamp_version):
                return
            if board.online is False and not job.probe and job.kind != "ping":
                return  # an offline board only gets probes; its desired text is kept for then
        data, version = self._frame(job, board)
        port = self._port
        assert port is not None
        try:
            port.reset_input_buffer()  # a late reply to an earlier frame must not answer this one
            port.write(data)
            port.flush()
            reply = self._read_reply(port, job.address)
            error = (
                None
                if isinstance(reply, Ack | KeyReport)
                else ("NAK " + reply.reason if reply else "no answer")
            )
        except serial.SerialTimeoutException:
            reply, error = None, "write timeout"
        except PORT_FAILURES as exc:
            # The port, not the board, failed: keep the job for after the reconnect.
            self._retry.appendleft(job)
            self._lost(str(exc))
            return
        now_iso = self.clock.now().isoformat(timespec="milliseconds")
        press: KeyReport | None = None
        with self._cond:
            self.frames_sent += 1
            self.bytes_sent += len(data)
            if job.kind == "poll":
                self.polls += 1
            else:
                board.last_sent = self.monotonic()  # polls are no keepalive for a keypad's display
            if isinstance(reply, KeyReport):
                board.ack_seq = reply.seq  # acknowledged by the next poll
                board.next_poll = 0.0  # poll again at once: acknowledge, and fetch the next press
                if reply.seq == board.last_seq:
                    board.repeats += 1  # our acknowledgement was lost; applied already
                else:
                    board.last_seq = reply.seq
                    board.presses += 1
                    press = reply
            if error is None:
                board.misses = 0
                if board.online is not True:
                    board.since = now_iso
                    if board.online is False:
                        log.info("board %s (%s) back online", board.address, board.label)
                        if board.keypad:
                            # A keypad is probed by a poll: now give it its display and lamp again.
                            board.shown_version = board.lamp_shown_version = -1
                            if board.text is not None and board.address not in self._pending:
                                self._pending.add(board.address)
                                self._retry.append(_Job(board.address, "state"))
                            if board.lamp is not None:
                                self._retry.append(_Job(board.address, "lamp"))
                board.online = True
                board.last_ack = now_iso
                if version >= 0:
                    if job.kind == "lamp":
                        board.lamp_shown_version = version
                    else:
                        board.shown_version = version
                if job.future:
                    job.future.set_result(True)
        if press is not None:
            if self.on_key is not None:
                try:
                    self.on_key(press.address, press.key, press.seq)
                except Exception:
                    log.exception("key %s from keypad %s not handled", press.key, press.address)
            return
        if error is None:
            return
        with self._cond:
            board.errors += 1
            board.last_error = error
            if isinstance(reply, Nak):
                board.naks += 1
            else:
                board.timeouts += 1
            job.attempt += 1
            if job.kind == "poll" and not job.probe:
                # A missed poll is not retried (the next one is due soon); enough in a row: offline.
                board.misses += 1
                if board.misses <= self.retries:
                    return
            elif not job.probe and job.attempt <= self.retries:
                self._retry.append(job)  # behind every fresh job: others wait one timeout at most
                return
            if board.online is not False:
                what = "keypad" if board.keypad else "board"
                log.warning("%s %s (%s) offline: %s", what, board.address, board.label, error)
                board.online = False
                board.since = now_iso
            board.next_probe = self.monotonic() + self.probe_seconds
            if job.future:
                job.future.set_result(False)

    def _read_reply(self, port: serial.SerialBase, address: int) -> Ack | Nak | KeyReport | None:
        """The first ACK/NAK (or key report) from `address` before the timeout; other bytes are ignored."""
        parser = self.codec.parser()
        deadline = self.monotonic() + self.timeout
        while True:
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                return None
            port.timeout = remaining
            data = port.read(max(1, port.in_waiting))
            if not data:
                return None
            for message in parser.feed(data):
                if isinstance(message, Ack | Nak | KeyReport) and message.address == address:
                    return message
