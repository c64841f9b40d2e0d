"""The A4 参保证明: build + render time (36 months, and 张建国's whole history), PDF size and pages,
and the time from "打印" (submit) to CUPS "completed" on a private cups-pdf queue.

Run (as root, with the CUPS packages of scripts/setup.sh): uv run python bench/bench_certificate_a4.py [--runs N]
Uses a private temp folder (demo records, register, signing key) and its own cupsd; prints one
figure per line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from onevisit.core.config import load_config
from onevisit.devices.documents import open_document_printer
from onevisit.records.a4 import render_a4_pdf
from onevisit.records.certificate import build_certificate
from onevisit.records.documents import wait_final
from onevisit.sim.cups import PrivateCups
from onevisit.sim.records.demo_backend import demo_id, open_backend, seed_demo

REPO = Path(__file__).resolve().parent.parent


def timed(config, backend, who, choice, now, runs: int) -> tuple[list[float], list[float], bytes]:
    builds, renders, pdf = [], [], b""
    for _ in range(runs):
        t0 = time.perf_counter()
        cert = build_certificate(config, backend, who, choice, now)
        t1 = time.perf_counter()
        pdf = render_a4_pdf(cert, config.hall.timezone)
        t2 = time.perf_counter()
        builds.append((t1 - t0) * 1000)
        renders.append((t2 - t1) * 1000)
    return builds, renders, pdf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    now = dt.datetime(2026, 11, 23, 9, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(REPO / "config.toml", Path(tmp) / "config.toml")
        config = load_config(Path(tmp) / "config.toml")
        seed_demo(config.path(config.records.database), now.date())
        backend = open_backend(config)
        gap, full = demo_id("gap", now.date()), demo_id("long_history", now.date())
        render_a4_pdf(build_certificate(config, backend, gap, "36", now))  # key, fonts loaded untimed
        pdfs = {}
        for label, who, choice, runs in (
            ("36 months (李秀英)", gap, "36", args.runs),
            ("all, 张建国", full, "all", 3),
        ):
            builds, renders, pdf = timed(config, backend, who, choice, now, runs)
            pdfs[label] = pdf
            print(f"{label}, {runs} runs")
            print(f"  build (query + number + sign): median {statistics.median(builds):.1f} ms")
            print(
                f"  render A4 PDF:                 median {statistics.median(renders):.0f} ms, max {max(renders):.0f} ms"
            )
            print(
                f"  PDF: {len(pdf):,} bytes, {pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages')} pages"
            )
        with PrivateCups(output_dir=Path(tmp) / "printed") as cups:
            printer = open_document_printer(cups.pdf_queue_url)
            print(f"private cupsd ready in {cups.startup_seconds:.2f} s")
            plain = FPDF(format="A4")
            plain.set_font("helvetica", size=20)
            for n in range(2):
                plain.add_page()
                plain.cell(text=f"baseline page {n + 1}")
            pdfs = {"baseline: 2 pages of Helvetica, no CJK font": bytes(plain.output()), **pdfs}
            for label, pdf in pdfs.items():
                times = []
                for n in range(3 if label.startswith("all") else args.runs):
                    t0 = time.perf_counter()
                    job = wait_final(printer, printer.submit(pdf, f"bench-{n}"), timeout=120, poll=0.02)
                    times.append(time.perf_counter() - t0)
                    assert job.state == "completed", job
                print(
                    f"打印 → CUPS completed, {label}: median {statistics.median(times):.2f} s, max {max(times):.2f} s ({len(times)} jobs)"
                )


if __name__ == "__main__":
    main()
