"""Batch 1:1 comparisons for `onevisit verify-face`: each image is decoded and encoded once, however
many pairs it appears in."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from onevisit.core.errors import OneVisitError
from onevisit.devices.camera import ImageError, load_image
from onevisit.verification.errors import FaceError
from onevisit.verification.matcher import FaceSample, LocalMatcher

log = logging.getLogger(__name__)


class EncodingCache:
    """Encodings (or the error an image gave) by resolved path."""

    def __init__(self, matcher: LocalMatcher) -> None:
        self.matcher = matcher
        self._store: dict[Path, np.ndarray | OneVisitError] = {}
        self.encoded = 0

    def get(self, path: Path) -> np.ndarray:
        key = path.resolve()
        if key not in self._store:
            try:
                sample = FaceSample(load_image(key), None, source=str(path))
                self._store[key] = self.matcher.encode(sample)
                self.encoded += 1
            except (ImageError, FaceError) as exc:
                self._store[key] = exc
        value = self._store[key]
        if isinstance(value, OneVisitError):
            raise value
        return value


def compare_paths(cache: EncodingCache, ref: Path, probe: Path) -> dict[str, object]:
    out: dict[str, object] = {"ref": str(ref), "probe": str(probe)}
    for role, path in (("ref", ref), ("probe", probe)):
        try:
            cache.get(path)
        except OneVisitError as exc:
            out.update({"error": exc.code, "in": role, "message_zh": exc.zh, "message_en": exc.en})
            return out
    result = cache.matcher.compare(cache.get(ref), [cache.get(probe)])
    out.update(
        {
            "match": result.match,
            "distance": round(result.distance, 4),
            "threshold": result.threshold,
            "margin": result.margin,
        }
    )
    return out


def read_pairs(csv_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """Rows of a `ref,probe` CSV (header required); relative paths resolve against the CSV's folder."""
    base = csv_path.parent
    try:
        handle = csv_path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise OneVisitError(
            "pairs_file", "无法读取比对清单", f"Cannot read {csv_path}: {exc.strerror}"
        ) from None
    with handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        if "ref" not in fields or "probe" not in fields:
            raise OneVisitError(
                "pairs_columns",
                "比对清单需要 ref 和 probe 两列",
                f"{csv_path} needs a header with columns ref,probe (found {reader.fieldnames})",
            )
        reader.fieldnames = fields
        for line, row in enumerate(reader, start=2):
            ref, probe = (row.get("ref") or "").strip(), (row.get("probe") or "").strip()
            if not ref or not probe:
                log.warning("%s line %d: empty ref or probe, skipped", csv_path, line)
                continue
            yield line, _resolve(base, ref), _resolve(base, probe)


def _resolve(base: Path, text: str) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p
