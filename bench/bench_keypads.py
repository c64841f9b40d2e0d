"""Keypads on the board bus: key press -> call on the wire, the poll cycle, and what polling costs calls.

The demo hall's 7 boards plus 6 caller keypads (addresses 21-26, windows 1-6) and 6 rater keypads
(31-36) on one line, against the board emulator on a real pty answering at a 9600-baud line's
pace (`BoardEmulator(baud=9600)`: each reply leaves after the command's and the reply's bytes would
have crossed the line, 10 bits a byte). Arrival times are read at the emulator side.

1. Key press -> call on the wire: the whole hall server (create_app, its gate, event hub, call-out
   and KeypadDesk; clock at 09:00) with tickets waiting at window 3. Each measurement presses 呼叫
   on window 3's caller in the emulator and times until the first byte of the TEXT frame to
   window 3's board that shows the new number.
2. Poll cycle: the interval between two polls of the same keypad, read from the emulator's log of
   received commands, while idle (no board traffic).
3. Call -> first byte (bench_boards.py's method: CallOut.handle(step.called) to the first byte of
   window 3's frame), with the 12 keypads polled and without keypads, on the same 9600-baud line.

    uv run python bench/bench_keypads.py [--presses 100] [--calls 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from onevisit.core.clock import OffsetClock
from onevisit.core.config import KeypadConfig, load_config
from onevisit.devices.boards.codec_default import CMD_TEXT, STX
from onevisit.hall.app import create_app
from onevisit.hall.live.callout import CallOut
from onevisit.sim.boards.emulator import BoardEmulator

BAUD = 9600
CALLERS = {20 + w: w for w in range(1, 7)}
RATERS = {30 + w: w for w in range(1, 7)}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def hall_config(tmp: Path, keypads: bool):
    base = load_config()
    pads = (
        [KeypadConfig(address=a, kind="caller", window=w) for a, w in CALLERS.items()]
        + [KeypadConfig(address=a, kind="rater", window=w) for a, w in RATERS.items()]
        if keypads
        else []
    )
    return base.model_copy(
        update={
            "base_dir": tmp,
            "voice": base.voice.model_copy(update={"engine": "silent"}),
            "boards": base.boards.model_copy(update={"port": str(tmp / "board-link"), "keypads": pads}),
        }
    )


class Wire:
    """Every read at the emulator side, with its time, for 'first byte of frame X after t'."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()

    def __call__(self, t: float, data: bytes) -> None:
        with self.lock:
            self.arrivals.append((t, data))

    def first(self, marker: bytes, after: float, text: bytes) -> float | None:
        with self.lock:
            return next((t for t, d in self.arrivals if t >= after and marker in d and text in d), None)

    def clear(self) -> None:
        with self.lock:
            self.arrivals.clear()


def key_to_wire(presses: int, settle: bool) -> dict[str, float]:
    """`settle`: before each press the bus finishes the last press's frames (board, main board,
    keypad displays, lamp) and a random 0-250 ms passes, so presses land anywhere in the poll
    cycle; otherwise each press follows the last call at once, behind those frames."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-keypads-"))
    cfg = hall_config(tmp, keypads=True)
    wire = Wire()
    emulator = BoardEmulator(
        cfg.boards.port,
        keypads={**{a: "caller" for a in CALLERS}, **{a: "rater" for a in RATERS}},
        baud=BAUD,
        on_bytes=wire,
    ).start()
    # 09:00 in the hall's zone, whatever the hour the bench runs at: tickets are issued in hours.
    zone = ZoneInfo(cfg.hall.timezone)
    clock = OffsetClock(dt.datetime.now(zone).replace(hour=9, minute=0, second=0))
    app = create_app(cfg, db_path=tmp / "hall.db", clock=clock)
    kiosk = app.state.hall.accounts.add_kiosk("bench")
    handled = threading.Event()
    app.state.keypads.on_handled = lambda *_: handled.set()
    latencies: list[float] = []
    marker = bytes([STX, 3, CMD_TEXT])
    try:
        with TestClient(app) as client:
            numbers = []
            for i in range(presses):
                r = client.post(
                    "/api/tickets",
                    json={"matters": ["card"], "idempotency_key": f"b{i}"},
                    headers={"Authorization": f"Bearer {kiosk}"},
                )
                numbers.append(r.json()["ticket"]["number"])
            app.state.callout.bus.wait_settled(30)
            rng = random.Random(1)
            for number in numbers:
                if settle:
                    app.state.callout.bus.wait_settled(10)
                    threading.Event().wait(rng.uniform(0, 0.25))  # a bench: an arbitrary moment
                wire.clear()
                handled.clear()
                start = time.monotonic()
                emulator.press(23, "call")
                assert emulator.wait_for(lambda t, n=number: n in t.get(3, ""), timeout=10), number
                first = wire.first(marker, start, number.encode())
                assert first is not None
                latencies.append((first - start) * 1000)
                handled.wait(10)
    finally:
        emulator.stop()
    return {"p50_ms": statistics.median(latencies), "p99_ms": pct(latencies, 99), "max_ms": max(latencies)}


def poll_cycle(seconds: float = 5.0) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-keypads-cycle-"))
    cfg = hall_config(tmp, keypads=True)
    emulator = BoardEmulator(
        cfg.boards.port, keypads={**{a: "caller" for a in CALLERS}, **{a: "rater" for a in RATERS}}, baud=BAUD
    ).start()
    callout = CallOut.from_config(cfg).start()
    assert callout.bus is not None
    try:
        callout.bus.wait_settled(30)
        threading.Event().wait(seconds)  # a bench: let the bus poll undisturbed for a while
        since = time.monotonic() - seconds
        intervals: list[float] = []
        for address in [*CALLERS, *RATERS]:
            times = [t for t, a, kind in emulator.received if a == address and kind == "poll" and t >= since]
            intervals += [(b - a) * 1000 for a, b in itertools.pairwise(times)]
        polls_per_s = len([1 for t, _, kind in emulator.received if kind == "poll" and t >= since]) / seconds
    finally:
        callout.stop()
        emulator.stop()
    return {"p50_ms": statistics.median(intervals), "p99_ms": pct(intervals, 99), "polls_per_s": polls_per_s}


def call_to_wire(calls: int, keypads: bool) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-keypads-calls-"))
    cfg = hall_config(tmp, keypads=keypads)
    wire = Wire()
    pads = {**{a: "caller" for a in CALLERS}, **{a: "rater" for a in RATERS}} if keypads else {}
    emulator = BoardEmulator(cfg.boards.port, keypads=pads, baud=BAUD, on_bytes=wire).start()
    callout = CallOut.from_config(cfg).start()
    assert callout.bus is not None
    latencies: list[float] = []
    marker = bytes([STX, 3, CMD_TEXT])
    try:
        callout.bus.wait_settled(30)
        for i in range(calls):
            number = f"A{i:03d}"
            wire.clear()
            start = time.monotonic()
            callout.handle({"id": i + 1, "kind": "step.called", "number": number, "window": 3})
            assert emulator.wait_for(lambda t, n=number: t.get(3, "").startswith(n), timeout=10)
            first = wire.first(marker, start, number.encode())
            assert first is not None
            latencies.append((first - start) * 1000)
            threading.Event().wait(0.05)  # calls a little apart, polls run in between
    finally:
        callout.stop()
        emulator.stop()
    return {"p50_ms": statistics.median(latencies), "p99_ms": pct(latencies, 99), "max_ms": max(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    for settle in (True, False):
        r = key_to_wire(args.presses, settle)
        how = "press at any moment" if settle else "press right after the last call"
        print(
            f"key press -> call on the wire (6 callers + 6 raters, {BAUD} baud, {how}, "
            f"presses={args.presses}): p50={r['p50_ms']:.1f} ms p99={r['p99_ms']:.1f} ms max={r['max_ms']:.1f} ms"
        )
    c = poll_cycle()
    print(
        f"poll cycle (same keypad, idle bus): p50={c['p50_ms']:.1f} ms p99={c['p99_ms']:.1f} ms "
        f"| {c['polls_per_s']:.0f} polls/s on the line"
    )
    for keypads in (False, True):
        r = call_to_wire(args.calls, keypads)
        label = "12 keypads polled" if keypads else "no keypads"
        print(
            f"call -> first byte, {label:17s} calls={args.calls}: p50={r['p50_ms']:.2f} ms "
            f"p99={r['p99_ms']:.2f} ms max={r['max_ms']:.2f} ms"
        )


if __name__ == "__main__":
    main()
