"""The hall database's epoch: which run of event ids a number belongs to.

Event ids start again at 1 when the hall runs on a fresh database, and fall back to the backup's
when a backup is restored. A display, console or phone page that kept the last id it saw would drop
every new event until the ids pass it. So the database carries an epoch, a random id stored in the
queue's `meta` table:

- made when the database is created (`ensure_epoch`, inside the schema's transaction, so two
  processes opening a new file agree on one);
- made again on the first open of a restored backup: `onevisit backup` marks its copy
  (`mark_copy_for_new_epoch`), the mark is consumed when the copy is opened as a hall database.
  Restoring the same backup twice gives two epochs, because each restore copies the marked file.

(epoch, event id) never repeats; the event stream sends the epoch with every message
(hall/live/hub.py) and a client that sees another epoch drops its last id and resyncs.
"""

from __future__ import annotations

import secrets
import sqlite3

from onevisit.db import schema
from onevisit.db.database import Tx

#: meta keys: the epoch, and the mark a backup copy carries until it is opened
EPOCH_KEY = "epoch"
EPOCH_RENEW_KEY = "epoch_renew"


def ensure_epoch(tx: Tx) -> str:
    """The database's epoch, made now when it has none or carries a backup's mark. Runs in the
    caller's write transaction."""
    row = tx.one("SELECT value FROM meta WHERE key = ?", EPOCH_KEY)
    renew = tx.one("SELECT 1 AS renew FROM meta WHERE key = ?", EPOCH_RENEW_KEY)
    if row is not None and renew is None:
        return str(row["value"])
    epoch = secrets.token_hex(8)  # 64 random bits: two halls' or two restores' never meet
    tx.upsert(schema.meta, {"key": EPOCH_KEY, "value": epoch}, keys=("key",))
    tx.execute("DELETE FROM meta WHERE key = ?", EPOCH_RENEW_KEY)
    return epoch


def mark_copy_for_new_epoch(conn: sqlite3.Connection) -> bool:
    """Mark a copy of the hall database (a backup) to take a new epoch when it is opened next;
    False (nothing done) for a database without the queue's `meta` table."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
        return False
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, '1')", (EPOCH_RENEW_KEY,))
    conn.commit()
    return True
