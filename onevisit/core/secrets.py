"""Keys the hall keeps outside git: generated on first use, readable by the owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_key(directory: Path, name: str, size: int = 32) -> bytes:
    """The key stored at directory/name, created with `size` random bytes the first time."""
    path = directory / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(size)
    # O_EXCL: when two processes start at once, one writes and the other reads what was written.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
