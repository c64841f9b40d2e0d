"""A synthetic 68-point face for driving the liveness logic without a camera.

A 3D face in millimetres (same axes as geometry.MODEL_3D) is posed, its eyelids and jaw moved,
and projected through a pinhole camera, with pixel noise like dlib's. Tests and the benchmark use
it to play a real blink, a head turn, a nod, a held-up photo (flattened face), a photo tilted
in the hand, or a different person's proportions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from onevisit.verification.geometry import MODEL_3D, camera_matrix


def _base_face() -> np.ndarray:
    pts = np.zeros((68, 3))
    for i in range(17):  # jaw from the image-left ear down to the chin and up again
        theta = math.pi - i * math.pi / 16
        pts[i] = (70 * math.cos(theta), -30 + 100 * math.sin(theta), 20 + 50 * math.cos(theta) ** 2)
    for k, x in enumerate(np.linspace(-60, -12, 5)):  # brows
        pts[17 + k] = (x, -55 - 8 * math.sin(math.pi * k / 4), 25)
        pts[26 - k] = (-x, -55 - 8 * math.sin(math.pi * k / 4), 25)
    pts[27:36] = [
        MODEL_3D[27],
        MODEL_3D[28],
        MODEL_3D[29],
        MODEL_3D[30],
        MODEL_3D[31],
        (-7, 10, 11),
        MODEL_3D[33],
        (7, 10, 11),
        MODEL_3D[35],
    ]
    pts[36:42] = [
        (-45, -35, 30),
        (-35, -40, 30),
        (-25, -40, 29),
        (-15, -35, 27),
        (-25, -30, 29),
        (-35, -30, 30),
    ]
    pts[42:48] = [(15, -35, 27), (25, -40, 29), (35, -40, 30), (45, -35, 30), (35, -30, 30), (25, -30, 29)]
    pts[48:60] = [
        (-25, 35, 25),
        (-15, 30, 20),
        (-5, 29, 17),
        (0, 30, 16),
        (5, 29, 17),
        (15, 30, 20),
        (25, 35, 25),
        (15, 42, 20),
        (5, 45, 17),
        (0, 45, 16),
        (-5, 45, 17),
        (-15, 42, 20),
    ]
    pts[60:68] = [
        (-20, 35, 23),
        (-7, 34, 18),
        (0, 34, 17),
        (7, 34, 18),
        (20, 35, 23),
        (7, 36, 18),
        (0, 36, 17),
        (-7, 36, 18),
    ]
    return pts


BASE_FACE = _base_face()


@dataclass
class SyntheticFace:
    """One person in front of a 640×480 camera. `proportions` distort the face (a different person);
    `flat=True` makes it a printed photo (all points at one depth)."""

    image_size: tuple[int, int] = (640, 480)
    distance_mm: float = 450.0
    noise_px: float = 0.6
    flat: bool = False
    proportions: tuple[float, float] = (1.0, 1.0)
    seed: int = 1

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self.model = BASE_FACE.copy()
        self.model[:, 0] *= self.proportions[0]
        self.model[:, 1] *= self.proportions[1]
        if self.flat:
            self.model[:, 2] = 25.0

    def points(
        self,
        yaw: float = 0.0,
        pitch: float = 0.0,
        roll: float = 0.0,
        eye_open: float = 1.0,
        mouth_open_mm: float = 0.0,
        shift_px: tuple[float, float] = (0.0, 0.0),
        photo_yaw: float = 0.0,
        photo_pitch: float = 0.0,
        noise: bool = True,
    ) -> np.ndarray:
        """Landmarks in pixels. Head angles in degrees (yaw > 0: the citizen's own left; pitch > 0:
        down); `photo_yaw`/`photo_pitch` turn the whole face as a rigid card about its own plane."""
        p = self.model.copy()
        # Eyelids: move the upper and lower lid points towards the eye's midline.
        for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
            mid = (p[upper, 1] + p[lower, 1]) / 2
            half = (p[lower, 1] - p[upper, 1]) / 2
            p[upper, 1] = mid - half * eye_open
            p[lower, 1] = mid + half * eye_open
        if mouth_open_mm:
            # The lower lip and chin drop with the jaw.
            for i in (*range(55, 60), *range(65, 68), *range(5, 12)):
                weight = 1.0 if i >= 55 else 1.0 - abs(i - 8) / 4.0
                p[i, 1] += mouth_open_mm * weight
        # The synthetic head rotates about a neck pivot behind the face, like a real one.
        pivot = np.array([0.0, 20.0, 90.0])
        rot = _rotation(yaw + photo_yaw, pitch + photo_pitch, roll)
        p = (p - pivot) @ rot.T + pivot
        p[:, 2] += self.distance_mm
        cam = camera_matrix(self.image_size)
        uv = p[:, :2] / p[:, 2:3] * cam[0, 0] + cam[:2, 2]
        uv += np.array(shift_px)
        if noise and self.noise_px:
            uv += self.rng.normal(0.0, self.noise_px, uv.shape)
        return uv


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    # Signs chosen to match geometry.head_pose: yaw > 0 moves the nose to the image right.
    a, b, c = math.radians(-yaw), math.radians(pitch), math.radians(roll)
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return rz @ rx @ ry
