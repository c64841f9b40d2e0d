"""`onevisit ship` as a real process: killed with SIGKILL in the middle of a batch, started again,
and the region ends with each row once; `--once` exits non-zero when the region is unreachable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from onevisit.region.source import HallSource
from onevisit.region.wire import STREAMS
from onevisit.sim.tcp_proxy import TcpProxy

REPO = Path(__file__).resolve().parents[2]


def ship_command(tmp_path: Path, hall, url: str, *extra: str) -> list[str]:
    """`onevisit ship` for this hall with a config of its own: the repository's with the hall's code,
    small batches."""
    config = tmp_path / "ship-config.toml"
    if not config.exists():
        # the hall's own code: the region refuses a hall that ships with another hall's token
        text = (
            (REPO / "config.toml")
            .read_text(encoding="utf-8")
            .replace('code = "SZ01"', f'code = "{hall.code}"')
        )
        config.write_text(text + "\n[region]\nbatch_size = 15\npoll_seconds = 0.2\n", encoding="utf-8")
    return [
        sys.executable, "-m", "onevisit.commands.main", "--config", str(config), "ship",
        "--db", str(hall.path), "--region", url, f"--token={hall.token}", *extra,
    ]  # fmt: skip


def test_region_shipper_killed_mid_batch(region, make_hall, tmp_path):
    hall = make_hall(0, visits=70)
    batches = {"seen": 0}
    third = threading.Event()

    def watch(data: bytes) -> None:
        if data.startswith(b"POST /api/ingest/batch"):
            batches["seen"] += 1
            if batches["seen"] == 3:
                third.set()

    with TcpProxy(region.server.host, region.server.port, on_client_data=watch) as proxy:
        shipper = subprocess.Popen(
            ship_command(tmp_path, hall, proxy.url),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert third.wait(60), (
                shipper.stderr.read().decode() if shipper.poll() is not None else "no batch"
            )
            os.kill(shipper.pid, signal.SIGKILL)  # with the third batch on the wire
        finally:
            shipper.wait(10)
        assert shipper.returncode == -signal.SIGKILL
        held = region.store.db.query("SELECT count(*) AS n FROM region_events")[0]["n"]
        source = HallSource(hall.db)
        assert 0 < held < source.max_id("events")  # really stopped mid-way

        done = subprocess.run(
            ship_command(tmp_path, hall, proxy.url, "--once"), cwd=tmp_path, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()
        report = json.loads(done.stdout)
        # it went on from the region's mark: only what the region lacked went in, nothing twice. The
        # batch on the wire at the kill may have been committed after `held` was read: at most one
        # batch (15 rows) fewer to send.
        assert 0 <= (source.max_id("events") - held) - report["inserted"]["events"] <= 15
        assert report["sent"]["events"] == report["inserted"]["events"]
    (incarnation,) = [i for _, i in region.store.live_incarnations(hall.code)]
    for stream in STREAMS:
        assert region.store.rows(stream, hall.code, incarnation) == source.rows_above(stream, 0, 10**9)


def test_region_ship_once_unreachable_exits_non_zero(region, make_hall, tmp_path):
    hall = make_hall(0, visits=5)
    hall.proxy.cut()
    done = subprocess.run(
        ship_command(tmp_path, hall, hall.proxy.url, "--once"), cwd=tmp_path, capture_output=True, timeout=60
    )
    assert done.returncode != 0
    err = done.stderr.decode()
    assert "region_unreachable" in err and "无法连接市级平台" in err
    assert region.store.db.query("SELECT count(*) AS n FROM region_events")[0]["n"] == 0
