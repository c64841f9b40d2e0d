"""1:1 face match: 128-d dlib encodings and their Euclidean distance.

dlib's model is trained so that 0.6 separates people (99.38 % on LFW, dlib's face_recognition.py
example); a pension payment must not go to a look-alike, so the configured threshold is stricter
(config.verification.threshold < 0.6). Encodings use the configured alignment (`encoding_model`,
68 points by default); the reference photo is encoded with `reference_jitters` and cached by its
content hash (refcache.py); probe frames with one jitter. Measurements behind these choices:
BENCHMARKS.md "Face matching" (bench/bench_face_match.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from onevisit.core.config import VerificationConfig
from onevisit.devices.camera import load_image_bytes
from onevisit.verification.analysis import Box, FaceAnalyzer
from onevisit.verification.errors import no_face, several_faces
from onevisit.verification.refcache import ReferenceCache, reference_key

log = logging.getLogger(__name__)

#: face_recognition holds one dlib network for the whole process, and a dlib network keeps its
#: layer outputs inside itself: two threads encoding at once (a reference still being encoded for
#: an abandoned visit while the next visit encodes) would corrupt each other's results.
_ENCODER_LOCK = threading.Lock()


@dataclass(frozen=True)
class FaceSample:
    """An RGB image, and the face's box in it when already known (camera frames)."""

    image: np.ndarray
    box: Box | None = None
    source: str = ""


@dataclass(frozen=True)
class MatchResult:
    match: bool
    #: The decided distance: to the mean of the probe encodings ("mean_encoding") or the mean of
    #: the per-frame distances ("mean_distance"); `distances` lists each frame's own distance.
    distance: float
    threshold: float
    distances: list[float] = field(default_factory=list)

    @property
    def margin(self) -> float:
        """How far inside (positive) or outside (negative) the threshold the decision fell."""
        return round(self.threshold - self.distance, 4)

    def to_dict(self) -> dict[str, object]:
        return {
            "match": self.match,
            "distance": round(self.distance, 4),
            "threshold": self.threshold,
            "margin": self.margin,
            "distances": [round(d, 4) for d in self.distances],
        }


class FaceMatcher(Protocol):
    """What the flow needs from a matcher; config.verification.matcher may name another class (a
    provincial platform's client, constructed with the VerificationConfig) by import path.
    `verify` raises FaceError (no_face / several_faces) for an unusable reference."""

    threshold: float

    def verify(self, reference: FaceSample, probes: Sequence[FaceSample]) -> MatchResult: ...


Combination = Literal["mean_encoding", "mean_distance"]


class LocalMatcher:
    """The default matcher: dlib's ResNet encodings via face_recognition, on this machine.

    `cache_dir` keeps reference encodings on disk (None: memory only); `cache_secret` keys the
    HMAC that names the files there (see refcache.py).
    """

    def __init__(
        self,
        config: VerificationConfig,
        analyzer: FaceAnalyzer | None = None,
        cache_dir: Path | None = None,
        cache_secret: bytes | None = None,
    ) -> None:
        self.threshold = config.threshold
        self.model = config.encoding_model
        self.reference_jitters = config.reference_jitters
        self.combination: Combination = config.probe_combination
        self.references = ReferenceCache(config.reference_cache_entries, cache_dir, cache_secret)
        # References and pair images can be any size: detect on a larger downscale than frames.
        self.analyzer = analyzer or FaceAnalyzer(detect_width=max(640, config.detect_width))

    def find_face(self, sample: FaceSample) -> Box:
        if sample.box is not None:
            return sample.box
        boxes = self.analyzer.detect(sample.image)
        if not boxes:
            raise no_face(sample.source)
        if len(boxes) > 1:
            raise several_faces(len(boxes), sample.source)
        return boxes[0]

    def encode(self, sample: FaceSample, jitters: int = 1) -> np.ndarray:
        """The 128-d float64 encoding of the one face in `sample`, aligned with `self.model`.
        Raises FaceError (no_face / several_faces) when the box is not given and detection finds
        no single face."""
        import face_recognition

        box = self.find_face(sample)
        with _ENCODER_LOCK:
            encodings = face_recognition.face_encodings(
                sample.image, [box], num_jitters=jitters, model=self.model
            )
        return np.asarray(encodings[0], dtype=np.float64)

    def reference_key(self, photo: bytes) -> str:
        return reference_key(photo, self.model, self.reference_jitters)

    def cached_reference(self, photo: bytes) -> np.ndarray | None:
        """The reference encoding of `photo` if the cache has it (no decoding, no dlib)."""
        return self.references.get(self.reference_key(photo))

    def encode_reference(
        self, photo: bytes, source: str = "reference photo", sample: FaceSample | None = None
    ) -> np.ndarray:
        """The reference photo's encoding (`reference_jitters` jitters), from the cache when this
        photo (by content) was encoded before. `sample` is the photo already decoded (and its face
        found) by the caller, used only on a miss. ImageError / FaceError propagate and nothing
        is cached."""

        def compute() -> np.ndarray:
            decoded = sample or FaceSample(load_image_bytes(photo, source), None, source)
            return self.encode(decoded, self.reference_jitters)

        return self.references.get_or_compute(self.reference_key(photo), compute)

    def compare(
        self, reference: np.ndarray, probes: Sequence[np.ndarray], combination: Combination | None = None
    ) -> MatchResult:
        """Decide on `reference` against the probe encodings, combined as configured (or as
        `combination` says: the continuity check keeps "mean_distance"). ‖r − mean(p)‖ ≤
        mean‖r − p‖ (triangle inequality); it lowers same-person distances more because frame
        noise averages out across frames while the difference between two people does not."""
        if not probes:
            raise ValueError("no probe encodings to compare")
        distances = [float(np.linalg.norm(reference - p)) for p in probes]
        if (combination or self.combination) == "mean_encoding":
            decided = float(np.linalg.norm(reference - np.mean(probes, axis=0)))
        else:
            decided = float(np.mean(distances))
        return MatchResult(decided <= self.threshold, decided, self.threshold, distances)

    def verify(self, reference: FaceSample, probes: Sequence[FaceSample]) -> MatchResult:
        """Both sides as images (the hook contract): the reference with `reference_jitters`, not
        cached (no photo bytes to key it by)."""
        ref = self.encode(reference, self.reference_jitters)
        return self.compare(ref, [self.encode(p) for p in probes])
