"""The reference photo's encoding, computed once and kept by the photo's content.

A pensioner's reference photo is the same every year, and a 10-jitter encoding of it costs ~0.8 s
of one core (BENCHMARKS.md "Face matching"), so it is kept under a key made of everything that
changes the result:

    key = "<sha256 of the photo bytes>-<model>-j<jitters>-<ENCODER_TAG>"

A new photo on file, another alignment model or jitter count, or another encoder is simply a miss:
nothing to invalidate when records change, and no ID number anywhere in the key.

Two levels:
- memory: an LRU of `capacity` entries (a visit's three attempts, a citizen back the same day);
- disk (optional, off by default because encodings are biometric data): one `.npy` file per key,
  float64 shape (128,), written atomically (temporary file + os.replace), folder 0700 and files
  0600. File names are HMAC-SHA256(secret, key) when a secret is given, so someone holding a
  photo cannot tell from the folder whether that person visited. A file that is not a finite
  (128,) array is ignored and rewritten on the next computation.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: Names the encoder (dlib's ResNet model file dlib_face_recognition_resnet_model_v1) and this
#: module's storage format; change it when either changes so every old entry becomes a miss.
ENCODER_TAG = "dlibresnet1-v1"
ENCODING_SHAPE = (128,)


def reference_key(photo: bytes, model: str, jitters: int, tag: str = ENCODER_TAG) -> str:
    """The cache key of a reference photo's encoding: content hash, alignment model, jitters, tag."""
    return f"{hashlib.sha256(photo).hexdigest()}-{model}-j{jitters}-{tag}"


class ReferenceCache:
    """Reference encodings by `reference_key`; thread-safe (the flow fills it from a worker thread).

    `capacity` 0 keeps nothing in memory; `directory` None keeps nothing on disk. Counters `hits`
    (memory), `disk_hits` and `misses` are for the maintenance page and the tests.
    """

    def __init__(
        self, capacity: int = 256, directory: Path | None = None, secret: bytes | None = None
    ) -> None:
        self.capacity = capacity
        self.directory = directory
        self._secret = secret
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.disk_hits = self.misses = 0
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask and ignored if it existed

    def path(self, key: str) -> Path:
        """Where `key` lives on disk: <directory>/<first 2 hex>/<name>.npy."""
        if self.directory is None:
            raise ValueError("this reference cache has no folder")
        name = hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest() if self._secret else key
        return self.directory / name[:2] / f"{name}.npy"

    def get(self, key: str) -> np.ndarray | None:
        """The encoding for `key` (memory first, then disk), or None."""
        with self._lock:
            value = self._memory.get(key)
            if value is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return value
        if self.directory is None:
            return None
        value = self._load(self.path(key))
        if value is None:
            return None
        with self._lock:
            self.disk_hits += 1
        self._remember(key, value)
        return value

    def put(self, key: str, value: np.ndarray) -> np.ndarray:
        """Store `value` (a read-only float64 copy, which is returned) under `key`."""
        value = np.array(value, dtype=np.float64)
        if value.shape != ENCODING_SHAPE or not np.isfinite(value).all():
            raise ValueError(
                f"a reference encoding must be {ENCODING_SHAPE} finite floats, got {value.shape}"
            )
        value.setflags(write=False)  # shared between attempts and threads
        self._remember(key, value)
        if self.directory is not None:
            try:
                self._write(self.path(key), value)
            except OSError as exc:  # a full or read-only disk costs a re-encode, never a citizen's check
                log.warning("reference cache: cannot write %s: %s", self.directory, exc)
        return value

    def get_or_compute(self, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """The cached encoding, or `compute()` stored under `key`; errors from compute propagate
        and nothing is stored."""
        value = self.get(key)
        if value is None:
            with self._lock:
                self.misses += 1
            value = self.put(key, compute())
        return value

    def prune(self, max_age_days: float, now: float | None = None) -> int:
        """Delete disk entries not written for `max_age_days` (by mtime); returns how many."""
        if self.directory is None:
            return 0
        cutoff = (time.time() if now is None else now) - max_age_days * 86400
        removed = 0
        for path in self.directory.glob("*/*.npy"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError:
                continue
        return removed

    def forget_memory(self) -> None:
        """Drop the memory level (as a restart would); the folder stays."""
        with self._lock:
            self._memory.clear()

    def _remember(self, key: str, value: np.ndarray) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._memory[key] = value
            self._memory.move_to_end(key)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)

    @staticmethod
    def _load(path: Path) -> np.ndarray | None:
        try:
            value = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError) as exc:
            log.warning(
                "reference cache: unreadable %s (%s), will be rewritten", path.name, type(exc).__name__
            )
            return None
        if value.shape != ENCODING_SHAPE or value.dtype.kind != "f" or not np.isfinite(value).all():
            log.warning("reference cache: %s is not a (128,) encoding, will be rewritten", path.name)
            return None
        value = value.astype(np.float64)
        value.setflags(write=False)
        return value

    @staticmethod
    def _write(path: Path, value: np.ndarray) -> None:
        path.parent.mkdir(exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # mkstemp creates it 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                np.save(handle, value, allow_pickle=False)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
