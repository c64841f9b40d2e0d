"""Per-frame face analysis: HOG detection on a downscaled frame, 68 landmarks on the full frame,
and the measurements the quality gate needs (size, sharpness, light, pose).

Only dlib's HOG detector is used: the CNN detector takes seconds per frame on a kiosk's CPU.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import cache

import cv2
import dlib
import numpy as np

from onevisit.verification import geometry

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # top, right, bottom, left: face_recognition's order


@cache
def shape_predictor() -> dlib.shape_predictor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # face_recognition_models imports the deprecated pkg_resources
        import face_recognition_models

    return dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())


@cache
def hog_detector() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


@dataclass(frozen=True)
class FaceObservation:
    box: Box
    points: np.ndarray  # (68, 2) float pixels in the full frame
    sharpness: float  # variance of the Laplacian of the face crop at a fixed size
    brightness: float  # mean grey level of the face crop, 0..255
    yaw: float
    pitch: float

    @property
    def width(self) -> int:
        return self.box[1] - self.box[3]

    @property
    def frontality(self) -> float:
        """1.0 looking straight at the camera, falling off as the head turns or tilts."""
        return float(max(0.0, 1.0 - (abs(self.yaw) + abs(self.pitch)) / 60.0))


@dataclass(frozen=True)
class FrameAnalysis:
    image_size: tuple[int, int]
    faces: list[FaceObservation]

    @property
    def single(self) -> FaceObservation | None:
        return self.faces[0] if len(self.faces) == 1 else None


class FaceAnalyzer:
    """Detect and measure faces in RGB frames. `detect_width` (applied to the longer side) trades
    small-face reach for speed: 320 px finds faces down to ~80 px wide in a 640×480 frame at
    ~30 ms on one core."""

    def __init__(self, detect_width: int = 320, upsample: int = 1) -> None:
        self.detect_width = detect_width
        self.upsample = upsample
        self._detector = hog_detector()
        self._predictor = shape_predictor()

    def detect(self, image: np.ndarray) -> list[Box]:
        height, width = image.shape[:2]
        # The longer side is capped, so a portrait photo costs no more than a landscape frame.
        scale = min(1.0, self.detect_width / max(width, height))
        small = (
            image
            if scale == 1.0
            else cv2.resize(
                image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA
            )
        )
        rects = self._detector(small, self.upsample)
        boxes: list[Box] = []
        for r in rects:
            top = max(0, round(r.top() / scale))
            left = max(0, round(r.left() / scale))
            bottom = min(height, round(r.bottom() / scale))
            right = min(width, round(r.right() / scale))
            if right - left > 4 and bottom - top > 4:
                boxes.append((top, right, bottom, left))
        return boxes

    def landmarks(self, image: np.ndarray, box: Box) -> np.ndarray:
        top, right, bottom, left = box
        shape = self._predictor(image, dlib.rectangle(left, top, right, bottom))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def observe(self, image: np.ndarray, box: Box) -> FaceObservation:
        points = self.landmarks(image, box)
        sharpness, brightness = crop_quality(image, box)
        yaw, pitch, _ = geometry.head_pose(points, (image.shape[1], image.shape[0]))
        return FaceObservation(box, points, sharpness, brightness, yaw, pitch)

    def analyze(self, image: np.ndarray) -> FrameAnalysis:
        boxes = self.detect(image)
        faces = [self.observe(image, box) for box in boxes]
        return FrameAnalysis((int(image.shape[1]), int(image.shape[0])), faces)


def crop_quality(image: np.ndarray, box: Box) -> tuple[float, float]:
    """(sharpness, brightness) of the face crop, measured at a fixed 128 px width so a large and a
    small face of the same focus score alike."""
    top, right, bottom, left = box
    crop = image[max(0, top) : bottom, max(0, left) : right]
    if crop.size == 0:
        return 0.0, 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    height = max(1, round(grey.shape[0] * 128 / max(grey.shape[1], 1)))
    grey = cv2.resize(grey, (128, height), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()), float(grey.mean())
