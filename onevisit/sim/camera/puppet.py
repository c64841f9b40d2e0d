"""A face "puppet": one photo made to blink, open its mouth, turn and nod by warping its pixels
along synthetic landmark motion. It writes a frames:// folder the certification flow can run on,
so the whole pass path (liveness on real detections, match, record) is exercised without a live
person, and the demo's file camera can pass.

It is also exactly the attack action-liveness cannot stop (a 2D deepfake of the pensioner's own
photo): keep it out of production cameras' reach, and see docs/verification.md "Known limits".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from onevisit.sim.camera.synthetic_face import SyntheticFace
from onevisit.verification.analysis import FaceAnalyzer
from onevisit.verification.geometry import interocular

#: Poses (SyntheticFace.points keyword arguments) per action, at 10 frames/s.
ACTIONS: dict[str, list[dict[str, float]]] = {
    "still": [{}] * 8,
    "blink": [{"eye_open": e} for e in (0.6, 0.25, 0.05, 0.05, 0.4, 1.0)],
    "open_mouth": [{"mouth_open_mm": m} for m in (8, 16, 24, 32, 32, 32, 16, 0)],
    "turn_left": [{"yaw": y} for y in (6, 12, 18, 24, 28, 28, 28, 20, 10, 0)],
    "turn_right": [{"yaw": -y} for y in (6, 12, 18, 24, 28, 28, 28, 20, 10, 0)],
    "nod": [{"pitch": p} for p in (5, 10, 16, 20, 20, 14, 7, 0, 0)],
}


def kiosk_view(image: np.ndarray, face_fraction: float = 0.35) -> np.ndarray:
    """A 640×480 frame cut from a photo so its one face sits as at a kiosk (a third of the width)."""
    boxes = FaceAnalyzer(640).detect(image)
    if len(boxes) != 1:
        raise ValueError(f"the photo must show exactly one face, found {len(boxes)}")
    top, right, bottom, left = boxes[0]
    cx, cy = (left + right) / 2, (top + bottom) / 2
    width = (right - left) / face_fraction
    height = width * 3 / 4
    x0, y0 = int(max(0, cx - width / 2)), int(max(0, cy - height / 2))
    crop = image[y0 : int(y0 + height), x0 : int(x0 + width)]
    return cv2.resize(crop, (640, 480), interpolation=cv2.INTER_AREA)


def _triangles(points: np.ndarray, size: tuple[int, int]) -> list[tuple[int, int, int]]:
    width, height = size
    subdiv = cv2.Subdiv2D((0, 0, width, height))
    for x, y in points:
        subdiv.insert((float(min(max(x, 0), width - 1)), float(min(max(y, 0), height - 1))))
    triangles = []
    for t in subdiv.getTriangleList():
        corners = t.reshape(3, 2)
        idx = [int(np.argmin(((points - c) ** 2).sum(axis=1))) for c in corners]
        if len(set(idx)) == 3:
            triangles.append(tuple(idx))
    return triangles


def _warp(image: np.ndarray, src: np.ndarray, dst: np.ndarray, triangles) -> np.ndarray:
    out = image.copy()
    height, width = image.shape[:2]
    for a, b, c in triangles:
        s = np.float32([src[a], src[b], src[c]])
        d = np.float32([dst[a], dst[b], dst[c]])
        x, y, w, h = cv2.boundingRect(d)
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, width), min(y + h, height)
        if x1 <= x0 or y1 <= y0:
            continue
        # Map the destination patch back into the source (so every output pixel is filled).
        matrix = cv2.getAffineTransform(np.float32(d - [x0, y0]), s)
        patch = cv2.warpAffine(
            image,
            matrix,
            (x1 - x0, y1 - y0),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.int32(np.round(d - [x0, y0])), 1)
        region = out[y0:y1, x0:x1]
        region[mask == 1] = patch[mask == 1]
    return out


def puppet_frames(image: np.ndarray, actions: Iterable[str]) -> list[np.ndarray]:
    """RGB frames of the photo's face performing `actions` in order (10 frames/s)."""
    analyzer = FaceAnalyzer(320)
    boxes = analyzer.detect(image)
    if len(boxes) != 1:
        raise ValueError(f"the puppet photo must show exactly one face, found {len(boxes)}")
    src = analyzer.landmarks(image, boxes[0])
    height, width = image.shape[:2]
    border = np.array(
        [
            (0, 0),
            (width / 2, 0),
            (width - 1, 0),
            (width - 1, height / 2),
            (width - 1, height - 1),
            (width / 2, height - 1),
            (0, height - 1),
            (0, height / 2),
        ],
        dtype=np.float64,
    )
    model = SyntheticFace(noise_px=0)
    neutral = model.points()
    scale = interocular(src) / interocular(neutral)
    src_all = np.vstack([src, border])
    triangles = _triangles(src_all, (width, height))
    frames = []
    for action in actions:
        for pose in ACTIONS[action]:
            delta = (model.points(**pose) - neutral) * scale
            dst_all = np.vstack([src + delta, border])
            frames.append(_warp(image, src_all, dst_all, triangles))
    return frames


def write_clip(image: np.ndarray, actions: Iterable[str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(puppet_frames(image, actions)):
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder
