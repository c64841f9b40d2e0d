"""The matcher's encodings (68-point alignment, the jittered and cached reference, the mean-encoding
combination) and the flow encoding the reference while the citizen does the actions."""

from __future__ import annotations

import json
import os
import stat
import threading

import numpy as np
import pytest

from onevisit.commands.main import main
from onevisit.core.config import VerificationConfig
from onevisit.core.identity import parse_id
from onevisit.devices.camera import Camera, Frame, load_image, open_camera
from onevisit.records.backend import PensionStatus
from onevisit.sim.camera.puppet import write_clip
from onevisit.sim.records.photo_records import PhotoFileRecords
from onevisit.verification.flow import CertificationFlow, judge_match, matcher_for
from onevisit.verification.matcher import FaceSample, LocalMatcher

EX = "face_recognition/examples"
OBAMA = f"{EX}/obama.jpg"
PENSIONER = "11010519491231002X"


def test_encodings_use_the_68_point_alignment(faces_dir, matcher) -> None:
    import face_recognition

    image = load_image(faces_dir / OBAMA)
    box = matcher.find_face(FaceSample(image))
    assert matcher.model == "large"
    ours = matcher.encode(FaceSample(image, box))
    (large,) = face_recognition.face_encodings(image, [box], model="large")
    (small,) = face_recognition.face_encodings(image, [box], model="small")
    assert np.allclose(ours, large)
    assert np.linalg.norm(ours - small) > 0.05  # the two alignments give visibly different encodings
    five = LocalMatcher(VerificationConfig(encoding_model="small"))
    assert np.allclose(five.encode(FaceSample(image, box)), small)


def test_the_reference_is_jittered_once_and_cached_by_content(faces_dir) -> None:
    matcher = LocalMatcher(VerificationConfig())
    photo = (faces_dir / OBAMA).read_bytes()
    assert matcher.cached_reference(photo) is None
    first = matcher.encode_reference(photo)
    assert matcher.references.misses == 1
    again = matcher.encode_reference(photo)
    assert again is first and matcher.references.hits == 1 and matcher.references.misses == 1
    assert matcher.cached_reference(photo) is first
    assert "-large-j10-" in matcher.reference_key(photo)
    # Ten jitters move the encoding off the plain one, but it is still the same face.
    plain = matcher.encode(FaceSample(load_image(faces_dir / OBAMA)))
    assert 0.01 < np.linalg.norm(first - plain) < 0.3
    # Another photo on file (here: the same picture saved again, other bytes) is a miss.
    import cv2

    ok, other = cv2.imencode(".png", load_image(faces_dir / OBAMA)[:, :, ::-1])
    assert ok and matcher.cached_reference(other.tobytes()) is None


def test_the_decision_uses_the_distance_to_the_mean_probe_encoding() -> None:
    matcher = LocalMatcher(VerificationConfig())
    reference = np.zeros(128)
    # Three frames, each 0.6 away in a different direction (frame noise): their mean is near.
    probes = [np.eye(128)[i] * 0.6 for i in range(3)]
    result = matcher.compare(reference, probes)
    assert result.distances == pytest.approx([0.6, 0.6, 0.6])
    assert result.distance == pytest.approx(0.6 / np.sqrt(3))  # ‖mean‖ = 0.6·√3 / 3
    assert result.match and result.margin > 0
    before = matcher.compare(reference, probes, combination="mean_distance")
    assert before.distance == pytest.approx(0.6) and not before.match
    configured = LocalMatcher(VerificationConfig(probe_combination="mean_distance"))
    assert configured.compare(reference, probes).distance == pytest.approx(0.6)
    # A single frame: both rules are its own distance.
    assert matcher.compare(reference, probes[:1]).distance == pytest.approx(0.6)
    with pytest.raises(ValueError):
        matcher.compare(reference, [])


def test_continuity_keeps_the_mean_of_distances(obama_frame, analyzer, matcher) -> None:
    (box,) = analyzer.detect(obama_frame)
    shifted_image = np.roll(obama_frame, 6, axis=1)
    (shifted_box,) = analyzer.detect(shifted_image)
    begin = [FaceSample(obama_frame, box)]
    end = [FaceSample(shifted_image, shifted_box), FaceSample(obama_frame, box)]
    reference = matcher.encode(FaceSample(obama_frame), 3)
    verdict = judge_match(matcher, reference, begin, end)
    assert verdict.reason is None
    assert verdict.continuity.distance == pytest.approx(np.mean(verdict.continuity.distances))
    end_enc = [matcher.encode(s) for s in end]
    assert verdict.match.distance == pytest.approx(np.linalg.norm(reference - np.mean(end_enc, axis=0)))


class _Signalling:
    """A real camera that raises `first_read` when the flow reads its first frame."""

    def __init__(self, camera: Camera, first_read: threading.Event) -> None:
        self.camera, self.first_read = camera, first_read

    def read(self) -> Frame | None:
        self.first_read.set()
        return self.camera.read()

    def __getattr__(self, name: str):
        return getattr(self.camera, name)


class _GatedMatcher(LocalMatcher):
    """The real matcher, whose reference encoding cannot finish before the camera has started:
    a flow that encoded the reference before the actions would stop here (and the test fail)."""

    def __init__(self, config: VerificationConfig, camera_started: threading.Event) -> None:
        super().__init__(config)
        self.camera_started = camera_started
        self.threads: list[str] = []

    def encode_reference(self, photo: bytes, source: str = "reference photo", sample=None) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        if not self.camera_started.wait(timeout=60):
            raise AssertionError("the reference encoding waited for a camera that never started")
        return super().encode_reference(photo, source, sample)


def test_the_reference_is_encoded_while_the_citizen_does_the_actions(
    config, clock, tmp_path, obama_frame, faces_dir, analyzer
) -> None:
    clip = write_clip(
        obama_frame, ["still", "blink", "still", "turn_left", "still", "still"], tmp_path / "clip"
    )
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / f"{EX}/obama2.jpg")  # another photo of the same man
    started = threading.Event()
    matcher = _GatedMatcher(config.verification, started)
    vconf = config.verification.model_copy(update={"challenge_seconds": 8})
    flow = CertificationFlow(
        config.model_copy(update={"verification": vconf}), records, clock, matcher=matcher, analyzer=analyzer
    )
    camera = _Signalling(open_camera(f"frames://{clip}"), started)
    result = flow.run(pid, camera, ["blink", "turn_left"])
    assert result.outcome == "passed", result.to_dict()
    assert matcher.threads and all(name.startswith("face-reference") for name in matcher.threads)
    assert matcher.references.misses == 1
    # Next year (or the next attempt): the photo on file is a cache hit, nothing is encoded again.
    records.status = PensionStatus(True)
    again = CertificationFlow(
        config.model_copy(update={"verification": vconf}), records, clock, matcher=matcher, analyzer=analyzer
    )
    result = again.run(pid, _Signalling(open_camera(f"frames://{clip}"), started), ["blink", "turn_left"])
    assert result.outcome == "passed"
    assert len(matcher.threads) == 1 and matcher.references.hits >= 1 and matcher.references.misses == 1


def test_verify_face_cli_encodes_as_configured_and_takes_overrides(faces_dir, capsys) -> None:
    a, b = str(faces_dir / OBAMA), str(faces_dir / f"{EX}/obama2.jpg")
    assert main(["verify-face", a, b]) == 0
    now = json.loads(capsys.readouterr().out)
    assert main(["verify-face", "--model", "small", "--ref-jitters", "1", a, b]) == 0
    before = json.loads(capsys.readouterr().out)
    assert set(now) == set(before) == {"ref", "probe", "match", "distance", "threshold", "margin"}
    assert now["match"] and before["match"] and now["distance"] != before["distance"]
    assert main(["verify-face", "--ref-jitters", "0", a, b]) == 2
    assert "--ref-jitters" in capsys.readouterr().err


def test_a_cache_folder_in_config_is_used_and_pruned_by_the_flow(config, clock, tmp_path, faces_dir) -> None:
    vconf = config.verification.model_copy(update={"reference_cache_dir": str(tmp_path / "refs")})
    security = config.security.model_copy(update={"secrets_dir": str(tmp_path / "secrets")})
    cached = config.model_copy(update={"verification": vconf, "security": security})
    built = matcher_for(cached)
    assert isinstance(built, LocalMatcher) and built.references.directory == tmp_path / "refs"
    assert stat.S_IMODE((tmp_path / "secrets" / "face-refs.key").stat().st_mode) == 0o600
    assert matcher_for(config).references.directory is None  # the default: memory only
    # A photo encoded a year and more ago is deleted when the next certification starts.
    photo = (faces_dir / OBAMA).read_bytes()
    built.encode_reference(photo)
    (path,) = (tmp_path / "refs").rglob("*.npy")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    old = clock.now().timestamp() - 401 * 86400
    os.utime(path, (old, old))
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / f"{EX}/two_people.jpg")
    flow = CertificationFlow(cached, records, clock, matcher=built)
    assert flow.run(pid, open_camera(f"frames://{faces_dir / OBAMA}")).reason == "reference_unusable"
    assert not path.exists()
