"""What a kiosk camera does to a face, for matching measurements and tests: simulated frames.

The degradations (from the face-matching measurements of 2026-11-29, BENCHMARKS.md "Face
matching"): a small roll (±8°), slight defocus (Gaussian σ 0.8–1.4 px), 30 % less light, and JPEG
quality 60. Seeded by the caller's generator, so a run makes the same frames every time.
"""

from __future__ import annotations

import cv2
import numpy as np

from onevisit.sim.camera.puppet import kiosk_view


def camera_degrade(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The RGB uint8 `image` (H, W, 3) rolled, blurred, darkened and JPEG-compressed; same shape."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), float(rng.uniform(-8, 8)), 1.0)
    out = cv2.warpAffine(
        image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    out = cv2.GaussianBlur(out, (0, 0), float(rng.uniform(0.8, 1.4)))
    out = np.clip(out.astype(np.float32) * 0.7, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 60])
    if not ok:
        raise ValueError("JPEG encoding of the simulated frame failed")
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def frame_640(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The whole photo at 640 px wide (never upscaled), then the camera's degradations."""
    height, width = image.shape[:2]
    if width > 640:
        image = cv2.resize(image, (640, round(height * 640 / width)), interpolation=cv2.INTER_AREA)
    return camera_degrade(image, rng)


def frame_kiosk(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 640×480 kiosk view of a one-face photo (face 28–40 % of the width), then the camera's
    degradations. ValueError when the photo does not show exactly one face."""
    return camera_degrade(kiosk_view(image, float(rng.uniform(0.28, 0.40))), rng)
