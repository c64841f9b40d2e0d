"""A hall database restored from a mid-day backup: the region notices, keeps the old rows for audit
out of the figures, and the city's figures for that hall equal the restored hall's own."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import sqlite3

import pytest

from onevisit.db import open_database
from onevisit.db.backup import online_backup
from onevisit.queue.errors import QueueError
from onevisit.region.figures import hall_figures
from onevisit.region.source import HallSource
from onevisit.region.wire import STREAMS
from onevisit.stats.figures import compute
from onevisit.stats.rows import load_day

DAY = dt.date(2026, 11, 23)


def work(hall, count: int, minutes: float) -> None:
    service = hall.service()
    try:
        matters = [m.code for m in hall.config.matters]
        for i in range(count):
            hall.clock.advance(minutes * 60 / count)
            service.issue([matters[(i * 7) % len(matters)]], actor="kiosk:k1")
        for window in hall.config.windows[:3]:
            with contextlib.suppress(QueueError):
                service.call_next(window.number, "staff:test")
    finally:
        service.close()


def restore(hall, backup) -> None:
    """Put the backup in place of the hall database, as a technician would with the hall stopped."""
    hall.db.dispose()
    for suffix in ("-wal", "-shm"):
        hall.path.with_name(hall.path.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, hall.path)
    hall.db = open_database(hall.path, hall_code=hall.code)


@pytest.mark.parametrize("how", ["file copy", "onevisit backup"])
def test_region_restored_hall_detected(region, make_hall, tmp_path, how):
    hall = make_hall(0, visits=60)
    backup = tmp_path / "midday.db"
    if how == "file copy":  # keeps the epoch: only the rows can tell
        src, dst = sqlite3.connect(hall.path), sqlite3.connect(backup)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
    else:  # `onevisit backup`: the copy takes a new epoch when the hall opens it
        online_backup(hall.path, backup)
    work(hall, 15, minutes=90)  # the afternoon, shipped, then lost with the disk
    shipper = hall.shipper()
    first = shipper.ship_once()
    old = first.incarnation
    restore(hall, backup)
    # the hall reopens its restored database (a new epoch for a marked copy) and goes on working:
    # its new rows take ids the lost afternoon had, with other content
    work(hall, 5, minutes=20)
    shipper = hall.shipper()
    report = shipper.ship_once()
    assert report.superseded == [old]
    assert report.incarnation != old
    live = region.store.live_incarnations(hall.code)
    assert [i for _, i in live] == [report.incarnation]
    # the lost afternoon stays at the region for audit, out of the figures
    audit = region.store.rows("events", hall.code, old)
    assert len(audit) == first.sent["events"]
    for stream in STREAMS:
        assert region.store.rows(stream, hall.code, report.incarnation) == HallSource(hall.db).rows_above(
            stream, 0, 10**9
        )
    own = compute(load_day(hall.path, DAY.isoformat()))
    city = hall_figures(region.store, hall.code, DAY.isoformat())
    assert city.figures.to_dict() == {**own.hall.to_dict(), "key": hall.code, "label": hall.code}
    # shipping again finds the region in step: nothing superseded, nothing sent
    again = hall.shipper().ship_once()
    assert again.superseded == [] and sum(again.sent.values()) == 0
