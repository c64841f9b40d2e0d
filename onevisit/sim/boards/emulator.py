"""A bus of call-display boards on a pseudo-terminal, for the demo, the tests and technicians.

The emulator opens a pty pair, links the device end at a path (so the bus opens it exactly like a
USB-RS485 adapter), answers every command like a board would, keeps each board's current text and
injects faults on request: dead addresses never answer, dropped frames get no answer, garbled
frames arrive corrupted (the board NAKs them) or are answered with corrupted bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import random
import select
import signal
import sys
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from onevisit.core.charsets import CHARSETS
from onevisit.devices.boards.codec import (
    MAX_ADDRESS,
    MIN_ADDRESS,
    Ack,
    BoardCodec,
    Command,
    CommandKind,
    Nak,
    NakReason,
    Rejected,
    codec_for,
)

log = logging.getLogger(__name__)

#: A board drops a half-received frame after this much silence (its inter-character timeout).
QUIET_GAP = 0.05


@dataclass
class BoardView:
    """What one emulated board shows now."""

    text: str = ""
    scroll: bool = False
    brightness: int = 15
    updates: int = 0
    updated_at: str | None = None


@dataclass
class EmulatorStats:
    frames: int = 0
    acks: int = 0
    naks: int = 0
    dropped: int = 0
    garbled: int = 0
    dead: int = 0
    rejected: int = 0
    bytes_in: int = 0


@dataclass
class _Reply:
    due: float
    data: bytes = field(compare=False)


class BoardEmulator:
    def __init__(
        self,
        link: str | Path,
        codec: str | BoardCodec = "default",
        *,
        charsets: dict[int, str] | None = None,
        drop_rate: float = 0.0,
        garble_rate: float = 0.0,
        delay_ms: float = 0.0,
        dead: set[int] | frozenset[int] = frozenset(),
        seed: int | None = None,
        state_file: str | Path | None = None,
        echo: Callable[[str], None] | None = None,
        on_bytes: Callable[[float, bytes], None] | None = None,
    ) -> None:
        for name, rate in (("drop_rate", drop_rate), ("garble_rate", garble_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        if delay_ms < 0:
            raise ValueError("delay_ms must not be negative")
        self.link = Path(link)
        # a board decodes its text in its own charset, as the hall encodes it ([[boards.boards]] charset)
        self.codec = codec_for(codec, charsets) if isinstance(codec, str) else codec
        self.drop_rate = drop_rate
        self.garble_rate = garble_rate
        self.delay = delay_ms / 1000.0
        self.dead = set(dead)
        self.rng = random.Random(seed)
        self.state_file = Path(state_file) if state_file else None
        self.echo = echo
        #: Called from the reader thread with (time.monotonic(), bytes) for every read; the benchmark
        #: uses it to time the first byte of a frame on the wire.
        self.on_bytes = on_bytes
        self.stats = EmulatorStats()
        #: Every well-formed command as it arrived: (monotonic time, address, kind), newest last.
        self.received: deque[tuple[float, int, str]] = deque(maxlen=10000)
        self._boards: dict[int, BoardView] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master = -1
        self._slave = -1
        self.device: str | None = None

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> BoardEmulator:
        # Cleared here so a stopped emulator can be plugged in again (an adapter re-plugged).
        self._stop.clear()
        self._master, self._slave = os.openpty()
        # Raw mode: no echo and no newline translation, so bytes pass exactly as a serial line would.
        tty.setraw(self._slave)
        tty.setraw(self._master)
        os.set_blocking(self._master, False)
        self.device = os.ttyname(self._slave)
        self.link.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(self.device, tmp)
        os.replace(tmp, self.link)  # atomic: a bus never sees a missing link during a restart
        self._write_state()
        self._thread = threading.Thread(
            target=self._run, name=f"board-emulator:{self.link.name}", daemon=True
        )
        self._thread.start()
        log.info("board emulator on %s -> %s (codec %s)", self.link, self.device, self.codec.name)
        return self

    def stop(self) -> None:
        """Unplug: the link vanishes and the pty closes, so a connected bus sees the port gone."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            if os.path.realpath(self.link) == self.device:
                self.link.unlink()
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> BoardEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what the boards show ------------------------------------------------------------------------
    def boards(self) -> dict[int, BoardView]:
        with self._cond:
            return {a: BoardView(**asdict(v)) for a, v in self._boards.items()}

    def texts(self) -> dict[int, str]:
        with self._cond:
            return {a: v.text for a, v in self._boards.items()}

    def snapshot(self) -> dict:
        with self._cond:
            return {
                "link": str(self.link),
                "device": self.device,
                "codec": self.codec.name,
                "boards": {str(a): asdict(v) for a, v in sorted(self._boards.items())},
                "stats": asdict(self.stats),
            }

    def wait_for(self, predicate: Callable[[dict[int, str]], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate(texts)` holds; False on timeout (tests wait here, never sleep)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: predicate({a: v.text for a, v in self._boards.items()}), timeout
            )

    def reset_boards(self) -> None:
        """Power-cycle every board: they come back blank."""
        with self._cond:
            self._boards.clear()
            self._cond.notify_all()
        self._write_state()

    # -- the wire ----------------------------------------------------------------------------------------
    def _run(self) -> None:
        parser = self.codec.parser()
        replies: list[_Reply] = []
        last_byte = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            wait = 0.1
            if replies:
                wait = min(wait, max(0.0, replies[0].due - now))
            if parser.pending():
                wait = min(wait, max(0.0, last_byte + QUIET_GAP - now))
            try:
                ready, _, _ = select.select([self._master], [], [], wait)
            except (OSError, ValueError):
                break
            now = time.monotonic()
            if ready:
                try:
                    data = os.read(self._master, 4096)
                except BlockingIOError:
                    data = b""
                except OSError:
                    # No process has the device end open (EIO): wait for a bus to open it again.
                    self._stop.wait(0.05)
                    continue
                if data:
                    last_byte = now
                    if self.on_bytes:
                        self.on_bytes(now, data)
                    with self._cond:
                        self.stats.bytes_in += len(data)
                    for message in parser.feed(data):
                        self._handle(message, now, replies)
            elif parser.pending() and now - last_byte >= QUIET_GAP:
                for message in parser.flush_partial():
                    self._handle(message, now, replies)
            while replies and replies[0].due <= now:
                self._send(replies.pop(0).data)

    def _send(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except OSError as exc:  # the bus is not reading (closed, or buffer full): a lost reply
            log.debug("reply lost: %s", exc)

    def _reply(self, replies: list[_Reply], now: float, data: bytes) -> None:
        if self.delay <= 0:
            self._send(data)
        else:
            replies.append(_Reply(now + self.delay, data))

    def _handle(self, message: object, now: float, replies: list[_Reply]) -> None:
        if isinstance(message, Rejected):
            with self._cond:
                self.stats.rejected += 1
            address = message.address
            if address is not None and MIN_ADDRESS <= address <= MAX_ADDRESS and address not in self.dead:
                with self._cond:
                    self.stats.naks += 1
                self._reply(replies, now, self.codec.encode_nak(address, message.reason))
            log.debug("rejected %r: %s", message.raw[:32], message.why)
            return
        if isinstance(message, Ack | Nak):
            return  # another board's reply; boards ignore them
        assert isinstance(message, Command)
        with self._cond:
            self.stats.frames += 1
            self.received.append((now, message.address, str(message.kind)))
        address = message.address
        if address in self.dead:
            with self._cond:
                self.stats.dead += 1
            return
        if self.drop_rate and self.rng.random() < self.drop_rate:
            with self._cond:
                self.stats.dropped += 1
            return
        if self.garble_rate and self.rng.random() < self.garble_rate:
            with self._cond:
                self.stats.garbled += 1
            if self.rng.random() < 0.5:
                # The frame arrived corrupted: the board's checksum check fails, nothing changes.
                with self._cond:
                    self.stats.naks += 1
                self._reply(replies, now, self.codec.encode_nak(address, NakReason.CHECKSUM))
                return
            # The command arrived, the answer is corrupted on the way back.
            self._apply(message)
            ack = bytearray(self.codec.encode_ack(address))
            pos = self.rng.randrange(len(ack))
            ack[pos] ^= self.rng.randrange(1, 256)
            self._reply(replies, now, bytes(ack))
            return
        self._apply(message)
        with self._cond:
            self.stats.acks += 1
        self._reply(replies, now, self.codec.encode_ack(address))

    def _apply(self, command: Command) -> None:
        if command.kind is CommandKind.PING:
            return
        with self._cond:
            view = self._boards.setdefault(command.address, BoardView())
            if command.kind is CommandKind.TEXT:
                view.text, view.scroll = command.text, command.scroll
            elif command.kind is CommandKind.CLEAR:
                view.text, view.scroll = "", False
            elif command.kind is CommandKind.BRIGHTNESS:
                view.brightness = command.level
            view.updates += 1
            view.updated_at = dt.datetime.now().astimezone().isoformat(timespec="milliseconds")
            self._cond.notify_all()
        if self.echo and command.kind in (CommandKind.TEXT, CommandKind.CLEAR):
            flag = " (scroll)" if command.scroll else ""
            self.echo(f"board {command.address:03d}: {command.text}{flag}")
        self._write_state()

    def _write_state(self) -> None:
        if not self.state_file:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_name(f".{self.state_file.name}.tmp")
        tmp.write_text(json.dumps(self.snapshot(), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.state_file)


def parse_dead(value: str) -> set[int]:
    if not value:
        return set()
    try:
        dead = {int(part) for part in value.split(",") if part.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError(f"--dead takes addresses like 3,7 (got {value!r})") from None
    bad = [a for a in dead if not MIN_ADDRESS <= a <= MAX_ADDRESS]
    if bad:
        raise argparse.ArgumentTypeError(f"--dead: addresses must be 1-254 (got {bad})")
    return dead


def parse_charset(value: str) -> tuple[int, str]:
    """`3=gbk` as (3, "gbk")."""
    address, _, name = value.partition("=")
    if not address.strip().isdigit() or not MIN_ADDRESS <= int(address) <= MAX_ADDRESS:
        raise argparse.ArgumentTypeError(f"--charset takes ADDR=CHARSET with ADDR 1-254 (got {value!r})")
    if name not in CHARSETS:
        raise argparse.ArgumentTypeError(f"--charset: {name!r} is not one of {', '.join(CHARSETS)}")
    return int(address), name


def rate(value: str) -> float:
    r = float(value)
    if not 0.0 <= r <= 1.0:
        raise argparse.ArgumentTypeError(f"a rate is between 0 and 1 (got {value})")
    return r


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--link", required=True, metavar="PATH", help="where to link the device end")
    parser.add_argument("--codec", choices=["default", "line"], default="default")
    parser.add_argument("--state", metavar="FILE", help="write every board's text here as JSON")
    parser.add_argument("--drop-rate", type=rate, default=0.0, metavar="R", help="share of frames lost")
    parser.add_argument("--garble-rate", type=rate, default=0.0, metavar="R", help="share of frames garbled")
    parser.add_argument("--delay", type=float, default=0.0, metavar="MS", help="reply delay in ms")
    parser.add_argument(
        "--dead", type=parse_dead, default=set(), metavar="ADDR,...", help="boards that never answer"
    )
    parser.add_argument("--seed", type=int, default=None, help="seed the fault generator (reproducible runs)")
    parser.add_argument(
        "--charset",
        type=parse_charset,
        action="append",
        default=[],
        metavar="ADDR=CHARSET",
        help="a board's character set (gb2312 unless named; gbk, gb18030), repeatable",
    )


def run(args: argparse.Namespace) -> int:
    def echo(line: str) -> None:
        print(line, flush=True)

    emulator = BoardEmulator(
        args.link,
        args.codec,
        charsets=dict(args.charset),
        drop_rate=args.drop_rate,
        garble_rate=args.garble_rate,
        delay_ms=args.delay,
        dead=args.dead,
        seed=args.seed,
        state_file=args.state,
        echo=echo,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator.start()
    print(f"board emulator: {args.link} -> {emulator.device} (codec {args.codec})", flush=True)
    try:
        stop.wait()
    finally:
        emulator.stop()
        print("board emulator stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onevisit board-emulator", description=__doc__)
    add_arguments(parser)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
