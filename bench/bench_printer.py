"""Printing figures: bytes and build/render time per ticket (GBK vs raster), and time on the wire
at 9600 baud (computed: 10 bits per byte, 8N1) against a network printer (measured: the virtual
printer on loopback, status checks included, until the job is rendered).

    uv run python bench/bench_printer.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from onevisit.core.config import PrinterConfig
from onevisit.devices.printer import JobState, Printer
from onevisit.devices.printer.ticket import build_ticket
from onevisit.sim.printer.render import render
from onevisit.sim.printer.tokenizer import tokenize
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.devices.printer.printer_samples import sample_ticket


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    ticket = sample_ticket()
    print(
        f"{'mode':22} {'bytes':>7} {'build':>10} {'render':>10} {'9600 baud':>10} {'115200':>8} {'network':>10}"
    )
    for chinese, width, native_qr in (
        ("gbk", 576, True),
        ("raster", 576, True),
        ("raster", 576, False),
        ("gbk", 384, True),
        ("raster", 384, True),
    ):
        cfg = PrinterConfig(chinese=chinese, width=width, native_qr=native_qr, timeout=2)
        build, draw = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            data = build_ticket(ticket, cfg)
            t1 = time.perf_counter()
            render(tokenize(data), width)
            t2 = time.perf_counter()
            build.append(t1 - t0)
            draw.append(t2 - t1)
        serial_9600 = len(data) * 10 / 9600
        serial_115200 = len(data) * 10 / 115200
        with tempfile.TemporaryDirectory() as out, VirtualPrinter(out, width=width) as vp:
            printer = Printer(cfg, url=vp.url)
            net = []
            for i in range(args.runs):
                t0 = time.perf_counter()
                job = printer.submit(data, kind="ticket", ref="A012")
                assert job.state == JobState.DONE, job.to_dict()
                vp.wait_for_jobs(i + 1)
                net.append(time.perf_counter() - t0)
        label = f"{chinese}/{width}/{'nativeQR' if native_qr else 'rasterQR'}"
        print(
            f"{label:22} {len(data):7d} {ms(build)} {ms(draw)} {serial_9600:8.1f} s {serial_115200:6.2f} s {ms(net)}"
        )
    print(
        f"(median of {args.runs}; build = layout to bytes, render = tokenize + draw as the virtual printer does;"
    )
    print(
        " network = status check, send, status check over TCP to the virtual printer, which renders the PNG)"
    )


if __name__ == "__main__":
    main()
