"""The certification flow on real frames from the frames:// simulator, the quality gate on real
photos, the start/end/reference comparison, audit snapshots and the hooks."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest

from onevisit.commands.main import main
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import parse_id
from onevisit.devices.camera import load_image, load_image_bytes, open_camera
from onevisit.records.backend import PensionStatus
from onevisit.sim.records.photo_records import PhotoFileRecords
from onevisit.verification.analysis import FrameAnalysis
from onevisit.verification.audit import AuditStore
from onevisit.verification.flow import CertificationFlow, judge_match
from onevisit.verification.hooks import build_liveness, build_matcher, load_class
from onevisit.verification.liveness import LandmarkLiveness
from onevisit.verification.matcher import FaceSample, LocalMatcher
from onevisit.verification.quality import assess

PENSIONER = "11010519491231002X"
OBAMA = "face_recognition/examples/obama.jpg"


def save_rgb(path: Path, image: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def fast(config, **changes):
    """The hall's config with short challenge limits so a still photo fails in a few frames."""
    verification = config.verification.model_copy(update={"challenge_seconds": 1.5, **changes})
    return config.model_copy(update={"verification": verification})


@pytest.fixture
def still(tmp_path: Path, obama_frame: np.ndarray) -> Path:
    return save_rgb(tmp_path / "still.jpg", obama_frame)


def _flow(config, records, clock, matcher, analyzer, events=None, prompts=None):
    return CertificationFlow(
        config,
        records,
        clock,
        kiosk="kiosk-test",
        emit=(events.append if events is not None else None),
        on_prompt=(lambda zh, en: prompts.append(zh)) if prompts is not None else None,
        matcher=matcher,
        analyzer=analyzer,
        rng=random.Random(5),
    )


def test_a_still_photo_repeated_never_passes(config, clock, still, faces_dir, matcher, analyzer) -> None:
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / OBAMA)
    events: list[dict] = []
    prompts: list[str] = []
    flow = _flow(fast(config), records, clock, matcher, analyzer, events, prompts)
    camera = open_camera(f"frames://{still}?loop=1&fps=10")
    result = flow.run(pid, camera, ["blink", "turn_left"])
    assert result.outcome == "failed"
    assert len(result.attempts) == 3
    for attempt in result.attempts:
        assert not attempt.passed
        assert attempt.reason in ("static_face", "challenge_timeout")
        assert attempt.match is None  # never got as far as the match
    assert result.window_tag and result.window_tag.startswith("pension certification failed: ")
    assert [e["type"].split(".")[1] for e in events] == ["started", *["attempt_failed"] * 3, "failed"]
    assert all(e["id"] == "110105********002X" for e in events)
    assert max(len(json.dumps(e)) for e in events) < 400  # events carry no images
    assert "请眨眨眼" in prompts
    # The failure is on record for the window; nothing certified.
    assert len(records.results) == 1 and not records.results[0].passed
    assert records.pension_status(pid).certified_until is None
    body = result.to_dict()
    assert body["attempts"][0]["reason_zh"] and "11010519491231002X" not in json.dumps(body)


def test_a_shaking_still_photo_with_random_challenges_never_passes(
    config, clock, still, faces_dir, matcher, analyzer
) -> None:
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / OBAMA)
    flow = _flow(fast(config, max_attempts=2), records, clock, matcher, analyzer)
    result = flow.run(pid, open_camera(f"frames://{still}?loop=1&fps=10&jitter=3&seed=2"))
    assert result.outcome == "failed" and len(result.attempts) == 2
    assert all(a.reason in ("static_face", "challenge_timeout", "flat_face") for a in result.attempts)


def test_camera_disappearing_ends_the_visit_with_a_window_tag(
    config, clock, still, faces_dir, matcher, analyzer
) -> None:
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / OBAMA)
    flow = _flow(fast(config), records, clock, matcher, analyzer)
    result = flow.run(pid, open_camera(f"frames://{still}?loop=1&fail_after=6"))
    assert result.outcome == "failed" and result.reason == "camera_fault"
    assert len(result.attempts) == 1 and result.attempts[0].frames == 6
    assert result.window_tag == "pension certification failed: The camera failed"


def test_reference_without_a_face_goes_to_a_window(
    config, clock, still, faces_dir, matcher, analyzer
) -> None:
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / "face_recognition/examples/two_people.jpg")
    camera = open_camera(f"frames://{still}?loop=1")
    result = _flow(fast(config), records, clock, matcher, analyzer).run(pid, camera)
    assert result.reason == "reference_unusable" and result.attempts == []
    assert camera.health().frames == 0


def test_already_certified_is_not_due(config, clock, still, faces_dir, matcher, analyzer) -> None:
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(pid, faces_dir / OBAMA)
    records.status = PensionStatus(True, None, dt.date(2027, 6, 30))
    camera = open_camera(f"frames://{still}")
    result = _flow(fast(config), records, clock, matcher, analyzer).run(pid, camera)
    assert result.outcome == "not_due" and result.certified_until == "2027-06-30"
    assert "2027-06-30" in result.message[0]
    records.status = PensionStatus(False)
    with pytest.raises(OneVisitError) as exc:
        _flow(fast(config), records, clock, matcher, analyzer).run(pid, camera)
    assert exc.value.code == "not_pensioner"


def _sample(image: np.ndarray, analyzer) -> FaceSample:
    (box,) = analyzer.detect(image)
    return FaceSample(image, box)


def test_face_swap_between_challenges_and_match_fails(obama_frame, biden_frame, analyzer, matcher) -> None:
    obama, biden = _sample(obama_frame, analyzer), _sample(biden_frame, analyzer)
    shifted = _sample(np.roll(obama_frame, 6, axis=1), analyzer)
    obama_ref = matcher.encode(FaceSample(obama_frame))
    biden_ref = matcher.encode(FaceSample(biden_frame))
    # Live person A did the actions, then a photo of the pensioner B was held up for the match.
    swap = judge_match(matcher, biden_ref, [obama, shifted], [biden])
    assert swap.reason == "face_changed"
    assert swap.match is not None and swap.match.match  # B alone would have matched
    # Same person throughout, but not the pensioner.
    other = judge_match(matcher, obama_ref, [biden], [biden])
    assert other.reason == "no_match" and other.match.margin < 0
    ok = judge_match(matcher, obama_ref, [obama], [shifted, obama])
    assert ok.reason is None and ok.match.margin > 0 and "margin" in ok.detail
    # A matcher without encode(): the flow falls back to its verify().
    remote = judge_match(_VerifyOnly(matcher), FaceSample(obama_frame), [obama], [biden])
    assert remote.reason == "face_changed"


class _VerifyOnly:
    """A provincial platform's matcher exposes only verify(); backed here by the real one."""

    def __init__(self, real: LocalMatcher) -> None:
        self.threshold = real.threshold
        self._real = real

    def verify(self, reference, probes):
        return self._real.verify(reference, probes)


def test_quality_gate_prompts_on_real_frames(config, obama_frame, faces_dir, analyzer) -> None:
    v = config.verification

    def code(image: np.ndarray) -> str:
        return assess(analyzer.analyze(image), v).code

    assert code(obama_frame) == "ok"
    dark = (obama_frame * 0.2).astype(np.uint8)
    verdict = assess(analyzer.analyze(dark), v)
    assert verdict.code == "too_dark" and verdict.prompt[0] == "光线太暗"
    blurred = cv2.GaussianBlur(obama_frame, (0, 0), 4)
    assert code(blurred) == "blurry"
    far = np.full((480, 640, 3), 128, np.uint8)
    far[180:300, 260:420] = cv2.resize(obama_frame, (160, 120))
    verdict = assess(analyzer.analyze(far), v)
    assert verdict.code in ("too_far", "no_face")
    if verdict.code == "too_far":
        assert verdict.prompt[0] == "请靠近一点"
    two = load_image(faces_dir / "face_recognition/examples/two_people.jpg", max_side=640)
    assert assess(analyzer.analyze(two), v).prompt[0] == "检测到多张人脸"
    assert assess(FrameAnalysis((640, 480), []), v).prompt[0] == "未检测到人脸"
    assert assess(analyzer.analyze(np.full((480, 640, 3), 90, np.uint8)), v).code == "no_face"


def test_quality_gate_wants_a_frontal_face(config) -> None:
    from onevisit.verification.analysis import FaceObservation

    face = FaceObservation((100, 400, 400, 100), np.zeros((68, 2)), 300.0, 120.0, yaw=35.0, pitch=0.0)
    verdict = assess(FrameAnalysis((640, 480), [face]), config.verification)
    assert verdict.code == "not_frontal" and verdict.prompt[0] == "请正对屏幕"
    assert verdict.usable_for_liveness  # a turned head is what a turn challenge needs


def test_audit_snapshots_are_encrypted_and_pruned(
    config, clock, still, faces_dir, matcher, analyzer, tmp_path
):
    security = config.security.model_copy(update={"secrets_dir": str(tmp_path / "secrets")})
    audited = fast(config, audit_snapshots=True, audit_dir=str(tmp_path / "audit"), max_attempts=1)
    audited = audited.model_copy(update={"security": security})
    pid = parse_id(PENSIONER)
    flow = _flow(audited, PhotoFileRecords(pid, faces_dir / OBAMA), clock, matcher, analyzer)
    flow.run(pid, open_camera(f"frames://{still}?loop=1"), ["blink"])
    snaps = list((tmp_path / "audit").glob("*.snap"))
    assert len(snaps) == 1
    raw = snaps[0].read_bytes()
    assert b"\xff\xd8" not in raw[:64] and b"JFIF" not in raw  # not a readable JPEG
    key = tmp_path / "secrets" / "audit.key"
    assert key.stat().st_mode & 0o077 == 0
    store = AuditStore(tmp_path / "audit", key, 30)
    meta, image = store.read(snaps[0])
    assert meta["id"] == "110105********002X" and meta["passed"] is False
    assert image.shape == (480, 640, 3)
    assert store.prune(clock.now() + dt.timedelta(days=29)) == 0
    assert store.prune(clock.now() + dt.timedelta(days=31)) == 1
    assert not list((tmp_path / "audit").glob("*.snap"))
    # Without the flag, nothing is written.
    flow = _flow(
        fast(config, audit_dir=str(tmp_path / "none")),
        PhotoFileRecords(pid, faces_dir / OBAMA),
        clock,
        matcher,
        analyzer,
    )
    flow.run(pid, open_camera(f"frames://{still}?loop=1&fail_after=10"), ["blink"])
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize(
    "path",
    ["onevisit.verification.matcher", "no.such.module:Matcher", "onevisit.verification.matcher:Nope", ":X"],
)
def test_hook_paths_fail_clearly(path: str) -> None:
    with pytest.raises(OneVisitError) as exc:
        load_class(path, "matcher")
    assert exc.value.code == "verification_hook"
    assert "verification.matcher" in exc.value.en


def test_hooks_build_the_configured_classes(config) -> None:
    assert isinstance(build_matcher(config.verification), LocalMatcher)
    assert isinstance(build_liveness(config.verification), LandmarkLiveness)
    wrong = config.verification.model_copy(
        update={"matcher": "onevisit.verification.liveness:LandmarkLiveness"}
    )
    with pytest.raises(OneVisitError, match="lacks verify"):
        build_matcher(wrong)


def test_certify_command_on_a_still_photo(tmp_path, still, faces_dir, capsys) -> None:
    repo_config = Path(__file__).resolve().parents[2] / "config.toml"
    text = repo_config.read_text(encoding="utf-8")
    assert "max_attempts = 3\n" in text
    text = text.replace("max_attempts = 3\n", "max_attempts = 1\nchallenge_seconds = 1.0\n", 1)
    text = text.replace('secrets_dir = "var/secrets"', f'secrets_dir = "{tmp_path}/secrets"')
    assert 'database = "var/records.db"' in text
    text = text.replace('database = "var/records.db"', f'database = "{tmp_path}/records.db"')
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    code = main(
        [
            "certify",
            "--config",
            str(cfg),
            "--id",
            PENSIONER,
            "--camera",
            f"frames://{still}?loop=1",
            "--challenges",
            "blink,turn_left",
            "--reference",
            str(faces_dir / OBAMA),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    body = json.loads(captured.out)
    assert body["outcome"] == "failed" and body["window_tag"].startswith("pension certification failed")
    assert body["attempts"][0]["challenges"] == ["blink", "turn_left"]
    assert "pension_certification.started" in captured.err
    assert PENSIONER not in captured.out + captured.err
    # Without --reference: the demo records backend (seeded on first use) supplies the photo.
    import datetime as _dt

    from onevisit.sim.records.demo_backend import demo_id, seed_demo

    seed_demo(tmp_path / "records.db", _dt.date.today(), faces_dir=faces_dir)
    due = demo_id("pensioner_due").value
    code = main(["certify", "--config", str(cfg), "--id", due, "--camera", f"frames://{still}?loop=1"])
    captured = capsys.readouterr()
    assert code == 1 and "FAILED" in captured.out and "window ticket tag" in captured.out
    assert due not in captured.out + captured.err
    assert (tmp_path / "records.db").exists()
    bad = main(
        [
            "certify",
            "--config",
            str(cfg),
            "--id",
            PENSIONER,
            "--camera",
            "frames:///nope",
            "--reference",
            str(faces_dir / OBAMA),
        ]
    )
    assert bad == 2 and "camera_unavailable" in capsys.readouterr().err
    wrong = main(
        [
            "certify",
            "--config",
            str(cfg),
            "--id",
            PENSIONER,
            "--challenges",
            "wink",
            "--reference",
            str(faces_dir / OBAMA),
        ]
    )
    assert wrong == 2


def test_certify_against_the_demo_records_backend(
    config, clock, tmp_path, faces_dir, matcher, analyzer
) -> None:
    """The demo pensioner due for certification holds up their own photo: refused, and the
    failed attempt is on their record for the window; their certified-until does not move."""
    from onevisit.sim.records.demo_backend import demo_id, ensure_seeded

    records_conf = config.records.model_copy(update={"database": str(tmp_path / "records.db")})
    cfg = fast(config, max_attempts=1).model_copy(update={"records": records_conf})
    today = clock.now().date()
    backend = ensure_seeded(cfg, today, faces_dir)
    pid = demo_id("pensioner_due", today)
    before = backend.pension_status(pid)
    assert before.due(today)
    photo = load_image_bytes(backend.reference_photo(pid))
    frame = tmp_path / "held-up.jpg"
    save_rgb(frame, cv2.resize(photo, (640, 480)))
    events: list[dict] = []
    result = _flow(cfg, backend, clock, matcher, analyzer, events).run(
        pid, open_camera(f"frames://{frame}?loop=1"), ["open_mouth"]
    )
    assert result.outcome == "failed"
    attempts = backend.certification_attempts(pid)
    assert len(attempts) == 1 and attempts[0]["passed"] is False and attempts[0]["method"] == "face_kiosk"
    assert backend.pension_status(pid).certified_until == before.certified_until
    # No photo on file: straight to a window, the camera never used.
    incomplete = demo_id("incomplete", today)
    assert backend.pension_status(incomplete).due(today)
    camera = open_camera(f"frames://{frame}")
    result = _flow(cfg, backend, clock, matcher, analyzer).run(incomplete, camera)
    assert result.reason == "reference_unusable" and camera.health().frames == 0
    assert (
        result.window_tag == "pension certification failed: The photo on file cannot be used for comparison"
    )
    # A demo pensioner already certified is told so without the camera.
    certified = demo_id("pensioner_certified", today)
    camera = open_camera(f"frames://{frame}")
    assert _flow(cfg, backend, clock, matcher, analyzer).run(certified, camera).outcome == "not_due"


# -- the pass path, on a photo made to move (see onevisit/sim/camera/puppet.py) -----------


def _clip(folder: Path, parts: list[np.ndarray]) -> Path:
    folder.mkdir()
    for i, frame in enumerate(parts):
        save_rgb(folder / f"{i:05d}.jpg", frame)
    return folder


def test_a_face_doing_the_actions_passes_and_is_recorded(
    config, clock, tmp_path, obama_frame, faces_dir, matcher, analyzer
) -> None:
    from onevisit.sim.camera.puppet import puppet_frames

    frames = puppet_frames(obama_frame, ["still", "blink", "still", "turn_left", "still", "still"])
    clip = _clip(tmp_path / "clip", frames)
    pid = parse_id(PENSIONER)
    # The reference is a different photo of the same man.
    records = PhotoFileRecords(pid, faces_dir / "face_recognition/examples/obama2.jpg")
    events: list[dict] = []
    prompts: list[str] = []
    flow = _flow(fast(config, challenge_seconds=8), records, clock, matcher, analyzer, events, prompts)
    result = flow.run(pid, open_camera(f"frames://{clip}"), ["blink", "turn_left"])
    assert result.outcome == "passed", result.to_dict()
    attempt = result.attempts[0]
    assert attempt.completed == ["blink", "turn_left"]
    assert attempt.match and attempt.match["match"] and attempt.match["margin"] > 0
    assert attempt.continuity and attempt.continuity["match"]
    assert result.certified_until == "2027-11-23"
    assert records.results[-1].passed and records.results[-1].method == "face_kiosk"
    assert records.results[-1].distance == attempt.match["distance"]
    assert [e["type"].split(".")[1] for e in events] == ["started", "passed"]
    assert prompts[:3] == ["请正对屏幕，保持不动", "请眨眨眼", "请向左转头"]
    # Asked for other actions, the same clip does not pass.
    again = _flow(fast(config, challenge_seconds=8, max_attempts=1), records, clock, matcher, analyzer)
    records.status = PensionStatus(True)
    result = again.run(pid, open_camera(f"frames://{clip}"), ["nod", "open_mouth"])
    assert result.outcome == "failed" and result.attempts[0].reason in ("challenge_timeout", "camera_ended")


def test_a_face_swap_after_the_actions_fails(
    config, clock, tmp_path, obama_frame, biden_frame, faces_dir, matcher, analyzer
) -> None:
    """Someone live does the actions, then the pensioner's photo is held up for the match."""
    from onevisit.sim.camera.puppet import puppet_frames

    # The nod completes on the clip's second-last frame; the photo is up from the next one.
    live = puppet_frames(obama_frame, ["still", "blink", "still", "nod"])[:-1]
    clip = _clip(tmp_path / "swap", [*live, *[biden_frame] * 6])
    pid = parse_id(PENSIONER)
    records = PhotoFileRecords(
        pid, faces_dir / "face_recognition/examples/knn_examples/train/biden/biden.jpg"
    )
    flow = _flow(fast(config, challenge_seconds=8, max_attempts=1), records, clock, matcher, analyzer)
    result = flow.run(pid, open_camera(f"frames://{clip}"), ["blink", "nod"])
    assert result.outcome == "failed"
    attempt = result.attempts[0]
    assert attempt.completed == ["blink", "nod"]
    assert attempt.reason == "face_changed", attempt.to_dict()
    assert attempt.match and attempt.match["match"]  # the held-up photo alone would have matched
    assert result.window_tag == "pension certification failed: A different face appeared after the actions"
    assert records.status.certified_until is None
    # Swapped a moment later (the live face still seen for the match): the match itself refuses.
    late = _clip(tmp_path / "late", [*live, *live[-1:] * 4, *[biden_frame] * 6])
    flow = _flow(fast(config, challenge_seconds=8, max_attempts=1), records, clock, matcher, analyzer)
    result = flow.run(pid, open_camera(f"frames://{late}"), ["blink", "nod"])
    assert result.outcome == "failed" and result.attempts[0].reason in ("no_match", "face_changed")
