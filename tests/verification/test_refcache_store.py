"""The reference-encoding cache: keys, the memory LRU, the disk level (modes, HMAC names, corrupt
files, pruning). No face photos needed: the values are arrays of the encodings' shape."""

from __future__ import annotations

import hashlib
import os
import stat
import time

import numpy as np
import pytest

from onevisit.core.config import VerificationConfig
from onevisit.verification.refcache import ENCODER_TAG, ReferenceCache, reference_key


def _enc(v: float) -> np.ndarray:
    return np.full(128, v, dtype=np.float64)


class Counting:
    """A compute function that counts its calls."""

    def __init__(self, value: float) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> np.ndarray:
        self.calls += 1
        return _enc(self.value)


def test_key_is_photo_hash_model_jitters_and_encoder() -> None:
    key = reference_key(b"photo", "large", 10)
    assert key == f"{hashlib.sha256(b'photo').hexdigest()}-large-j10-{ENCODER_TAG}"
    assert key == reference_key(b"photo", "large", 10)
    assert len({key, reference_key(b"photo2", "large", 10), reference_key(b"photo", "small", 10)}) == 3
    assert key != reference_key(b"photo", "large", 20)
    assert key != reference_key(b"photo", "large", 10, tag="dlibresnet2-v1")


def test_a_hit_returns_the_same_encoding_without_computing_again() -> None:
    cache = ReferenceCache(capacity=4)
    compute = Counting(0.25)
    first = cache.get_or_compute("k", compute)
    second = cache.get_or_compute("k", compute)
    assert compute.calls == 1 and cache.misses == 1 and cache.hits == 1
    assert second is first and np.array_equal(second, _enc(0.25))
    with pytest.raises(ValueError):
        second[0] = 1.0  # shared between attempts and threads: read-only


def test_a_changed_photo_misses() -> None:
    cache = ReferenceCache(capacity=4)
    cache.get_or_compute(reference_key(b"old photo", "large", 10), Counting(0.1))
    compute = Counting(0.2)
    value = cache.get_or_compute(reference_key(b"new photo", "large", 10), compute)
    assert compute.calls == 1 and cache.misses == 2 and np.array_equal(value, _enc(0.2))


def test_memory_is_least_recently_used_and_zero_keeps_nothing() -> None:
    cache = ReferenceCache(capacity=2)
    calls: list[int] = []
    for v in (1, 2, 1, 3, 2):  # 3 evicts 2 (1 was used more recently), so 2 is computed again
        cache.get_or_compute(f"k{v}", lambda v=v: calls.append(v) or _enc(v))
    assert calls == [1, 2, 3, 2] and cache.hits == 1
    none = ReferenceCache(capacity=0)
    compute = Counting(0.3)
    none.get_or_compute("k", compute)
    none.get_or_compute("k", compute)
    assert compute.calls == 2


def test_errors_from_compute_propagate_and_nothing_is_cached() -> None:
    cache = ReferenceCache(capacity=2)

    def fails() -> np.ndarray:
        raise RuntimeError("no face")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("k", fails)
    assert cache.get("k") is None
    with pytest.raises(ValueError, match="128"):
        cache.put("k", np.zeros(64))
    with pytest.raises(ValueError):
        cache.put("k", np.full(128, np.nan))


def test_disk_level_survives_a_restart_with_owner_only_modes(tmp_path) -> None:
    folder = tmp_path / "refs"
    cache = ReferenceCache(directory=folder)
    key = reference_key(b"photo", "large", 10)
    cache.put(key, np.arange(128, dtype=np.float64))
    (path,) = folder.rglob("*.npy")
    assert path == cache.path(key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    fresh = ReferenceCache(directory=folder)  # a kiosk restart: memory empty, the folder stays
    compute = Counting(9.0)
    assert np.array_equal(fresh.get_or_compute(key, compute), np.arange(128))
    assert compute.calls == 0 and fresh.disk_hits == 1
    assert fresh.get(key) is not None and fresh.hits == 1  # now in memory too
    assert not list(folder.rglob("*.tmp"))


def test_with_a_secret_file_names_do_not_reveal_the_photo(tmp_path) -> None:
    photo = b"the pensioner's photo"
    cache = ReferenceCache(directory=tmp_path, secret=b"k" * 32)
    key = reference_key(photo, "large", 10)
    cache.put(key, _enc(0.5))
    (path,) = tmp_path.rglob("*.npy")
    digest = hashlib.sha256(photo).hexdigest()
    assert digest not in path.name and "large" not in path.name
    other = ReferenceCache(directory=tmp_path, secret=b"x" * 32)  # another hall's secret: a miss
    assert other.get(key) is None
    assert ReferenceCache(directory=tmp_path, secret=b"k" * 32).get(key) is not None


@pytest.mark.parametrize(
    "content",
    [b"garbage", b"", "shape", "nan", "int"],
    ids=["garbage", "empty", "wrong-shape", "not-finite", "integers"],
)
def test_a_corrupt_cache_file_is_ignored_and_rewritten(tmp_path, content) -> None:
    cache = ReferenceCache(directory=tmp_path)
    key = reference_key(b"photo", "large", 10)
    path = cache.path(key)
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        bad = {"shape": np.zeros(64), "nan": np.full(128, np.nan), "int": np.arange(128)}[content]
        np.save(path, bad, allow_pickle=False)
    compute = Counting(0.4)
    value = cache.get_or_compute(key, compute)
    assert compute.calls == 1 and np.array_equal(value, _enc(0.4))
    assert np.array_equal(np.load(path, allow_pickle=False), _enc(0.4))  # rewritten whole
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_prune_deletes_entries_older_than_the_retention(tmp_path) -> None:
    cache = ReferenceCache(directory=tmp_path)
    old, recent = reference_key(b"old", "large", 10), reference_key(b"recent", "large", 10)
    cache.put(old, _enc(1))
    cache.put(recent, _enc(2))
    now = time.time()
    os.utime(cache.path(old), (now - 401 * 86400, now - 401 * 86400))
    assert cache.prune(400, now=now) == 1
    assert not cache.path(old).exists() and cache.path(recent).exists()
    assert ReferenceCache().prune(400) == 0  # memory only: nothing on disk


def test_config_defaults_and_bounds() -> None:
    conf = VerificationConfig()
    assert (conf.encoding_model, conf.reference_jitters, conf.probe_combination) == (
        "large",
        10,
        "mean_encoding",
    )
    assert conf.threshold == 0.5 and conf.reference_cache_dir == "" and conf.reference_cache_entries == 256
    for bad in (
        {"encoding_model": "medium"},
        {"reference_jitters": 0},
        {"reference_jitters": 101},
        {"probe_combination": "min_distance"},
        {"reference_cache_entries": -1},
        {"reference_cache_days": 0},
        {"reference_cache": "yes"},  # unknown keys are refused
    ):
        with pytest.raises(ValueError):
            VerificationConfig(**bad)
