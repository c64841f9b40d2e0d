"""Simulated kiosk frames (onevisit.sim.camera.degrade) on a shared photo: the frames the face-match
benchmark judges, checked to be camera-like and still matched to the right person."""

from __future__ import annotations

import numpy as np

from onevisit.core.config import VerificationConfig
from onevisit.devices.camera import load_image
from onevisit.sim.camera.degrade import frame_640, frame_kiosk
from onevisit.verification.analysis import FaceAnalyzer
from onevisit.verification.matcher import FaceSample, LocalMatcher

EX = "face_recognition/examples"


def test_degraded_kiosk_frames_are_darker_one_face_and_reproducible(faces_dir) -> None:
    photo = load_image(faces_dir / f"{EX}/obama2.jpg")
    frames = [frame_kiosk(photo, np.random.default_rng(7)) for _ in range(2)]
    assert frames[0].shape == (480, 640, 3) and frames[0].dtype == np.uint8
    assert np.array_equal(frames[0], frames[1])  # seeded: the same frame on every run
    assert len(FaceAnalyzer(320).detect(frames[0])) == 1
    wide = frame_640(photo, np.random.default_rng(7))
    assert wide.shape[1] == min(640, photo.shape[1])
    assert wide.mean() < photo.mean() * 0.85  # 30 % less light


def test_kiosk_frames_of_another_photo_match_only_the_same_person(faces_dir) -> None:
    matcher = LocalMatcher(VerificationConfig())
    analyzer = FaceAnalyzer(320)
    obama_ref = matcher.encode_reference((faces_dir / f"{EX}/obama.jpg").read_bytes())
    biden_ref = matcher.encode_reference((faces_dir / f"{EX}/biden.jpg").read_bytes())
    rng = np.random.default_rng(3)
    photo = load_image(faces_dir / f"{EX}/obama2.jpg")
    probes = []
    for _ in range(3):
        frame = frame_kiosk(photo, rng)
        (box,) = analyzer.detect(frame)
        probes.append(matcher.encode(FaceSample(frame, box)))
    assert matcher.compare(obama_ref, probes).match
    impostor = matcher.compare(biden_ref, probes)
    assert not impostor.match and impostor.margin < -0.1
