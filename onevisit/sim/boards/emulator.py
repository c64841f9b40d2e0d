"""A bus of call-display boards on a pseudo-terminal, for the demo, the tests and technicians.

The emulator opens a pty pair, links the device end at a path (so the bus opens it exactly like a
USB-RS485 adapter), answers every command like a board would, keeps each board's current text and
injects faults on request: dead addresses never answer, dropped frames get no answer, garbled
frames arrive corrupted (the board NAKs them) or are answered with corrupted bytes.

It also emulates keypads (呼叫器, 评价器) on the same line: `press()` (or `press ADDRESS KEY` on
the control port) queues a key press, numbered like a real keypad does, and the next poll gets
it; the press stays queued until a poll acknowledges its number, so a lost reply makes the keypad
send the same numbered report again. Each keypad's display text and lamp are kept and echoed.
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
import socket
import socketserver
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
    RATER_KEYS,
    Ack,
    BoardCodec,
    Command,
    CommandKind,
    Key,
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
class KeypadView:
    """One emulated keypad: what its display and lamp show, and its key presses not yet acknowledged."""

    kind: str  # caller | rater
    text: str = ""
    lamp: bool = False
    pressed: int = 0
    reports: int = 0  # key reports sent (a repeat after a lost acknowledgement counts again)
    next_seq: int = 1
    queued: list[tuple[int, str]] = field(default_factory=list)  # (seq, key), oldest first
    acked: tuple[int, str] | None = None  # the last report the hall acknowledged
    deaf: bool = False  # fault: the next poll's acknowledgement goes unheard


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
        baud: int | None = None,
        dead: set[int] | frozenset[int] = frozenset(),
        seed: int | None = None,
        state_file: str | Path | None = None,
        echo: Callable[[str], None] | None = None,
        on_bytes: Callable[[float, bytes], None] | None = None,
        keypads: dict[int, str] | None = None,
    ) -> None:
        """`keypads` maps address -> "caller" | "rater"; those addresses answer polls."""
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
        if baud is not None and baud <= 0:
            raise ValueError("baud must be positive")
        #: A pty moves bytes at once; with `baud` set, a reply leaves only after the command and the
        #: reply would have taken on a serial line at that speed (10 bits a byte: 8N1), so the
        #: line's time per frame shows in timings (bench/bench_keypads.py).
        self.baud = baud
        self._inbound = 0
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
        if keypads and not self.codec.supports_keypads:
            raise ValueError(f"the {self.codec.name!r} codec has no keypad commands; use --codec default")
        for address, kind in (keypads or {}).items():
            if not MIN_ADDRESS <= address <= MAX_ADDRESS or kind not in ("caller", "rater"):
                raise ValueError(f"keypad {address}:{kind}: address 1-254, kind caller or rater")
        self._keypads = {a: KeypadView(kind) for a, kind in (keypads or {}).items()}
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
                "keypads": {str(a): asdict(v) for a, v in sorted(self._keypads.items())},
                "stats": asdict(self.stats),
            }

    def wait_for(self, predicate: Callable[[dict[int, str]], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate(texts)` holds; False on timeout (tests wait here, never sleep)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: predicate({a: v.text for a, v in self._boards.items()}), timeout
            )

    def keypads(self) -> dict[int, KeypadView]:
        with self._cond:
            return {
                a: KeypadView(**{**asdict(v), "queued": list(v.queued)}) for a, v in self._keypads.items()
            }

    def wait_keypads(self, predicate: Callable[[dict[int, KeypadView]], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate(keypads)` holds (what they display, their lamps); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self._keypads), timeout)

    def press(self, address: int, key: str) -> int:
        """Press `key` (call, recall, skip, pause, transfer, r1…r4) on keypad `address`; its number.

        ValueError for an address that is no keypad or a key that keypad does not have."""
        try:
            k = Key(key)
        except ValueError:
            raise ValueError(f"unknown key {key!r} (keys: {', '.join(k.value for k in Key)})") from None
        with self._cond:
            pad = self._keypads.get(address)
            if pad is None:
                raise ValueError(f"no keypad at address {address} (keypads: {sorted(self._keypads)})")
            rater = k in RATER_KEYS
            if rater != (pad.kind == "rater"):
                raise ValueError(f"keypad {address} is a {pad.kind}; it has no key {key!r}")
            seq = pad.next_seq
            pad.next_seq = seq % 255 + 1  # 1..255, then 1 again
            pad.queued.append((seq, k.value))
            pad.pressed += 1
            self._cond.notify_all()
        self._write_state()
        return seq

    def repeat_acknowledged(self, address: int) -> bool:
        """Fault: keypad `address` sends its last acknowledged report again (a keypad that missed
        the acknowledgement, or one that restarted with its queue); False when it has none."""
        with self._cond:
            pad = self._keypads[address]
            if pad.acked is None:
                return False
            pad.queued.insert(0, pad.acked)
            pad.deaf = True
            self._cond.notify_all()
            return True

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
                    self._inbound = len(data)  # the bus sends one frame and waits: one frame a read
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
        wire = (self._inbound + len(data)) * 10 / self.baud if self.baud else 0.0
        if self.delay <= 0 and wire <= 0:
            self._send(data)
        else:
            replies.append(_Reply(now + self.delay + wire, data))
            replies.sort(key=lambda r: r.due)

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
        if (address in self._keypads) != (message.kind in KEYPAD_COMMANDS):
            # A board has no poll, display or lamp command and a keypad shows no board text.
            with self._cond:
                self.stats.naks += 1
            self._reply(replies, now, self.codec.encode_nak(address, NakReason.UNKNOWN_COMMAND))
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
            answer = bytearray(self._apply(message))
            pos = self.rng.randrange(len(answer))
            answer[pos] ^= self.rng.randrange(1, 256)
            self._reply(replies, now, bytes(answer))
            return
        answer = self._apply(message)
        with self._cond:
            self.stats.acks += 1
        self._reply(replies, now, answer)

    def _apply(self, command: Command) -> bytes:
        """Carry out a well-formed command; the answer to send (an ACK, or a keypad's key report)."""
        if command.kind in KEYPAD_COMMANDS:
            return self._apply_keypad(command)
        self._apply_board(command)
        return self.codec.encode_ack(command.address)

    def _apply_keypad(self, command: Command) -> bytes:
        if command.kind is CommandKind.POLL:
            return self._poll(command)
        address = command.address
        echo = None
        with self._cond:
            pad = self._keypads[address]
            if command.kind is CommandKind.DISPLAY:
                if pad.text != command.text:
                    echo = f"keypad {address:03d} ({pad.kind}): {command.text}"
                pad.text = command.text
            elif command.kind is CommandKind.LAMP:
                if pad.lamp != command.on:
                    echo = f"keypad {address:03d} ({pad.kind}): lamp {'on' if command.on else 'off'}"
                pad.lamp = command.on
            self._cond.notify_all()
        if self.echo and echo:
            self.echo(echo)
        self._write_state()
        return self.codec.encode_ack(address)

    def _poll(self, command: Command) -> bytes:
        """A keypad's answer to a poll: its oldest press not yet acknowledged, else an ACK."""
        address = command.address
        acknowledged = False
        with self._cond:
            pad = self._keypads[address]
            if pad.deaf:
                pad.deaf = False
            elif pad.queued and pad.queued[0][0] == command.seq:
                pad.acked = pad.queued.pop(0)  # the hall acknowledged it
                acknowledged = True
                self._cond.notify_all()
            head = pad.queued[0] if pad.queued else None
            if head is not None:
                pad.reports += 1
        if acknowledged:
            self._write_state()
        if head is None:
            return self.codec.encode_ack(address)
        return self.codec.encode_key(address, head[0], Key(head[1]))

    def _apply_board(self, command: Command) -> None:
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


KEYPAD_COMMANDS = (CommandKind.POLL, CommandKind.DISPLAY, CommandKind.LAMP)


class ControlServer:
    """`press ADDRESS KEY` lines on a TCP port, each answered `ok` (or `error: why`)."""

    def __init__(self, emulator: BoardEmulator, host: str, port: int) -> None:
        emu = emulator

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line:
                        continue
                    self.wfile.write((control_line(emu, line) + "\n").encode("utf-8"))
                    self.wfile.flush()

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((host, port), Handler)
        self.address: tuple[str, int] = self.server.server_address[:2]  # type: ignore[assignment]
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="emulator-control", daemon=True
        )

    def start(self) -> ControlServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def control_line(emulator: BoardEmulator, line: str) -> str:
    """One control command: `press ADDRESS KEY` -> `ok`; anything else -> `error: why`."""
    parts = line.split()
    if len(parts) != 3 or parts[0] != "press" or not parts[1].isdigit():
        return "error: expected `press ADDRESS KEY`"
    try:
        emulator.press(int(parts[1]), parts[2])
    except ValueError as exc:
        return f"error: {exc}"
    return "ok"


def press_over_control(host: str, port: int, address: int, key: str, timeout: float = 5.0) -> str:
    """Send one press to an emulator's control port; its answer line."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(f"press {address} {key}\n".encode())
        return conn.makefile("r", encoding="utf-8").readline().strip()


def parse_keypad(value: str) -> tuple[int | None, int, str]:
    """`WINDOW:KIND` or `WINDOW:KIND@ADDRESS` -> (address or None, window, kind)."""
    spec, _, addr = value.partition("@")
    window, _, kind = spec.partition(":")
    if not window.isdigit() or kind not in ("caller", "rater") or (addr and not addr.isdigit()):
        raise argparse.ArgumentTypeError(
            f"--keypad takes WINDOW:caller or WINDOW:rater, optionally @ADDRESS (got {value!r})"
        )
    address = int(addr) if addr else None
    if address is not None and not MIN_ADDRESS <= address <= MAX_ADDRESS:
        raise argparse.ArgumentTypeError(f"--keypad: address must be 1-254 (got {address})")
    return address, int(window), kind


def parse_hostport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"--control takes HOST:PORT (got {value!r})")
    return host, int(port)


def resolve_keypads(specs: list[tuple[int | None, int, str]], config_path: str | None) -> dict[int, str]:
    """Addresses for `--keypad` specs; a spec without @ADDRESS takes the address [boards] keypads
    gives that window's caller or rater. ValueError when config has none."""
    out: dict[int, str] = {}
    configured: list = []
    if any(address is None for address, _, _ in specs):
        from onevisit.core.config import load_config

        configured = load_config(config_path).boards.keypads
    for address, window, kind in specs:
        if address is None:
            match = [k.address for k in configured if k.window == window and k.kind == kind]
            if not match:
                raise ValueError(
                    f"--keypad {window}:{kind}: no such keypad in [boards] keypads; add @ADDRESS"
                )
            address = match[0]
        out[address] = kind
    return out


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
        "--baud", type=int, default=None, metavar="N", help="answer at a serial line's pace (e.g. 9600)"
    )
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
    parser.add_argument(
        "--keypad",
        type=parse_keypad,
        action="append",
        default=[],
        metavar="WINDOW:KIND[@ADDR]",
        help="emulate a keypad: 3:caller or 3:rater (address from [boards] keypads, or @ADDR)",
    )
    parser.add_argument(
        "--control",
        type=parse_hostport,
        metavar="HOST:PORT",
        help="take `press ADDRESS KEY` lines here (KEY: call recall skip pause transfer r1-r4)",
    )


def run(args: argparse.Namespace) -> int:
    def echo(line: str) -> None:
        print(line, flush=True)

    try:
        keypads = resolve_keypads(args.keypad, getattr(args, "config", None))
        emulator = BoardEmulator(
            args.link,
            args.codec,
            charsets=dict(args.charset),
            keypads=keypads,
            drop_rate=args.drop_rate,
            garble_rate=args.garble_rate,
            delay_ms=args.delay,
            baud=args.baud,
            dead=args.dead,
            seed=args.seed,
            state_file=args.state,
            echo=echo,
        )
    except Exception as exc:  # a bad or missing config, a codec without keypads: say so, no traceback
        print(f"board emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator.start()
    control = None
    if args.control:
        try:
            control = ControlServer(emulator, *args.control).start()
        except OSError as exc:
            emulator.stop()
            print(f"board emulator: control port {args.control[0]}:{args.control[1]}: {exc}", file=sys.stderr)
            return 2
    for address, kind in sorted(keypads.items()):
        print(f"keypad {address:03d}: {kind}", flush=True)
    if control:
        host, port = control.address
        print(f"control: {host}:{port} (press ADDRESS KEY)", flush=True)
    # Last: the demo takes this line as "ready" and reads the lines above it.
    print(f"board emulator: {args.link} -> {emulator.device} (codec {args.codec})", flush=True)
    try:
        stop.wait()
    finally:
        if control:
            control.stop()
        emulator.stop()
        print("board emulator stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onevisit board-emulator", description=__doc__)
    add_arguments(parser)
    parser.add_argument("--config", metavar="FILE", help="config.toml, for --keypad without @ADDRESS")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
