"""PostgreSQL LISTEN for a hall's events: wakes the hall server when any process commits one.

Every event a transaction appends sends `NOTIFY onevisit_hall_<code>` (QueueTx.append_event), which
PostgreSQL delivers at commit, only if the transaction commits, to every listening connection. The
listener runs on its own thread and connection (autocommit, as LISTEN needs) and calls `wake()`
for each notification; the hub then reads the events table as before, so a lost notification costs
latency, never an event. After a dropped connection it reconnects with backoff and wakes once, in
case something was committed while it was away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from onevisit.db.database import Database

log = logging.getLogger(__name__)

#: How long one wait for notifications lasts (seconds): how soon stop() is noticed.
WAIT_SECONDS = 1.0
#: Reconnect backoff after a failed connection: first and longest wait (seconds).
RETRY_FIRST, RETRY_MAX = 0.5, 10.0


def libpq_url(database: Database) -> str:
    """The database's URL in libpq's form (psycopg.connect, pg_dump), password included."""
    url = make_url(database.engine.url.render_as_string(hide_password=False))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class EventListener:
    """LISTEN on the hall's channel and call `wake()` (from the listener's thread) on each NOTIFY."""

    def __init__(self, database: Database, wake: Callable[[], None]) -> None:
        if not database.postgres:
            raise ValueError("LISTEN/NOTIFY needs PostgreSQL")
        self.database = database
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen-{database.channel}", daemon=True)
        #: set once the first LISTEN is in place: from then on no commit goes unnoticed
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.listening.is_set():
            # Wake the wait at once rather than at its timeout: a hall server stops in milliseconds.
            try:
                with self.database.engine.connect() as conn, conn.begin():
                    conn.exec_driver_sql("SELECT pg_notify(%s, 'stop')", (self.database.channel,))
            except Exception as exc:  # the database is gone: the wait ends at its timeout anyway
                log.debug("event listener: no stop notice sent (%s)", exc)
        self._thread.join(timeout=WAIT_SECONDS + 5)

    def _run(self) -> None:
        delay = RETRY_FIRST
        while not self._stop.is_set():
            try:
                with psycopg.connect(libpq_url(self.database), autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self.database.channel}"')
                    self.listening.set()
                    delay = RETRY_FIRST
                    self.wake()  # whatever was committed while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=WAIT_SECONDS, stop_after=1):
                            if not self._stop.is_set():
                                self.wake()
            except psycopg.Error as exc:
                log.warning("event listener: %s; reconnecting in %.1f s", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX)
