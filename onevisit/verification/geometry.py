"""Pure landmark geometry: eye and mouth aspect ratios, head pose, and planarity.

Everything here works on a (68, 2) array in dlib's iBUG-300W order, so the liveness logic can be
driven by real detections and by synthetic landmark sequences alike.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

RIGHT_EYE = slice(36, 42)  # the citizen's right eye: image left on an unmirrored camera
LEFT_EYE = slice(42, 48)
INNER_MOUTH = slice(60, 68)

#: Points whose relative position a smile, a blink or an open mouth does not change: eye corners
#: and the nose. Head pose and the planarity test use only these.
RIGID = np.array([27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45])

#: A generic head for solvePnP, in millimetres: x to the image right, y down, z away from the
#: camera, nose tip at the origin. A frontal face then has the identity rotation, which makes the
#: angles easy to read. Proportions from adult anthropometry (outer eye corners ~90 mm apart, the
#: nose tip ~30 mm in front of them).
MODEL_3D: dict[int, tuple[float, float, float]] = {
    27: (0.0, -38.0, 18.0),
    28: (0.0, -27.0, 12.0),
    29: (0.0, -15.0, 6.0),
    30: (0.0, 0.0, 0.0),
    31: (-13.0, 8.0, 14.0),
    33: (0.0, 11.0, 10.0),
    35: (13.0, 8.0, 14.0),
    36: (-45.0, -35.0, 30.0),
    39: (-15.0, -35.0, 27.0),
    42: (15.0, -35.0, 27.0),
    45: (45.0, -35.0, 30.0),
}
_MODEL_POINTS = np.array([MODEL_3D[i] for i in RIGID], dtype=np.float64)


def eye_aspect_ratio(eye: np.ndarray) -> float:
    """Soukupová & Čech: eyelid opening over eye width; falls towards 0 as the eye closes."""
    vertical = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
    horizontal = np.linalg.norm(eye[0] - eye[3])
    return float(vertical / (2.0 * horizontal)) if horizontal > 1e-6 else 0.0


def ear(points: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes."""
    return (eye_aspect_ratio(points[RIGHT_EYE]) + eye_aspect_ratio(points[LEFT_EYE])) / 2.0


def mouth_aspect_ratio(points: np.ndarray) -> float:
    """Inner-lip opening over inner-lip width: ~0 closed, 0.4+ wide open."""
    m = points[INNER_MOUTH]
    vertical = np.linalg.norm(m[1] - m[7]) + np.linalg.norm(m[2] - m[6]) + np.linalg.norm(m[3] - m[5])
    horizontal = np.linalg.norm(m[0] - m[4])
    return float(vertical / (3.0 * horizontal)) if horizontal > 1e-6 else 0.0


def interocular(points: np.ndarray) -> float:
    """Outer eye corner distance in pixels: the face's own ruler."""
    return float(np.linalg.norm(points[45] - points[36]))


def camera_matrix(image_size: tuple[int, int]) -> np.ndarray:
    width, height = image_size
    focal = float(width)  # a typical webcam's field of view is close to 53°, i.e. f ≈ width
    return np.array([[focal, 0, width / 2.0], [0, focal, height / 2.0], [0, 0, 1]], dtype=np.float64)


def head_pose(points: np.ndarray, image_size: tuple[int, int]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees. yaw > 0: the citizen turned to their own left (the nose moves
    to the image right on an unmirrored camera); pitch > 0: looking down."""
    image_points = np.ascontiguousarray(points[RIGID], dtype=np.float64)
    cam = camera_matrix(image_size)
    # Start from a frontal pose at a plausible distance so the solver never flips behind the camera.
    rvec = np.zeros((3, 1))
    scale = interocular(points) or 1.0
    tz = cam[0, 0] * 90.0 / scale
    centre = image_points[RIGID.tolist().index(30)]
    tvec = np.array(
        [[(centre[0] - cam[0, 2]) * tz / cam[0, 0]], [(centre[1] - cam[1, 2]) * tz / cam[1, 1]], [tz]]
    )
    ok, rvec, tvec = cv2.solvePnP(
        _MODEL_POINTS,
        image_points,
        cam,
        None,
        rvec,
        tvec,
        useExtrinsicGuess=True,
        flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        return 0.0, 0.0, 0.0
    rotation, _ = cv2.Rodrigues(rvec)
    angles, *_ = cv2.RQDecomp3x3(rotation)
    pitch, yaw_model, roll = (float(a) for a in angles)
    return -yaw_model, pitch, roll


def planarity_residual(reference: np.ndarray, current: np.ndarray) -> float:
    """How badly an affine map explains the rigid points' motion from `reference` to `current`,
    as a fraction of the interocular distance.

    A flat photo turned or tilted in front of the camera moves its landmarks (almost exactly) by an
    affine map; a real head turning moves the nose against the eye corners because they lie at
    different depths, which no affine map reproduces. solvePnP alone would read both as a turn."""
    src = np.asarray(reference[RIGID], dtype=np.float64)
    dst = np.asarray(current[RIGID], dtype=np.float64)
    design = np.hstack([src, np.ones((len(src), 1))])
    solution, *_ = np.linalg.lstsq(design, dst, rcond=None)
    residual = dst - design @ solution
    rms = math.sqrt(float((residual**2).sum(axis=1).mean()))
    return rms / max(interocular(reference), 1e-6)


def similarity_residual(reference: np.ndarray, current: np.ndarray) -> float:
    """Landmark change left after removing translation, rotation and scale (all 68 points), as a
    fraction of the interocular distance: ~0 for a photo moved around, larger for any expression
    or head movement."""
    src = np.asarray(reference, dtype=np.float64)
    dst = np.asarray(current, dtype=np.float64)
    matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.LMEDS)
    if matrix is None:
        return 1.0
    mapped = src @ matrix[:, :2].T + matrix[:, 2]
    rms = math.sqrt(float(((dst - mapped) ** 2).sum(axis=1).mean()))
    return rms / max(interocular(current), 1e-6)
