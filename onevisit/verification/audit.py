"""Optional audit snapshots: one frame per attempt, encrypted, pruned after the retention period.

Off by default (frames otherwise live in memory only). When config turns it on, each snapshot is
a Fernet token (AES-128-CBC + HMAC) under a key kept in the secrets folder; file names carry only
a timestamp and a random token, never who was checked.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from pathlib import Path

import cv2
import numpy as np
from cryptography.fernet import Fernet, InvalidToken

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)

_STAMP = "%Y%m%dT%H%M%S"


class AuditStore:
    def __init__(self, folder: Path, key_file: Path, retention_days: int) -> None:
        self.folder = folder
        self.key_file = key_file
        self.retention = dt.timedelta(days=retention_days)
        self._fernet = Fernet(self._key())

    def _key(self) -> bytes:
        if self.key_file.exists():
            return self.key_file.read_bytes().strip()
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        key = Fernet.generate_key()
        # Created 0600 from the start: the key must never be world-readable, not even briefly.
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        log.info("created audit snapshot key %s", self.key_file)
        return key

    def save(self, image: np.ndarray, meta: dict[str, object], at: dt.datetime) -> Path:
        ok, jpeg = cv2.imencode(
            ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85]
        )
        if not ok:
            raise OneVisitError("audit_encode", "审计快照保存失败", "The audit snapshot could not be encoded")
        header = json.dumps({**meta, "at": at.isoformat()}, ensure_ascii=False).encode("utf-8")
        token = self._fernet.encrypt(header + b"\n" + jpeg.tobytes())
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{at.strftime(_STAMP)}-{secrets.token_hex(4)}.snap"
        path.write_bytes(token)
        return path

    def read(self, path: Path) -> tuple[dict[str, object], np.ndarray]:
        """Decrypt a snapshot (for an authorised review): its metadata and RGB image."""
        try:
            plain = self._fernet.decrypt(path.read_bytes())
        except InvalidToken:
            raise OneVisitError(
                "audit_key", "审计快照无法解密", f"{path.name} was not written with this hall's audit key"
            ) from None
        header, _, jpeg = plain.partition(b"\n")
        bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        return json.loads(header), cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def prune(self, now: dt.datetime) -> int:
        """Delete snapshots older than the retention period (by the time in their name)."""
        if not self.folder.is_dir():
            return 0
        cutoff = now - self.retention
        removed = 0
        for path in self.folder.glob("*.snap"):
            try:
                taken = dt.datetime.strptime(path.name.split("-")[0], _STAMP).replace(tzinfo=now.tzinfo)
            except ValueError:
                continue  # not ours: leave it
            if taken < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        if removed:
            log.info("pruned %d audit snapshots older than %s", removed, cutoff.date())
        return removed
