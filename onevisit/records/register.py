"""The hall's register of issued certificates: serial numbers and the codes printed on them.

Serials are the hall code, the issue date and a daily sequence (SFQ202611230007). The register
lets the `/verify` page answer for a serial and its short code typed by hand, and it keeps only
what is printed in the open: masked ID and masked name, never the full number.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import sqlite_utils

from onevisit.core.identity import mask_name
from onevisit.core.typed import squeezed
from onevisit.records.payload import Claims, normalise_code


class CertificateRegister:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(self.path)
        db.execute("PRAGMA journal_mode=WAL")
        db["certificates"].create(
            {
                "serial": str,
                "day": str,
                "seq": int,
                "issued_at": str,
                "id_masked": str,
                "name_masked": str,
                "since": str,
                "until": str,
                "digest": str,
                "code": str,
                "key": str,
                "pages": int,
                "status": str,  # reserved / issued / printing / printed / print_failed
                "print_job": str,  # the document printer's job id: a retry asks its state first
            },
            pk="serial",
            if_not_exists=True,
        )
        if "print_job" not in db["certificates"].columns_dict:  # registers made before A4 printing
            db["certificates"].add_column("print_job", str)
        db.conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def reserve_serial(self, prefix: str, when: dt.datetime) -> str:
        """The next serial for the day, reserved at once so two kiosks never print the same one."""
        day = when.strftime("%Y%m%d")
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            seq = conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM certificates WHERE day = ?", (day,)
            ).fetchone()[0]
            serial = f"{prefix}{day}{seq:04d}"
            conn.execute(
                "INSERT INTO certificates (serial, day, seq, issued_at, status) VALUES (?, ?, ?, ?, 'reserved')",
                (serial, day, seq, when.isoformat(timespec="seconds")),
            )
            conn.execute("COMMIT")
            return serial
        finally:
            conn.close()

    def record_issue(self, claims: Claims, code: str, pages: int) -> None:
        conn = self._connect()
        try:
            conn.execute(
                "UPDATE certificates SET id_masked = ?, name_masked = ?, since = ?, until = ?, digest = ?,"
                " code = ?, key = ?, pages = ?, status = 'issued' WHERE serial = ?",
                (
                    claims.id_masked,
                    mask_name(claims.name),
                    claims.since,
                    claims.until,
                    claims.digest,
                    code,
                    claims.key,
                    pages,
                    claims.serial,
                ),
            )
        finally:
            conn.close()

    def set_status(self, serial: str, status: str) -> None:
        conn = self._connect()
        try:
            conn.execute("UPDATE certificates SET status = ? WHERE serial = ?", (status, serial))
        finally:
            conn.close()

    def set_print_job(self, serial: str, job: str | None, status: str) -> None:
        conn = self._connect()
        try:
            conn.execute(
                "UPDATE certificates SET print_job = ?, status = ? WHERE serial = ?", (job, status, serial)
            )
        finally:
            conn.close()

    def get(self, serial: str) -> dict | None:
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT * FROM certificates WHERE serial = ?",
                (squeezed(serial).upper(),),  # typed full-width or with spaces: the same serial
            ).fetchone()
            return dict(row) if row else None
        finally:
            conn.close()

    def check_code(self, serial: str, code: str) -> dict | None:
        """The register entry when the serial exists and its printed code matches, else None."""
        row = self.get(serial)
        if row is None or not row.get("code") or row["status"] == "reserved":
            return None
        return row if row["code"] == normalise_code(code) else None
