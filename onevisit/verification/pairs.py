"""Batch 1:1 comparisons for `onevisit verify-face`, decided exactly as the kiosk decides: a `ref`
image is encoded as a reference photo (`reference_jitters`, through the matcher's reference cache),
a `probe` image as a camera frame (one jitter). Each image is encoded once per role, however many
pairs name it."""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np

from onevisit.core.errors import OneVisitError
from onevisit.devices.camera import ImageError, load_image, read_image_file
from onevisit.verification.errors import FaceError
from onevisit.verification.matcher import FaceSample, LocalMatcher

log = logging.getLogger(__name__)


Role = Literal["ref", "probe"]


class EncodingCache:
    """Encodings (or the error an image gave) by (resolved path, role). `encoded` counts the
    encodings made per role: a photo used both as a reference and as a probe counts in both."""

    def __init__(self, matcher: LocalMatcher) -> None:
        self.matcher = matcher
        self._store: dict[tuple[Path, Role], np.ndarray | OneVisitError] = {}
        self.encoded: Counter[Role] = Counter()

    def get(self, path: Path, role: Role = "probe") -> np.ndarray:
        key = (path.resolve(), role)
        if key not in self._store:
            try:
                if role == "ref":
                    value = self.matcher.encode_reference(read_image_file(key[0]), source=str(path))
                else:
                    value = self.matcher.encode(FaceSample(load_image(key[0]), None, source=str(path)))
                self._store[key] = value
                self.encoded[role] += 1
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
            cache.get(path, role)
        except OneVisitError as exc:
            out.update({"error": exc.code, "in": role, "message_zh": exc.zh, "message_en": exc.en})
            return out
    result = cache.matcher.compare(cache.get(ref, "ref"), [cache.get(probe, "probe")])
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
