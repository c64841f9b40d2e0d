"""Face pipeline figures: per-frame detection + landmarks at 640×480, one encoding, the liveness
loop's frames per second on one core, false match / false non-match rates on the shared photos,
and liveness outcomes on synthetic sequences.

    uv run python bench/bench_face.py [--faces ../shared/faces] [--frames 150] [--png var/face-bench]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2
import numpy as np

from onevisit.core.config import VerificationConfig
from onevisit.devices.camera import load_image, open_camera
from onevisit.sim.camera.puppet import kiosk_view
from onevisit.sim.camera.synthetic_face import SyntheticFace
from onevisit.verification.analysis import FaceAnalyzer
from onevisit.verification.liveness import LandmarkFrame, LandmarkLiveness
from onevisit.verification.matcher import FaceSample, LocalMatcher
from onevisit.verification.quality import assess

REPO = Path(__file__).resolve().parent.parent
EX = "face_recognition/examples"
LABELLED = {
    "obama": [
        f"{EX}/obama.jpg",
        f"{EX}/obama2.jpg",
        f"{EX}/knn_examples/test/obama1.jpg",
        f"{EX}/obama_small.jpg",
        f"{EX}/obama-480p.jpg",
        "face_recognition/tests/test_images/obama3.jpg",
        "face_recognition/tests/test_images/32bit.png",
        "face_recognition/tests/test_images/obama_partial_face.jpg",
        "face_recognition/tests/test_images/obama_partial_face2.jpg",
    ],
    "biden": [f"{EX}/biden.jpg", f"{EX}/knn_examples/train/biden/biden2.jpg"],
    "kit": [
        f"{EX}/knn_examples/train/kit_harington/john1.jpeg",
        f"{EX}/knn_examples/train/kit_harington/john2.jpeg",
        f"{EX}/knn_examples/test/johnsnow_test1.jpg",
    ],
    "rose": [
        f"{EX}/knn_examples/train/rose_leslie/img1.jpg",
        f"{EX}/knn_examples/train/rose_leslie/img2.jpg",
    ],
    "alex": [
        f"{EX}/knn_examples/train/alex_lacamoire/img1.jpg",
        f"{EX}/knn_examples/test/alex_lacamoire1.jpg",
        f"{EX}/alex-lacamoire.png",
    ],
    "lin": [f"{EX}/lin-manuel-miranda.png"],
}


def kiosk_frame(photo: Path) -> np.ndarray:
    return kiosk_view(load_image(photo))


def timed(fn, repeat: int) -> float:
    fn()  # warm up (model load, caches)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def per_frame(frame: np.ndarray) -> None:
    print("\n## Per frame, 640x480 (median ms)")
    for width in (320, 480, 640):
        analyzer = FaceAnalyzer(width)
        boxes = analyzer.detect(frame)
        detect = timed(lambda a=analyzer: a.detect(frame), 15)
        marks = timed(lambda a=analyzer, b=boxes[0]: a.landmarks(frame, b), 30)
        full = timed(lambda a=analyzer: a.analyze(frame), 15)
        print(
            f"detect_width={width}: HOG detect {detect:.1f} ms, 68 landmarks {marks:.1f} ms, "
            f"analyze (detect+landmarks+sharpness+pose) {full:.1f} ms"
        )
    matcher = LocalMatcher(VerificationConfig())
    box = FaceAnalyzer(320).detect(frame)[0]
    enc = timed(lambda: matcher.encode(FaceSample(frame, box)), 10)
    print(f"one 128-d encoding (face box known, num_jitters=1): {enc:.1f} ms")


def liveness_loop(frame_path: Path, frames: int) -> None:
    print(f"\n## Liveness loop on one core ({frames} frames, frames:// 640x480 still, detect_width=320)")
    config = VerificationConfig(challenge_seconds=60)
    analyzer = FaceAnalyzer(config.detect_width)
    camera = open_camera(f"frames://{frame_path}?loop=1&fps=30&max_frames={frames + 5}")
    checker = LandmarkLiveness(config)
    for _ in range(5):  # warm up
        analyzer.analyze(camera.read().image)
    start = time.perf_counter()
    status = checker.begin(["blink", "turn_left"], 0.0)
    count = 0
    while (frame := camera.read()) is not None:
        analysis = analyzer.analyze(frame.image)
        verdict = assess(analysis, config)
        face = verdict.face
        landmarks = LandmarkFrame(frame.t, face.points, analysis.image_size) if face else None
        status = checker.feed(landmarks, frame.t)
        count += 1
    elapsed = time.perf_counter() - start
    print(
        f"{count / elapsed:.1f} frames/s ({elapsed / count * 1000:.1f} ms per frame: read + detect + landmarks "
        f"+ quality + liveness); final state {status.state}"
    )


def rates(faces: Path) -> None:
    print("\n## False match / false non-match on the shared photos")
    matcher = LocalMatcher(VerificationConfig())
    enc: dict[str, tuple[str, np.ndarray]] = {}
    skipped = []
    start = time.perf_counter()
    for who, photos in LABELLED.items():
        for rel in photos:
            try:
                enc[rel] = (who, matcher.encode(FaceSample(load_image(faces / rel), source=rel)))
            except Exception as exc:
                skipped.append(f"{rel}: {getattr(exc, 'code', exc)}")
    print(f"{len(enc)} photos encoded in {time.perf_counter() - start:.1f}s; skipped: {skipped or 'none'}")
    genuine, impostor = [], []
    for a, b in itertools.combinations(enc, 2):
        d = float(np.linalg.norm(enc[a][1] - enc[b][1]))
        (genuine if enc[a][0] == enc[b][0] else impostor).append(d)
    print(
        f"{len(genuine)} same-person pairs (max distance {max(genuine):.3f}), "
        f"{len(impostor)} different-person pairs (min distance {min(impostor):.3f})"
    )
    for threshold in (0.6, 0.55, 0.5, 0.45, 0.4):
        fnm = sum(d > threshold for d in genuine)
        fm = sum(d <= threshold for d in impostor)
        print(
            f"threshold {threshold:.2f}: FMR {fm}/{len(impostor)} = {fm / len(impostor):.1%}, "
            f"FNMR {fnm}/{len(genuine)} = {fnm / len(genuine):.1%}"
        )


def synthetic(runs: int) -> None:
    print(f"\n## Liveness on synthetic landmark sequences ({runs} seeds each, 10 frames/s)")
    config = VerificationConfig(challenge_seconds=5)

    def play(face: SyntheticFace, poses: list[dict], challenges: list[str]) -> str:
        checker = LandmarkLiveness(config)
        status = checker.begin(challenges, 0.0)
        t = 0.0
        for pose in poses + [poses[-1]] * 80:
            status = checker.feed(LandmarkFrame(t, face.points(**pose), face.image_size), t)
            t += 0.1
            if status.done:
                break
        return status.state

    neutral = [{}] * 8
    blink = [{"eye_open": e} for e in (0.6, 0.2, 0.1, 0.5, 1.0)]
    turn = [{"yaw": y} for y in np.linspace(0, 30, 8)] + [{"yaw": 30}] * 3
    photo_turn = [{"photo_yaw": y} for y in np.linspace(0, 45, 8)] + [{"photo_yaw": 45}] * 3
    cases = {
        "real blink + turn_left (should pass)": (False, neutral + blink + turn, ["blink", "turn_left"]),
        "still photo (must fail)": (False, [{}], ["blink", "turn_left"]),
        "photo tilted like a turn (must fail)": (True, neutral + photo_turn, ["turn_left"]),
    }
    for label, (flat, poses, challenges) in cases.items():
        passed = 0
        for seed in range(runs):
            face = SyntheticFace(flat=flat, seed=seed, noise_px=0 if label.startswith("still") else 0.6)
            passed += play(face, poses, challenges) == "passed"
        print(f"{label}: passed {passed}/{runs}")


def pictures(frame: np.ndarray, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    analyzer = FaceAnalyzer(320)
    analysis = analyzer.analyze(frame)
    verdict = assess(analysis, VerificationConfig())
    canvas = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    for face in analysis.faces:
        top, right, bottom, left = face.box
        cv2.rectangle(canvas, (left, top), (right, bottom), (0, 200, 0), 2)
        for x, y in face.points.astype(int):
            cv2.circle(canvas, (int(x), int(y)), 2, (0, 0, 255), -1)
        cv2.putText(
            canvas,
            f"{verdict.code} yaw {face.yaw:.0f} pitch {face.pitch:.0f} sharp {face.sharpness:.0f}",
            (10, 470),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (255, 255, 255),
            2,
        )
    cv2.imwrite(str(out / "frame_annotated.png"), canvas)
    face = SyntheticFace(noise_px=0)
    tiles = []
    for label, pose in (
        ("neutral", {}),
        ("blink", {"eye_open": 0.1}),
        ("mouth", {"mouth_open_mm": 20}),
        ("turn_left", {"yaw": 30}),
        ("turn_right", {"yaw": -30}),
        ("nod", {"pitch": 20}),
        ("photo tilted", {"photo_yaw": 40}),
    ):
        flat = label.startswith("photo")
        pts = (SyntheticFace(noise_px=0, flat=True) if flat else face).points(**pose)
        tile = np.full((480, 640, 3), 255, np.uint8)
        for x, y in pts.astype(int):
            cv2.circle(tile, (int(x), int(y)), 3, (0, 0, 0), -1)
        cv2.circle(tile, tuple(int(v) for v in pts[30]), 5, (0, 0, 255), -1)
        cv2.putText(tile, label, (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
        tiles.append(cv2.resize(tile[60:420, 140:500], (240, 240)))
    cv2.imwrite(str(out / "synthetic_faces.png"), np.hstack(tiles))
    print(f"\nPNGs in {out}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "faces")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--png", type=Path, default=REPO / "var" / "face-bench")
    args = parser.parse_args()
    faces = args.faces
    if not faces.is_dir():
        faces = next(
            (p / "shared" / "faces" for p in REPO.parents if (p / "shared" / "faces").is_dir()), faces
        )
    if not faces.is_dir():
        print(f"face photos not found at {args.faces}", file=sys.stderr)
        return 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the target says
    print(f"machine: {os.cpu_count()} cores, running on one; Python {sys.version.split()[0]}")
    frame = kiosk_frame(faces / f"{EX}/obama.jpg")
    per_frame(frame)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.png"
        cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        liveness_loop(path, args.frames)
    rates(faces)
    synthetic(args.runs)
    pictures(frame, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
