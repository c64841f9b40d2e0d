"""Start-up time of the command line: `onevisit --help` and `onevisit queue status`.

Each command runs 10 times after one warm-up run (bytecode compiled, files in the page cache); the
median wall time is printed in seconds. Target (issue "One layout by role"): `--help` ≤ 0.3 s.

    uv run python bench/bench_cli.py [--exe PATH_TO_onevisit] [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def wall(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    subprocess.run(cmd, env=env, capture_output=True, check=False)  # warm-up: bytecode, page cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", default=shutil.which("onevisit") or str(REPO / ".venv" / "bin" / "onevisit"))
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onevisit-bench-cli-") as tmp:
        env = dict(os.environ)
        db = str(Path(tmp) / "hall.db")
        commands = {
            "onevisit --help": [args.exe, "--help"],
            "onevisit queue status": [args.exe, "queue", "status", "--db", db],
        }
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; median of {args.runs} runs, seconds")
        for name, cmd in commands.items():
            times = wall(cmd, env, args.runs)
            print(
                f"{name:28s} median {statistics.median(times):.3f}  min {min(times):.3f}  max {max(times):.3f}"
            )


if __name__ == "__main__":
    main()
