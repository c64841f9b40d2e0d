"""The region's database: halls and their tokens, incarnations, shipped rows, each hall's contact.

Every write runs in `Database.transaction()` (on PostgreSQL the region's advisory lock), so a
batch is all or nothing and two shippers of one hall never interleave half batches. Shipped rows
are inserted with ON CONFLICT (hall, incarnation, id) DO NOTHING: a repeated, replayed or
out-of-order batch changes nothing, which is why the shipper keeps no cursor.

Incarnations: a hall's rows are keyed by the hall database's epoch (db/epoch.py). When the shipper
finds that its database is not the one the region has been receiving (restored by a file copy that
kept the epoch), the region supersedes that incarnation and the epoch's next generation
(`EPOCH~2`, `EPOCH~3`…) receives the restored database's rows from id 1. Superseded rows stay for
audit and are left out of every figure.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from onevisit.core.clock import Clock
from onevisit.core.errors import OneVisitError
from onevisit.db import Database, Tx, open_database, schema
from onevisit.db.database import schema_name
from onevisit.hall.stores.accounts import token_hash
from onevisit.region.wire import COLUMNS, STREAMS, row_digest

log = logging.getLogger(__name__)

REGION_TABLE = {stream: getattr(schema, region) for stream, (_, region) in STREAMS.items()}
#: Two hall databases shipping under one code (a config copied to set up a new hall, token and
#: all) show as contacts that alternate between incarnations: X, Y, X within this window (seconds).
#: A hall that moved to a new database once (reinstalled, restored) switches once: no alarm.
TWIN_WINDOW_SECONDS = 900.0
#: the region's own name for the database's write lock and PostgreSQL schema
REGION_CODE = "REGION"


class RegionError(OneVisitError):
    pass


class HallExists(RegionError):
    status = 409

    def __init__(self, code: str) -> None:
        super().__init__(
            "hall_exists", f"大厅 {code} 已登记", f"Hall {code} is already registered", hall=code
        )


class BadHallCode(RegionError):
    status = 422

    def __init__(self, code: str) -> None:
        super().__init__(
            "bad_hall_code",
            f"大厅编号 {code} 无效：只能用字母、数字和下划线（1–40 个），与大厅 config.toml 的 [hall] code 相同",
            f"Hall code {code!r} is not valid: 1–40 letters, digits or _, exactly the hall's [hall] code",
            hall=code,
        )


class UserExists(RegionError):
    status = 409

    def __init__(self, name: str) -> None:
        super().__init__("user_exists", f"用户 {name} 已存在", f"User {name} already exists", user=name)


class IncarnationSuperseded(RegionError):
    """A batch for an incarnation the region has superseded: the shipper asks for its mark again."""

    status = 409

    def __init__(self, hall: str, incarnation: str) -> None:
        super().__init__(
            "incarnation_superseded",
            "该大厅数据库已被替换（从备份恢复），请重新获取进度",
            f"Incarnation {incarnation} of hall {hall} was superseded (restored database): ask for the mark again",
            hall=hall,
            incarnation=incarnation,
        )


def new_token() -> str:
    """A bearer token: `ovr_` and 32 random bytes, URL-safe (the prefix keeps a token that would
    start with "-" from reading as an option on a command line); only its sha256 is stored."""
    return "ovr_" + secrets.token_urlsafe(32)


def _generation(incarnation: str) -> int:
    _, _, gen = incarnation.partition("~")
    return int(gen) if gen.isdigit() else 1


class RegionStore:
    """The region's rows. `clock` gives the region's own time (received_at, data age, skew)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # hall -> times its contacts switched incarnation, and the incarnation of its last contact.
        # Kept in memory: the alarm is about the last minutes, and is seen again after a restart.
        self._switches: dict[str, list[float]] = {}
        self._last_incarnation: dict[str, str] = {}

    @classmethod
    def open(cls, target: str, clock: Clock) -> RegionStore:
        """Open (and make when new) the region database at a postgresql:// URL or a file path."""
        return cls(open_database(target, hall_code=REGION_CODE, kind="region"), clock)

    def close(self) -> None:
        self.db.dispose()

    def _now(self) -> dt.datetime:
        return self.clock.now()

    def _hall_transaction(self, hall: str):
        """A write transaction serialised per hall, not per region: shipped rows, marks and
        incarnations are keyed by hall, so halls' batches go in side by side on PostgreSQL."""
        return self.db.transaction(key=f"hall/{hall}")

    def _stamp(self) -> str:
        return self._now().isoformat(timespec="milliseconds")

    # -- halls and users -------------------------------------------------------------------------
    def add_hall(self, code: str, name: str | None = None) -> str:
        """Register a hall; returns its ingest token (shown once, only its hash is kept).
        Raises BadHallCode (not a code a hall's config accepts: 1–40 letters, digits or _) and
        HallExists (also for the same code in another case: `SZ01` and `sz01` are one hall, as its
        PostgreSQL schema `hall_sz01` is, onevisit/db/database.py `schema_name`)."""
        try:
            schema_name(code)
        except ValueError:
            raise BadHallCode(code) from None
        token = new_token()
        with self.db.transaction() as tx:
            same = tx.one("SELECT code FROM region_halls WHERE lower(code) = lower(?)", code)
            if same:
                raise HallExists(same["code"])
            tx.insert(
                schema.region_halls,
                {
                    "code": code,
                    "name": name or code,
                    "token_hash": token_hash(token),
                    "created_at": self._stamp(),
                },
            )
        log.info("hall %s registered", code)
        return token

    def add_user(self, name: str, role: str = "supervisor") -> str:
        """A region user (supervisor: city figures; staff: central bookings); returns the token."""
        token = new_token()
        with self.db.transaction() as tx:
            if tx.one("SELECT name FROM region_users WHERE name = ?", name):
                raise UserExists(name)
            tx.insert(
                schema.region_users,
                {"name": name, "role": role, "token_hash": token_hash(token), "created_at": self._stamp()},
            )
        return token

    def hall_of_token(self, token: str) -> str | None:
        rows = self.db.query(
            "SELECT code FROM region_halls WHERE token_hash = ? AND disabled = 0", token_hash(token)
        )
        return str(rows[0]["code"]) if rows else None

    def user_of_token(self, token: str) -> tuple[str, str] | None:
        rows = self.db.query(
            "SELECT name, role FROM region_users WHERE token_hash = ? AND disabled = 0", token_hash(token)
        )
        return (str(rows[0]["name"]), str(rows[0]["role"])) if rows else None

    def halls(self) -> list[dict[str, Any]]:
        return self.db.query(
            """SELECT h.code, h.name, s.incarnation, s.last_seen, s.last_seen_ts, s.clock_skew_s
               FROM region_halls h LEFT JOIN region_hall_status s ON s.hall = h.code
               WHERE h.disabled = 0 ORDER BY h.code"""
        )

    # -- contact and clock skew ------------------------------------------------------------------
    def twin_databases(self, hall: str) -> bool:
        """Whether two databases have been shipping as this hall lately (TWIN_WINDOW_SECONDS): its
        contacts switched incarnation twice or more, X → Y → X. Their rows are kept apart (each
        incarnation its own) but both count in the figures until one is stopped: an alarm."""
        since = self._now().timestamp() - TWIN_WINDOW_SECONDS
        return len([t for t in self._switches.get(hall, []) if t >= since]) >= 2

    def _note_incarnation(self, hall: str, incarnation: str, now: float) -> None:
        previous = self._last_incarnation.get(hall)
        self._last_incarnation[hall] = incarnation
        if previous is not None and previous != incarnation:
            recent = [t for t in self._switches.get(hall, []) if t >= now - TWIN_WINDOW_SECONDS]
            self._switches[hall] = [*recent, now]
            if len(self._switches[hall]) >= 2:
                log.warning(
                    "hall %s: two databases ship under its code (%s and %s)", hall, previous, incarnation
                )

    def _contact(
        self, tx: Tx, hall: str, incarnation: str | None, hall_time: float | None, rtt: float
    ) -> float | None:
        """Record the hall's contact; returns the clock skew measured (region − hall, seconds)."""
        now = self._now()
        if incarnation is not None:
            self._note_incarnation(hall, incarnation, now.timestamp())
        skew = None
        if hall_time is not None:
            # The hall stamped its time when the request left; it arrived about half a round trip
            # later. Order never comes from this: it is shown and alarmed, nothing more.
            skew = round(now.timestamp() - hall_time - rtt / 2, 3)
        tx.upsert(
            schema.region_hall_status,
            {
                "hall": hall,
                "incarnation": incarnation,
                "last_seen": now.isoformat(timespec="milliseconds"),
                "last_seen_ts": now.timestamp(),
                "clock_skew_s": skew,
            },
            ["hall"],
        )
        return skew

    # -- incarnations and marks ------------------------------------------------------------------
    def _incarnations(self, tx: Tx, hall: str) -> list[dict[str, Any]]:
        return tx.all(
            "SELECT incarnation, first_seen, superseded_at, superseded_reason FROM region_incarnations "
            "WHERE hall = ? ORDER BY first_seen, incarnation",
            hall,
        )

    def _current(self, tx: Tx, hall: str, epoch: str) -> str:
        """The live incarnation of this epoch, registered when new: the epoch itself, or its next
        generation when every earlier one was superseded."""
        lineage = [
            r
            for r in self._incarnations(tx, hall)
            if r["incarnation"] == epoch or r["incarnation"].startswith(epoch + "~")
        ]
        lineage.sort(key=lambda r: _generation(r["incarnation"]))
        if lineage and lineage[-1]["superseded_at"] is None:
            return str(lineage[-1]["incarnation"])
        name = f"{epoch}~{_generation(lineage[-1]['incarnation']) + 1}" if lineage else epoch
        tx.insert(
            schema.region_incarnations, {"hall": hall, "incarnation": name, "first_seen": self._stamp()}
        )
        return name

    def _mark(self, tx: Tx, hall: str, incarnation: str, stream: str) -> dict[str, Any]:
        """The highest id below which the region holds every row of the incarnation (a batch that
        arrived ahead of an earlier one leaves a gap: the mark stays below it, so the gap is sent
        again), and the digest of the row at it."""
        table = REGION_TABLE[stream].name
        stats = tx.one(
            f"SELECT count(*) AS n, max(id) AS top, min(id) AS low FROM {table} WHERE hall = ? AND incarnation = ?",
            hall,
            incarnation,
        )
        if not stats or not stats["n"] or int(stats["low"]) != 1:
            return {"id": 0, "digest": None}
        top = int(stats["top"])
        if int(stats["n"]) != top:  # a gap: the end of the first run from id 1
            top = int(
                tx.scalar(
                    f"""SELECT min(a.id) FROM {table} a WHERE a.hall = ? AND a.incarnation = ?
                        AND NOT EXISTS (SELECT 1 FROM {table} b WHERE b.hall = a.hall
                                        AND b.incarnation = a.incarnation AND b.id = a.id + 1)""",
                    hall,
                    incarnation,
                )
            )
        return {"id": top, "digest": self._digest_at(tx, hall, incarnation, stream, top)}

    def _digest_at(self, tx: Tx, hall: str, incarnation: str, stream: str, row_id: int) -> str | None:
        table = REGION_TABLE[stream]
        row = tx.one(
            select(*[table.c[c] for c in COLUMNS[stream]]).where(
                table.c.hall == hall, table.c.incarnation == incarnation, table.c.id == row_id
            )
        )
        return row_digest(stream, row) if row else None

    def mark(
        self, hall: str, epoch: str, *, hall_time: float | None = None, rtt: float = 0.0
    ) -> dict[str, Any]:
        """How far the region has this hall's live incarnation of `epoch`:
        {"incarnation", "streams": {stream: {"id": highest id, "digest": of that row or None}},
         "previous": [{"incarnation", "events_max", "first_digest"}] (the hall's other live
         incarnations, so a database restored under a new epoch can supersede the one it replaces)}.
        """
        with self._hall_transaction(hall) as tx:
            incarnation = self._current(tx, hall, epoch)
            skew = self._contact(tx, hall, incarnation, hall_time, rtt)
            streams = {s: self._mark(tx, hall, incarnation, s) for s in STREAMS}
            previous = []
            for r in self._incarnations(tx, hall):
                name = r["incarnation"]
                if r["superseded_at"] is None and name != incarnation:
                    previous.append(
                        {
                            "incarnation": name,
                            "events_max": self._mark(tx, hall, name, "events")["id"],
                            "first_digest": self._digest_at(tx, hall, name, "events", 1),
                        }
                    )
        return {"incarnation": incarnation, "streams": streams, "previous": previous, "clock_skew_s": skew}

    def supersede(self, hall: str, incarnation: str, reason: str) -> bool:
        """Leave an incarnation's rows out of the figures from now on (kept for audit). True when
        it was live."""
        with self._hall_transaction(hall) as tx:
            row = tx.one(
                "SELECT superseded_at FROM region_incarnations WHERE hall = ? AND incarnation = ?",
                hall,
                incarnation,
            )
            if row is None or row["superseded_at"] is not None:
                return False
            tx.execute(
                "UPDATE region_incarnations SET superseded_at = ?, superseded_reason = ? "
                "WHERE hall = ? AND incarnation = ?",
                self._stamp(),
                reason[:500],
                hall,
                incarnation,
            )
        log.warning("hall %s: incarnation %s superseded (%s)", hall, incarnation, reason)
        return True

    # -- ingest ----------------------------------------------------------------------------------
    def ingest(
        self,
        hall: str,
        incarnation: str,
        rows: dict[str, list[dict[str, Any]]],
        *,
        hall_time: float | None = None,
        rtt: float = 0.0,
    ) -> dict[str, Any]:
        """Store one batch in one transaction: {stream: [row, …]} with the hall's columns.
        Rows already held are skipped. Returns {"inserted": {stream: n}, "duplicates": n,
        "clock_skew_s"}. Raises IncarnationSuperseded for a superseded incarnation."""
        received = self._stamp()
        inserted: dict[str, int] = {}
        duplicates = 0
        with self._hall_transaction(hall) as tx:
            state = tx.one(
                "SELECT superseded_at FROM region_incarnations WHERE hall = ? AND incarnation = ?",
                hall,
                incarnation,
            )
            if state is None or state["superseded_at"] is not None:
                # an unknown incarnation was never handed out by `mark`: the same answer, ask again
                raise IncarnationSuperseded(hall, incarnation)
            for stream, batch in rows.items():
                table = REGION_TABLE[stream]
                ids = [int(r["id"]) for r in batch]
                held: set[int] = set()
                if ids:
                    held = {
                        int(r["id"])
                        for r in tx.all(
                            select(table.c.id).where(
                                table.c.hall == hall,
                                table.c.incarnation == incarnation,
                                table.c.id.between(min(ids), max(ids)),
                            )
                        )
                    }
                fresh: dict[int, dict[str, Any]] = {}
                for r in batch:
                    if int(r["id"]) not in held:
                        fresh[int(r["id"])] = {
                            **{c: r.get(c) for c in COLUMNS[stream]},
                            "hall": hall,
                            "incarnation": incarnation,
                            "received_at": received,
                        }
                duplicates += len(batch) - len(fresh)
                if fresh:
                    self._insert_new(tx, table, list(fresh.values()))
                inserted[stream] = len(fresh)
            skew = self._contact(tx, hall, incarnation, hall_time, rtt)
        return {"inserted": inserted, "duplicates": duplicates, "clock_skew_s": skew}

    def _insert_new(self, tx: Tx, table: Table, rows: list[dict[str, Any]]) -> None:
        # ON CONFLICT DO NOTHING even after the check: the key, not the check, is the guarantee.
        dialect = pg_dialect if tx.postgres else sqlite_dialect
        stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=["hall", "incarnation", "id"])
        tx.execute(stmt, rows)

    # -- reading shipped rows --------------------------------------------------------------------
    def live_incarnations(self, hall: str | None = None) -> list[tuple[str, str]]:
        sql = "SELECT hall, incarnation FROM region_incarnations WHERE superseded_at IS NULL"
        rows = self.db.query(
            sql + (" AND hall = ?" if hall else "") + " ORDER BY hall, first_seen", *([hall] if hall else [])
        )
        return [(str(r["hall"]), str(r["incarnation"])) for r in rows]

    def day_stamp(self, hall: str, incarnation: str, day: str) -> tuple[tuple[int, int], ...]:
        """(count, highest id) of each stream's rows of one incarnation's day, in one snapshot: what
        the figures of that day depend on (shipped rows are never changed, only added)."""
        with self.db.reading() as tx:
            out = []
            for stream in STREAMS:
                row = tx.one(
                    f"SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM {REGION_TABLE[stream].name} "
                    "WHERE day = ? AND hall = ? AND incarnation = ?",
                    day,
                    hall,
                    incarnation,
                )
                out.append((int(row["n"]), int(row["top"])) if row else (0, 0))
        return tuple(out)

    def rows(self, stream: str, hall: str, incarnation: str, day: str | None = None) -> list[dict[str, Any]]:
        """A stream's shipped rows of one incarnation (a day's, or all), in id order, with the
        hall's columns only."""
        table = REGION_TABLE[stream]
        query = select(*[table.c[c] for c in COLUMNS[stream]]).where(
            table.c.hall == hall, table.c.incarnation == incarnation
        )
        if day is not None:
            query = query.where(table.c.day == day)
        return self.db.query(query.order_by(table.c.id))
