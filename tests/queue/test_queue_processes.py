"""Several processes share one hall database: numbers stay unique and gapless, crashes leave nothing half-done."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from onevisit.queue import QueueService
from onevisit.queue.replay import differences, rebuild, snapshot
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _issue_many(config, db_path, start, count, out):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from onevisit.core.clock import FixedClock

    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    service = QueueService.open(config, db_path=db_path, clock=clock)
    start.wait(30)
    numbers = [
        service.issue(["enroll"], idempotency_key=f"{os.getpid()}-{i}").ticket.number for i in range(count)
    ]
    out.put(numbers)


def test_concurrent_processes_never_duplicate_or_skip_a_number(hall_config, db_target):
    db = db_target
    QueueService.open(hall_config, db_path=db).close()  # schema and windows first
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_issue_many, args=(hall_config, db, start, 40, out)) for _ in range(4)]
    for w in workers:
        w.start()
    start.set()
    got = [n for _ in workers for n in out.get(timeout=120)]
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert sorted(got) == [f"A{i:03d}" for i in range(1, 161)]


CRASHER = textwrap.dedent(
    """
    import sys
    from onevisit.core.config import load_config
    from onevisit.queue import QueueService
    from onevisit.queue.store import QueueTx as Tx

    import datetime as dt
    from pathlib import Path
    from zoneinfo import ZoneInfo
    from onevisit.core.clock import FixedClock

    config = load_config(sys.argv[1]).model_copy(update={"base_dir": Path(sys.argv[3])})
    config = config.model_copy(update={"hall": config.hall.model_copy(update={"code": sys.argv[4]})})
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    service = QueueService.open(config, db_path=sys.argv[2], clock=clock)
    original = Tx.append_event

    def append_then_hang(self, **kwargs):
        original(self, **kwargs)          # the ticket, its steps and its event are written ...
        print("inside", flush=True)       # ... but not committed when the parent kills us
        sys.stdin.readline()

    Tx.append_event = append_then_hang
    service.issue(["enroll", "benefit"], idempotency_key="crash-1")
    """
)


def test_process_killed_mid_transaction_leaves_no_half_written_ticket(
    hall_config, clock, db_target, tmp_path
):
    db = db_target
    config_path = REPO / "config.toml"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER, str(config_path), str(db), str(tmp_path), hall_config.hall.code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "inside"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)

    service = QueueService.open(hall_config, db_path=db, clock=clock)
    assert snapshot(service.store)["tickets"] == {}
    assert service.events_since(0) == []
    # The number the dead process had taken is free again: no gap in the day's sequence.
    retried = service.issue(["enroll", "benefit"], idempotency_key="crash-1")
    assert retried.created and retried.ticket.number == "A001"
    assert differences(rebuild(hall_config, service.events_since(0)), snapshot(service.store)) == []
