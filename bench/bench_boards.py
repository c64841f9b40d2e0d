"""Board latency: from CallOut.handle(call event) to the first byte of its frame on the wire.

Runs the demo hall's boards (6 window boards + main board, default codec, 9600 baud config,
timeout 0.3 s) against the board emulator on a real pty, reading arrival times at the emulator
side. Scenario "dead board": window 2's board never answers and gets a call right before every
measured call at window 3, with offline probes every second (a harsher setting than the default
5 s) so probes collide with measured calls.

    uv run python bench/bench_boards.py [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from onevisit.core.config import load_config
from onevisit.devices.boards.codec_default import CMD_TEXT, STX
from onevisit.hall.live.callout import CallOut
from onevisit.sim.boards.emulator import BoardEmulator


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(calls: int, dead: bool) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-boards-"))
    base = load_config()
    cfg = base.model_copy(
        update={
            "base_dir": tmp,
            "voice": base.voice.model_copy(update={"engine": "silent"}),
            "boards": base.boards.model_copy(update={"probe_seconds": 1.0}),
        }
    )
    arrivals: list[tuple[float, bytes]] = []
    lock = threading.Lock()

    def on_bytes(t: float, data: bytes) -> None:
        with lock:
            arrivals.append((t, data))

    emulator = BoardEmulator(
        cfg.path(cfg.boards.port), dead={2} if dead else set(), on_bytes=on_bytes
    ).start()
    callout = CallOut.from_config(cfg).start()
    assert callout.bus is not None
    callout.bus.wait_settled(30)
    latencies: list[float] = []
    handle_us: list[float] = []
    marker = bytes([STX, 3, CMD_TEXT])
    event_id = 0
    try:
        for i in range(calls):
            event_id += 1
            callout.handle({"id": event_id, "kind": "step.called", "number": f"B{i:03d}", "window": 2})
            with lock:
                arrivals.clear()
            number = f"A{i:03d}"
            event_id += 1
            start = time.monotonic()
            callout.handle({"id": event_id, "kind": "step.called", "number": number, "window": 3})
            handle_us.append((time.monotonic() - start) * 1e6)
            expected = f"{number} 请到3号窗口"
            emulator.wait_for(lambda t, expected=expected: t.get(3) == expected, timeout=10)
            with lock:
                first = next(t for t, data in arrivals if marker in data and t >= start)
            latencies.append((first - start) * 1000)
            # no wait for the bus to go idle: the offline board's probes (every 1 s, one timeout of
            # 0.3 s each) land among the measured calls as they would in a hall
            threading.Event().wait(0.05)
        health = callout.bus.health()
    finally:
        callout.stop()
        emulator.stop()
    codec = callout.bus.codec
    window_frame = codec.encode_text(3, "A012 请到3号窗口")
    main_frame = codec.encode_text(100, "A012→3号  B011→2号  A011→3号")
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": pct(latencies, 99),
        "max_ms": max(latencies),
        "handle_p50_us": statistics.median(handle_us),
        "handle_p99_us": pct(handle_us, 99),
        "frame_bytes_per_call": len(window_frame) + len(main_frame),
        "ack_bytes_per_call": 2 * len(codec.encode_ack(3)),
        "dead_board_status": next(b["status"] for b in health["boards"] if b["address"] == 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    for dead in (False, True):
        r = run(args.calls, dead)
        label = "one dead board" if dead else "all boards alive"
        print(
            f"{label:18s} calls={args.calls} first byte p50={r['p50_ms']:.2f} ms p99={r['p99_ms']:.2f} ms "
            f"max={r['max_ms']:.2f} ms | handle() p50={r['handle_p50_us']:.0f} us p99={r['handle_p99_us']:.0f} us "
            f"| frame bytes per call={r['frame_bytes_per_call']} (+{r['ack_bytes_per_call']} ACK) "
            f"| board 2: {r['dead_board_status']}"
        )


if __name__ == "__main__":
    main()
