"""The hall's register of issued certificates: serial numbers and the codes printed on them.

Serials are the hall code, the issue date and a daily sequence (SFQ202611230007). The register
lets the `/verify` page answer for a serial and its short code typed by hand, and it keeps only
what is printed in the open: masked ID and masked name, never the full number.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from onevisit.core.identity import mask_name
from onevisit.core.typed import squeezed
from onevisit.db import Database, open_database, schema
from onevisit.records.payload import Claims, normalise_code


class CertificateRegister:
    """The register's own database (`[records] certificates_db`: a path or a postgresql:// URL),
    opened by `open_database(kind="register")`; a register made before the register had a schema
    version is refused with SchemaOutOfDate until `onevisit db upgrade`."""

    def __init__(self, target: str | Path | Database, *, hall_code: str = "HALL") -> None:
        if isinstance(target, Database):
            self.db = target
        else:
            self.db = open_database(target, hall_code=hall_code, kind="register")
        self.path = Path(self.db.target) if not self.db.postgres else None

    def close(self) -> None:
        self.db.dispose()

    def reserve_serial(self, prefix: str, when: dt.datetime) -> str:
        """The next serial for the day, reserved at once so two kiosks never print the same one
        (the register's write lock serialises the max + 1)."""
        day = when.strftime("%Y%m%d")
        with self.db.transaction() as tx:
            seq = int(tx.scalar("SELECT coalesce(max(seq), 0) + 1 FROM certificates WHERE day = ?", day))
            serial = f"{prefix}{day}{seq:04d}"
            tx.insert(
                schema.certificates,
                {
                    "serial": serial,
                    "day": day,
                    "seq": seq,
                    "issued_at": when.isoformat(timespec="seconds"),
                    "status": "reserved",
                },
            )
            return serial

    def record_issue(self, claims: Claims, code: str, pages: int) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE certificates SET id_masked = ?, name_masked = ?, since = ?, until = ?, digest = ?,"
                " code = ?, key = ?, pages = ?, status = 'issued' WHERE serial = ?",
                claims.id_masked,
                mask_name(claims.name),
                claims.since,
                claims.until,
                claims.digest,
                code,
                claims.key,
                pages,
                claims.serial,
            )

    def set_status(self, serial: str, status: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE certificates SET status = ? WHERE serial = ?", status, serial)

    def set_print_job(self, serial: str, job: str | None, status: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE certificates SET print_job = ?, status = ? WHERE serial = ?", job, status, serial
            )

    def get(self, serial: str) -> dict | None:
        rows = self.db.query(
            "SELECT * FROM certificates WHERE serial = ?",
            squeezed(serial).upper(),  # typed full-width or with spaces: the same serial
        )
        return rows[0] if rows else None

    def check_code(self, serial: str, code: str) -> dict | None:
        """The register entry when the serial exists and its printed code matches, else None."""
        row = self.get(serial)
        if row is None or not row.get("code") or row["status"] == "reserved":
            return None
        return row if row["code"] == normalise_code(code) else None
