"""1:1 face match: 128-d dlib encodings and their Euclidean distance.

dlib's model is trained so that 0.6 separates people; a pension payment must not go to a
look-alike, so the configured threshold is stricter (config.verification.threshold < 0.6).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from onevisit.core.config import VerificationConfig
from onevisit.verification.analysis import Box, FaceAnalyzer
from onevisit.verification.errors import no_face, several_faces

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceSample:
    """An RGB image, and the face's box in it when already known (camera frames)."""

    image: np.ndarray
    box: Box | None = None
    source: str = ""


@dataclass(frozen=True)
class MatchResult:
    match: bool
    distance: float  # the decided distance: mean over the probe frames
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


class LocalMatcher:
    """The default matcher: dlib's ResNet encodings via face_recognition, on this machine."""

    def __init__(self, config: VerificationConfig, analyzer: FaceAnalyzer | None = None) -> None:
        self.threshold = config.threshold
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

    def encode(self, sample: FaceSample) -> np.ndarray:
        import face_recognition

        box = self.find_face(sample)
        encodings = face_recognition.face_encodings(sample.image, [box], num_jitters=1)
        return np.asarray(encodings[0], dtype=np.float64)

    def compare(self, reference: np.ndarray, probes: Sequence[np.ndarray]) -> MatchResult:
        if not probes:
            raise ValueError("no probe encodings to compare")
        distances = [float(np.linalg.norm(reference - p)) for p in probes]
        decided = float(np.mean(distances))
        return MatchResult(decided <= self.threshold, decided, self.threshold, distances)

    def verify(self, reference: FaceSample, probes: Sequence[FaceSample]) -> MatchResult:
        ref = self.encode(reference)
        return self.compare(ref, [self.encode(p) for p in probes])
