# ruff: noqa: I001  (runs on commit 8d60432, whose onevisit.db.sqlite this checkout no longer has)
"""Make legacy-8d60432.db: a hall database as OneVisit made it before the database layer.

Runs on the OLD code (commit 8d60432, the last main before onevisit/db/schema.py), never on this
checkout's (the import paths below are the old ones). From a checkout of 8d60432:

    uv run --frozen onevisit simulate --visits 150 --seed 3 --keep DAY
    uv run --frozen python PATH/TO/make_legacy_db.py DAY/hall.db DAY/certificates.db

It adds what the simulated day leaves empty: accounts, kiosks, a session, a login failure,
appointments, device states and events, kiosk heartbeats and commands, 到号提醒 subscriptions and
their outbox, a pending rating prompt, the event hub's cursor, and a certificates register. Then
VACUUM (the file is committed; < 1 MB).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import sys
from zoneinfo import ZoneInfo

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config
from onevisit.db.sqlite import HallDatabase
from onevisit.hall.stores.accounts import AccountStore, AuthError
from onevisit.hall.stores.appointments import AppointmentStore
from onevisit.hall.stores.devices import DeviceStore
from onevisit.hall.stores.notices import NoticeStore
from onevisit.hall.stores.ratings import RatingStore
from onevisit.records.register import CertificateRegister

# Synthetic ID numbers with valid check digits (GB 11643); nobody's.
IDS = ["11010519491231002X", "110105195003150035", "440524188001010014"]


def main(hall_path: str, register_path: str) -> None:
    config = load_config(None)
    zone = ZoneInfo(config.hall.timezone)
    clock = FixedClock(dt.datetime(2026, 11, 23, 8, 30, tzinfo=zone))
    db = HallDatabase(hall_path)
    accounts = AccountStore(db, config, clock)
    accounts.add_user("zhang", "staff", "pw-zhang-123456", window=1)
    accounts.add_user("Li", "supervisor", "pw-li-123456")
    accounts.add_user("wang", "technician", "pw-wang-123456")
    accounts.add_kiosk("kiosk-1")
    accounts.add_kiosk("kiosk-2")
    accounts.login("zhang", "pw-zhang-123456", "10.0.0.5")
    with contextlib.suppress(AuthError):  # a failed login: what hall_login_failures records
        accounts.login("Li", "wrong password", "10.0.0.6")
    appointments = AppointmentStore(db, config, clock, b"k" * 32)
    slot = dt.datetime(2026, 11, 24, 9, 30, tzinfo=zone)
    first = appointments.book(IDS[0], ["benefit"], slot, "Li")
    appointments.book(IDS[1], ["card", "medical"], slot + dt.timedelta(minutes=30), "Li")
    appointments.cancel(first.id, "Li")
    devices = DeviceStore(db, clock)
    devices.report("printer-1", kind="printer", owner="kiosk-1", label="打印机", state="ok")
    clock.advance(60)
    devices.report(
        "printer-1",
        kind="printer",
        owner="kiosk-1",
        label="打印机",
        state="error",
        code="paper_out",
        detail="缺纸",
    )
    devices.note("printer-1", "换纸", actor="wang")
    devices.heartbeat(
        "kiosk-1",
        address="10.0.0.21",
        version="0.9",
        started_at=clock.now().isoformat(),
        last_error=None,
        last_error_at=None,
    )
    command = devices.add_command("kiosk-1", "restart", "wang")
    devices.take_commands("kiosk-1")
    devices.finish_command("kiosk-1", command, True, "restarted")
    devices.add_command("kiosk-2", "restart", "wang")
    notices = NoticeStore(db, clock, b"n" * 32)
    day = "2026-11-23"
    sub = notices.subscribe(day, "A001", "sms", "13800138000", "kiosk")
    notices.subscribe(day, "A002", "sms", "13900139000", "kiosk")
    notices.enqueue(sub, 1, "called", {"number": "A001", "window": "1"})
    ratings = RatingStore(db, clock)
    ratings.prompt_finished(9, 999999, day, "A099", "records_query")
    db.script("CREATE TABLE IF NOT EXISTS hall_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    with db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO hall_meta (key, value) VALUES ('listener_cursor', '500')")
    db.close()

    register = CertificateRegister(register_path)
    for n in range(3):
        when = clock.now() + dt.timedelta(minutes=n)
        register.set_status(register.reserve_serial("SB", when), "printed" if n else "reserved")

    for path in (hall_path, register_path):
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("VACUUM")
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
