"""What the hall knows about its devices: each one's state and since when, its state changes, the
kiosks' heartbeats, and the commands waiting for a kiosk to pick up. Tables of their own in the
hall database; nothing here ever holds a citizen's data (texts are redacted on the way in).

A device is named by a path: `kiosk:kiosk-1` (the kiosk's link to the hall), `kiosk:kiosk-1/printer`,
`kiosk:kiosk-1/camera`, `kiosk:kiosk-1/card_reader`, `boards:link`, `board:3`, `voice`.
States: ok, warning (works, needs attention soon), error (cannot do its job), offline (does not
answer), silent (a kiosk that stopped sending heartbeats), unknown (not heard from yet), missing
(not fitted at this kiosk).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from onevisit.core.clock import Clock
from onevisit.core.logs import redact
from onevisit.db import Database, Tx, schema

log = logging.getLogger(__name__)

STATES = ("ok", "warning", "error", "offline", "silent", "unknown", "missing")
BAD_STATES = ("warning", "error", "offline", "silent")
REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class DeviceState:
    device: str
    kind: str
    owner: str
    label: str
    state: str
    code: str | None
    detail: str
    since: dt.datetime
    updated: dt.datetime
    info: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": self.kind,
            "owner": self.owner,
            "label": self.label,
            "state": self.state,
            "code": self.code,
            "detail": self.detail,
            "since": self.since.isoformat(timespec="seconds"),
            "updated": self.updated.isoformat(timespec="seconds"),
            "info": self.info,
        }


class DeviceStore:
    def __init__(self, db: Database, clock: Clock, *, keep_days: int = 90) -> None:
        self.db = db
        self.clock = clock
        self.keep_days = keep_days
        self._inserts = 0
        # What each device last reported: an unchanged reading every few seconds touches no disk
        # (the hall database syncs every commit) until REFRESH_SECONDS have passed.
        self._last: dict[str, tuple[tuple, float]] = {}

    def _ts(self) -> float:
        return self.clock.now().timestamp()

    def _time(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, self.clock.now().tzinfo)

    # -- states -------------------------------------------------------------------------------
    def report(
        self,
        device: str,
        *,
        kind: str,
        owner: str,
        label: str,
        state: str,
        code: str | None = None,
        detail: str = "",
        info: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> bool:
        """Record a device's current state; True when it changed (state or code), which also
        appends a device event and a log line."""
        if state not in STATES:
            raise ValueError(f"unknown device state {state!r}")
        detail = redact(detail or "")[:300]
        ts = self._ts()
        info_json = redact(json.dumps(info or {}, ensure_ascii=False, default=str))
        reading = (kind, owner, label, state, code, detail, info_json)
        cached = self._last.get(device)
        if cached is not None and cached[0] == reading and ts - cached[1] < REFRESH_SECONDS:
            return False
        self._last[device] = (reading, ts)
        with self.db.transaction() as tx:
            row = tx.one("SELECT state, code FROM hall_device_state WHERE device = ?", device)
            changed = row is None or row["state"] != state or row["code"] != code
            if changed:
                tx.upsert(
                    schema.hall_device_state,
                    {
                        "device": device,
                        "kind": kind,
                        "owner": owner,
                        "label": label,
                        "state": state,
                        "code": code,
                        "detail": detail,
                        "since_ts": ts,
                        "updated_ts": ts,
                        "info": info_json,
                    },
                    ["device"],
                )
                if row is not None or state != "unknown":  # "not heard from yet" is no news
                    self._event(tx, device, state, code, detail, actor, ts)
            else:
                tx.execute(
                    "UPDATE hall_device_state SET detail = ?, updated_ts = ?, info = ?, label = ?"
                    " WHERE device = ?",
                    detail,
                    ts,
                    info_json,
                    label,
                    device,
                )
        if changed:
            before = f"{row['state']}/{row['code'] or '-'}" if row else "new"
            level = logging.WARNING if state in BAD_STATES else logging.INFO
            log.log(
                level,
                "%s %s -> %s%s%s",
                device,
                before,
                state,
                f"/{code}" if code else "",
                f": {detail}" if detail else "",
                extra={"device": device, "state": state, "code": code},
            )
            self._prune_now_and_then()
        return changed

    def note(self, device: str, text: str, actor: str | None = None, state: str = "ok") -> None:
        """An event that is not a state change: a technician's action and its result."""
        with self.db.transaction() as tx:
            self._event(tx, device, state, "note", redact(text)[:300], actor, self._ts())
        log.info("%s: %s%s", device, text, f" ({actor})" if actor else "", extra={"device": device})

    @staticmethod
    def _event(
        tx: Tx, device: str, state: str, code: str | None, detail: str, actor: str | None, ts: float
    ) -> None:
        tx.insert(
            schema.hall_device_events,
            {"ts": ts, "device": device, "state": state, "code": code, "detail": detail, "actor": actor},
        )

    def states(self) -> list[DeviceState]:
        rows = self.db.query("SELECT * FROM hall_device_state ORDER BY owner, device")
        return [self._state(r) for r in rows]

    def state(self, device: str) -> DeviceState | None:
        rows = self.db.query("SELECT * FROM hall_device_state WHERE device = ?", device)
        return self._state(rows[0]) if rows else None

    def _state(self, r: Any) -> DeviceState:
        try:
            info = json.loads(r["info"] or "{}")
        except ValueError:
            info = {}
        return DeviceState(
            r["device"],
            r["kind"],
            r["owner"],
            r["label"],
            r["state"],
            r["code"],
            r["detail"],
            self._time(r["since_ts"]),
            self._time(r["updated_ts"]),
            info,
        )

    def forget_owner_devices(self, owner: str, keep: set[str]) -> None:
        """A kiosk that no longer reports a device (a camera removed from its config)."""
        rows = self.db.query("SELECT device FROM hall_device_state WHERE owner = ?", owner)
        gone = [r["device"] for r in rows if r["device"] not in keep]
        if gone:
            for d in gone:
                self._last.pop(d, None)
            with self.db.transaction() as tx:
                for d in gone:
                    tx.execute("DELETE FROM hall_device_state WHERE device = ?", d)

    def events(self, device: str | None = None, limit: int = 50, errors_only: bool = False) -> list[dict]:
        where, params = [], []
        if device:
            where.append("(device = ? OR device LIKE ?)")
            params += [device, device + "/%"]
        if errors_only:
            where.append("state IN ('warning', 'error', 'offline', 'silent')")
        sql = "SELECT * FROM hall_device_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = self.db.query(sql, *params, limit)
        return [{"id": r["id"], **self._event_dict(r)} for r in rows]

    def events_on(self, day: dt.date) -> list[dict]:
        """Every device event of one day in the hall's time zone, oldest first."""
        tz = self.clock.now().tzinfo
        start = dt.datetime.combine(day, dt.time(), tz).timestamp()
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).timestamp()
        rows = self.db.query(
            "SELECT * FROM hall_device_events WHERE ts >= ? AND ts < ? ORDER BY id", start, end
        )
        return [self._event_dict(r) for r in rows]

    def _event_dict(self, r: dict[str, Any]) -> dict:
        return {
            "at": self._time(r["ts"]).isoformat(timespec="seconds"),
            "device": r["device"],
            "state": r["state"],
            "code": r["code"],
            "detail": r["detail"],
            "actor": r["actor"],
        }

    def _prune_now_and_then(self) -> None:
        self._inserts += 1
        if self._inserts % 200:
            return
        cutoff = self._ts() - self.keep_days * 86400
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM hall_device_events WHERE ts < ?", cutoff)
            tx.execute("DELETE FROM hall_kiosk_commands WHERE created_ts < ?", cutoff)

    # -- kiosks -------------------------------------------------------------------------------
    def heartbeat(
        self,
        kiosk: str,
        *,
        address: str | None,
        version: str | None,
        started_at: str | None,
        last_error: str | None,
        last_error_at: str | None,
    ) -> None:
        ts = self._ts()
        with self.db.transaction() as tx:
            # beats qualified by the table: inside DO UPDATE both it and `excluded` are in scope
            tx.execute(
                "INSERT INTO hall_kiosk_heartbeats (kiosk, last_ts, first_ts, address, version, started_at,"
                " last_error, last_error_at, beats) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)"
                " ON CONFLICT(kiosk) DO UPDATE SET last_ts = excluded.last_ts, address = excluded.address,"
                " version = excluded.version, started_at = excluded.started_at,"
                " last_error = excluded.last_error, last_error_at = excluded.last_error_at,"
                " beats = hall_kiosk_heartbeats.beats + 1",
                kiosk,
                ts,
                ts,
                address,
                version,
                started_at,
                redact(last_error)[:300] if last_error else None,
                last_error_at,
            )

    def kiosks(self) -> list[dict[str, Any]]:
        now = self._ts()
        rows = self.db.query("SELECT * FROM hall_kiosk_heartbeats ORDER BY kiosk")
        return [
            {
                "kiosk": r["kiosk"],
                "last_seen": self._time(r["last_ts"]).isoformat(timespec="seconds"),
                "seconds_ago": round(max(0.0, now - r["last_ts"]), 1),
                "address": r["address"],
                "version": r["version"],
                "started_at": r["started_at"],
                "last_error": r["last_error"],
                "last_error_at": r["last_error_at"],
                "beats": r["beats"],
            }
            for r in rows
        ]

    # -- commands for kiosks ------------------------------------------------------------------
    def add_command(self, kiosk: str, action: str, actor: str) -> int:
        with self.db.transaction() as tx:
            command_id = tx.insert(
                schema.hall_kiosk_commands,
                {"kiosk": kiosk, "action": action, "actor": actor, "created_ts": self._ts()},
            )
        assert command_id is not None
        self.note(f"kiosk:{kiosk}", f"{action} requested (command {command_id})", actor=actor)
        return command_id

    def take_commands(self, kiosk: str) -> list[dict[str, Any]]:
        """Commands not yet done; each is handed out again until the kiosk reports its result, so a
        lost heartbeat answer loses no command (the kiosk ignores ids it has already run)."""
        ts = self._ts()
        with self.db.transaction() as tx:
            rows = tx.all(
                "SELECT id, action FROM hall_kiosk_commands WHERE kiosk = ? AND done_ts IS NULL"
                " AND created_ts > ? ORDER BY id",
                kiosk,
                ts - 3600,  # an hour-old request is stale: the technician has left
            )
            tx.execute(
                "UPDATE hall_kiosk_commands SET sent_ts = ? WHERE kiosk = ? AND done_ts IS NULL", ts, kiosk
            )
        return [{"id": r["id"], "action": r["action"]} for r in rows]

    def finish_command(self, kiosk: str, command_id: int, ok: bool, detail: str) -> bool:
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT action, actor FROM hall_kiosk_commands WHERE id = ? AND kiosk = ? AND done_ts IS NULL",
                command_id,
                kiosk,
            )
            if row is None:
                return False
            tx.execute(
                "UPDATE hall_kiosk_commands SET done_ts = ?, ok = ?, detail = ? WHERE id = ?",
                self._ts(),
                int(ok),
                redact(detail)[:300],
                command_id,
            )
        self.note(
            f"kiosk:{kiosk}",
            f"{row['action']} {'done' if ok else 'failed'}: {detail}".rstrip(": "),
            actor=row["actor"],
            state="ok" if ok else "error",
        )
        return True

    def commands(self, kiosk: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "SELECT * FROM hall_kiosk_commands"
        params: tuple = ()
        if kiosk:
            sql += " WHERE kiosk = ?"
            params = (kiosk,)
        rows = self.db.query(sql + " ORDER BY id DESC LIMIT ?", *params, limit)
        return [
            {
                "id": r["id"],
                "kiosk": r["kiosk"],
                "action": r["action"],
                "actor": r["actor"],
                "created": self._time(r["created_ts"]).isoformat(timespec="seconds"),
                "state": "done" if r["done_ts"] and r["ok"] else "failed" if r["done_ts"] else "waiting",
                "detail": r["detail"],
            }
            for r in rows
        ]
