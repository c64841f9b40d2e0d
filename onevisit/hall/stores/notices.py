"""到号提醒 subscriptions and the notice outbox, in the hall database.

A subscription ties one ticket of one day to one address (a mobile number or a WeChat openid). The
address is kept only encrypted (AES-GCM, key `notify.key` in the secrets folder, the ticket's day
and number as associated data so a value cannot be moved to another ticket) beside its masked form,
and the encrypted value is erased when the visit ends or the day is over: afterwards only the masked
form remains, for the supervisor's count. Logs, events, reports and backups never hold the full
address except that encrypted field.

The outbox holds one row per (subscription, step, kind): the UNIQUE constraint is what makes "at
most one notice per kind per step" hold even if the watcher sees an event twice (after a restart).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from onevisit.core.clock import Clock
from onevisit.core.phone import mask_phone
from onevisit.db import Database, schema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    id: int
    day: str
    number: str
    channel: str
    masked: str


@dataclass(frozen=True)
class Pending:
    """An outbox row due for sending, with its address decrypted (None once the visit ended)."""

    id: int
    subscription: Subscription
    address: str | None
    step_id: int
    kind: str
    params: dict[str, str]
    attempts: int


class NoticeStore:
    def __init__(self, db: Database, clock: Clock, key: bytes) -> None:
        self.db = db
        self.clock = clock
        self._aead = AESGCM(key[:32])

    # -- the address, encrypted ------------------------------------------------------------

    def _seal(self, day: str, number: str, address: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, address.encode(), f"{day}:{number}".encode())
        return base64.b64encode(nonce + sealed).decode()

    def _open(self, day: str, number: str, value: str | None) -> str | None:
        if value is None:
            return None
        raw = base64.b64decode(value)
        return self._aead.decrypt(raw[:12], raw[12:], f"{day}:{number}".encode()).decode()

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, day: str, number: str, channel: str, address: str, source: str) -> Subscription:
        """Subscribe a ticket (again: a new address replaces the old one for that channel)."""
        masked = mask_phone(address) if channel == "sms" else f"{address[:4]}…"
        now = self.clock.now().isoformat()
        with self.db.transaction() as tx:
            keys = {"day": day, "number": number, "channel": channel}
            row = tx.one(
                "SELECT id FROM notify_subscriptions WHERE day = ? AND number = ? AND channel = ?",
                day,
                number,
                channel,
            )
            fields = {
                "address_enc": self._seal(day, number, address),
                "masked": masked,
                "source": source,
                "ended_at": None,
            }
            if row is None:
                row = {"id": tx.insert(schema.notify_subscriptions, {**keys, **fields, "created_at": now})}
            else:  # subscribed again: the new address replaces the old one, the id stays
                tx.execute(
                    schema.notify_subscriptions.update()
                    .where(schema.notify_subscriptions.c.id == row["id"])
                    .values(fields)
                )
        log.info("ticket %s subscribed to notices by %s (%s, %s)", number, channel, masked, source)
        return Subscription(int(row["id"]), day, number, channel, masked)

    def active(self, day: str) -> list[Subscription]:
        rows = self.db.query(
            "SELECT id, day, number, channel, masked FROM notify_subscriptions"
            " WHERE day = ? AND address_enc IS NOT NULL ORDER BY id",
            day,
        )
        return [Subscription(r["id"], r["day"], r["number"], r["channel"], r["masked"]) for r in rows]

    def of_ticket(self, day: str, number: str) -> list[Subscription]:
        return [s for s in self.active(day) if s.number == number]

    def end_visit(self, day: str, number: str) -> int:
        """Erase the addresses of a ticket whose visit ended; its pending notices are dropped."""
        now = self.clock.now().isoformat()
        with self.db.transaction() as tx:
            ids = [
                r["id"]
                for r in tx.all(
                    "SELECT id FROM notify_subscriptions WHERE day = ? AND number = ? AND address_enc IS NOT NULL",
                    day,
                    number,
                )
            ]
            for sub_id in ids:
                tx.execute(
                    "UPDATE notify_subscriptions SET address_enc = NULL, ended_at = ? WHERE id = ?",
                    now,
                    sub_id,
                )
                tx.execute(
                    "UPDATE notify_outbox SET dropped = 'visit ended' WHERE subscription_id = ?"
                    " AND delivered_at IS NULL AND dropped IS NULL",
                    sub_id,
                )
        return len(ids)

    def end_days_before(self, day: str) -> int:
        """Erase every address of an earlier day (the day is over); returns how many."""
        now = self.clock.now().isoformat()
        with self.db.transaction() as tx:
            cursor = tx.execute(
                "UPDATE notify_subscriptions SET address_enc = NULL, ended_at = ?"
                " WHERE day < ? AND address_enc IS NOT NULL",
                now,
                day,
            )
            tx.execute(
                "UPDATE notify_outbox SET dropped = 'day over' WHERE delivered_at IS NULL AND dropped IS NULL"
                " AND subscription_id IN (SELECT id FROM notify_subscriptions WHERE day < ?)",
                day,
            )
        return cursor.rowcount

    # -- the outbox -------------------------------------------------------------------------

    def enqueue(self, subscription: Subscription, step_id: int, kind: str, params: dict[str, str]) -> bool:
        """Queue a notice; False when this subscription already has one of this kind for this step."""
        now = self.clock.now().isoformat()
        with self.db.transaction() as tx:
            # the UNIQUE (subscription, step, kind) decides; looked up first so no id is spent
            if tx.one(
                "SELECT 1 FROM notify_outbox WHERE subscription_id = ? AND step_id = ? AND kind = ?",
                subscription.id,
                step_id,
                kind,
            ):
                return False
            tx.insert(
                schema.notify_outbox,
                {
                    "subscription_id": subscription.id,
                    "step_id": step_id,
                    "kind": kind,
                    "params": json.dumps(params, ensure_ascii=False),
                    "created_at": now,
                    "next_at": now,
                },
            )
        return True

    def due(self, limit: int = 50) -> list[Pending]:
        now = self.clock.now().isoformat()
        rows = self.db.query(
            "SELECT o.id, o.step_id, o.kind, o.params, o.attempts, s.id AS sid, s.day, s.number, s.channel,"
            " s.masked, s.address_enc FROM notify_outbox o JOIN notify_subscriptions s ON s.id = o.subscription_id"
            " WHERE o.delivered_at IS NULL AND o.dropped IS NULL AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT ?",
            now,
            limit,
        )
        return [
            Pending(
                id=r["id"],
                subscription=Subscription(r["sid"], r["day"], r["number"], r["channel"], r["masked"]),
                address=self._open(r["day"], r["number"], r["address_enc"]),
                step_id=r["step_id"],
                kind=r["kind"],
                params=json.loads(r["params"]),
                attempts=r["attempts"],
            )
            for r in rows
        ]

    def next_due_at(self) -> dt.datetime | None:
        rows = self.db.query(
            "SELECT min(next_at) AS at FROM notify_outbox WHERE delivered_at IS NULL AND dropped IS NULL"
        )
        value = rows[0]["at"] if rows else None
        return dt.datetime.fromisoformat(value) if value else None

    def delivered(self, outbox_id: int) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE notify_outbox SET delivered_at = ?, attempts = attempts + 1 WHERE id = ?",
                self.clock.now().isoformat(),
                outbox_id,
            )

    def failed(self, outbox_id: int, error: str, retry_in_seconds: float) -> None:
        retry_at = self.clock.now() + dt.timedelta(seconds=retry_in_seconds)
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE notify_outbox SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?",
                error[:200],
                retry_at.isoformat(),
                outbox_id,
            )

    def drop(self, outbox_id: int, why: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE notify_outbox SET dropped = ? WHERE id = ?", why, outbox_id)

    def sent(self, day: str) -> list[dict[str, Any]]:
        """Every notice of a day with its masked address and state: for tests and the supervisor."""
        rows = self.db.query(
            "SELECT s.number, s.channel, s.masked, o.step_id, o.kind, o.params, o.attempts, o.delivered_at,"
            " o.dropped, o.last_error FROM notify_outbox o JOIN notify_subscriptions s ON s.id = o.subscription_id"
            " WHERE s.day = ? ORDER BY o.id",
            day,
        )
        return [dict(r) | {"params": json.loads(r["params"])} for r in rows]
