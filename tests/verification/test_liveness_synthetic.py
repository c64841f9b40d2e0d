"""The liveness state machine on synthetic landmark sequences (10 frames/s, injected time)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from onevisit.core.config import VerificationConfig
from onevisit.sim.camera.synthetic_face import SyntheticFace
from onevisit.verification import geometry
from onevisit.verification.liveness import (
    CHALLENGES,
    LandmarkFrame,
    LandmarkLiveness,
    LivenessStatus,
    parse_challenges,
    pick_challenges,
)

FPS = 10.0
CONFIG = VerificationConfig(challenge_seconds=5.0)


class Script:
    """Builds a landmark sequence pose by pose; frames carry their own timestamps."""

    def __init__(self, face: SyntheticFace | None = None) -> None:
        self.face = face or SyntheticFace()
        self.frames: list[tuple[float, np.ndarray | None]] = []

    @property
    def t(self) -> float:
        return len(self.frames) / FPS

    def hold(self, seconds: float, **pose: float) -> Script:
        for _ in range(round(seconds * FPS)):
            self.frames.append((self.t, self.face.points(**pose)))
        return self

    def ramp(self, seconds: float, key: str, start: float, end: float, **pose: float) -> Script:
        steps = round(seconds * FPS)
        for i in range(steps):
            value = start + (end - start) * (i + 1) / steps
            self.frames.append((self.t, self.face.points(**{key: value}, **pose)))
        return self

    def blink(self) -> Script:
        for eye in (0.6, 0.2, 0.1, 0.5, 1.0):
            self.frames.append((self.t, self.face.points(eye_open=eye)))
        return self

    def gap(self, seconds: float) -> Script:
        for _ in range(round(seconds * FPS)):
            self.frames.append((self.t, None))
        return self

    def then(self, other: SyntheticFace) -> Script:
        self.face = other
        return self


def play(script: Script, challenges: list[str], config: VerificationConfig = CONFIG) -> LivenessStatus:
    checker = LandmarkLiveness(config)
    status = checker.begin(challenges, 0.0)
    for t, points in script.frames:
        frame = LandmarkFrame(t, points, script.face.image_size) if points is not None else None
        status = checker.feed(frame, t)
        if status.done:
            return status
    # The citizen stands there until the time runs out: the clock still moves, frames still come.
    t = script.t
    last = script.frames[-1][1] if script.frames else None
    while not status.done and t < 60:
        t += 1 / FPS
        frame = LandmarkFrame(t, last, script.face.image_size) if last is not None else None
        status = checker.feed(frame, t)
    return status


def test_head_pose_reads_the_synthetic_angles() -> None:
    face = SyntheticFace(noise_px=0)
    for yaw, pitch in ((25, 0), (-25, 0), (0, 15), (0, -15), (15, 10)):
        got_yaw, got_pitch, _ = geometry.head_pose(face.points(yaw=yaw, pitch=pitch), face.image_size)
        assert got_yaw == pytest.approx(yaw, abs=1.0)
        assert got_pitch == pytest.approx(pitch, abs=1.0)
    # turn_left means the citizen's own left: the nose moves to the image right.
    assert face.points(yaw=20)[30, 0] > face.points()[30, 0]


def test_real_blink_and_turn_pass() -> None:
    script = Script().hold(0.8).blink().hold(0.3).ramp(0.8, "yaw", 0, 30).hold(0.3, yaw=30)
    status = play(script, ["blink", "turn_left"])
    assert status.state == "passed", status


@pytest.mark.parametrize("challenge", list(CHALLENGES))
def test_each_challenge_passes_when_performed(challenge: str) -> None:
    script = Script().hold(0.8)
    if challenge == "blink":
        script.blink().hold(0.2)
    elif challenge == "open_mouth":
        script.ramp(0.5, "mouth_open_mm", 0, 20).hold(0.3, mouth_open_mm=20)
    elif challenge == "turn_left":
        script.ramp(0.8, "yaw", 0, 30).hold(0.3, yaw=30)
    elif challenge == "turn_right":
        script.ramp(0.8, "yaw", 0, -30).hold(0.3, yaw=-30)
    else:
        script.ramp(0.5, "pitch", 0, 20).hold(0.2, pitch=20).ramp(0.5, "pitch", 20, 0).hold(0.2)
    assert play(script, [challenge]).state == "passed"


def test_turning_the_wrong_way_does_not_count() -> None:
    script = Script().hold(0.8).ramp(0.8, "yaw", 0, -30).hold(1.0, yaw=-30)
    status = play(script, ["turn_left"])
    assert status.state == "failed" and status.reason == "challenge_timeout"


def test_a_still_frame_repeated_never_passes() -> None:
    still = SyntheticFace(noise_px=0).points()
    script = Script()
    script.frames = [(i / FPS, still) for i in range(200)]
    for challenges in (["blink", "turn_left"], ["open_mouth", "nod"], ["turn_right", "blink"]):
        status = play(script, challenges)
        assert status.state == "failed"
        assert status.reason == "static_face"


def test_a_slightly_shifted_still_never_passes() -> None:
    """A photo held in a hand: the whole picture moves, rotates a little, comes nearer."""
    rng = np.random.default_rng(7)
    base = SyntheticFace(noise_px=0).points()
    script = Script()
    for i in range(200):
        angle = np.radians(rng.uniform(-4, 4))
        scale = rng.uniform(0.95, 1.05)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * scale
        centre = base.mean(axis=0)
        moved = (base - centre) @ rot.T + centre + rng.uniform(-6, 6, size=2)
        script.frames.append((i / FPS, moved + rng.normal(0, 0.3, base.shape)))
    for challenges in (["blink", "turn_left"], ["nod", "open_mouth"]):
        status = play(script, challenges)
        assert status.state == "failed", status
        assert status.reason in ("static_face", "challenge_timeout")


def test_a_photo_tilted_in_the_hand_is_not_a_head_turn() -> None:
    """A flat face turned like a card: solvePnP may read some angle, but no depth moves."""
    photo = SyntheticFace(flat=True)
    script = Script(photo).hold(0.8)
    for _ in range(3):
        script.ramp(0.6, "photo_yaw", 0, 45).ramp(0.6, "photo_yaw", 45, 0)
        script.ramp(0.6, "photo_pitch", 0, 40).ramp(0.6, "photo_pitch", 40, 0)
    for challenge in ("turn_left", "turn_right", "nod"):
        status = play(script, [challenge])
        assert status.state == "failed", (challenge, status)


def test_blink_is_judged_against_the_persons_own_eyes() -> None:
    """Narrow eyes (EAR ~0.17 at rest): a fixed 0.2 threshold would call them always closed;
    against the baseline only a real closing counts."""
    narrow = SyntheticFace()
    narrow_script = Script(narrow).hold(0.8, eye_open=0.5).hold(2.0, eye_open=0.45)
    assert play(narrow_script, ["blink"]).state == "failed"
    closing = Script(narrow).hold(0.8, eye_open=0.5)
    for eye in (0.3, 0.1, 0.05, 0.3, 0.5):
        closing.frames.append((closing.t, narrow.points(eye_open=eye)))
    assert play(closing, ["blink"]).state == "passed"


def test_each_challenge_times_out_on_the_frame_clock() -> None:
    # The citizen is alive (landmark noise, slight sway) but never does what is asked.
    script = Script().hold(0.8)
    for i in range(80):
        script.frames.append((script.t, script.face.points(yaw=3 * np.sin(i / 5), pitch=2 * np.cos(i / 7))))
    status = play(script, ["blink", "turn_left"])
    assert status.state == "failed"
    assert status.reason == "challenge_timeout"
    assert status.challenge == "blink"
    # The first challenge done, the second not: fails on the second, after its own limit.
    done_one = Script().hold(0.8).blink()
    for i in range(80):
        done_one.frames.append((done_one.t, done_one.face.points(yaw=3 * np.sin(i / 5))))
    status = play(done_one, ["blink", "open_mouth"])
    assert (status.state, status.reason, status.index) == ("failed", "challenge_timeout", 1)


def test_too_slow_is_a_timeout_even_if_done_later() -> None:
    config = VerificationConfig(challenge_seconds=2.0)
    # Swaying (so clearly alive) but blinking only after the limit.
    script = Script().hold(0.8).ramp(1.2, "yaw", 0, 12).ramp(1.3, "yaw", 12, 0).blink()
    assert play(script, ["blink"], config).reason == "challenge_timeout"
    assert play(Script().hold(0.8).hold(1.0, yaw=2).blink().hold(0.2), ["blink"], config).state == "passed"


def test_no_face_at_the_start_is_a_baseline_timeout() -> None:
    status = play(Script().gap(6.0), ["blink"])
    assert (status.state, status.reason) == ("failed", "baseline_timeout")


def test_face_leaving_the_picture_fails() -> None:
    script = Script().hold(0.8).hold(0.5).gap(1.5).blink()
    assert play(script, ["blink"]).reason == "face_lost"
    # A short dropout (a frame or two without a face) is forgiven.
    script = Script().hold(0.8).hold(0.5).gap(0.3).blink().hold(0.2)
    assert play(script, ["blink"]).state == "passed"


def test_face_swap_during_the_challenges_fails() -> None:
    """A different (person's) face appears in another place: continuity breaks."""
    other = SyntheticFace(proportions=(0.85, 1.1), distance_mm=380, seed=3)
    script = Script().hold(0.8).blink().then(other).hold(0.1, shift_px=(180, 40))
    script.ramp(0.8, "yaw", 0, 30, shift_px=(180, 40)).hold(0.3, yaw=30, shift_px=(180, 40))
    status = play(script, ["blink", "turn_left"])
    assert (status.state, status.reason) == ("failed", "face_jump")


def test_baseline_needs_a_frontal_face() -> None:
    script = Script().hold(6.0, yaw=35)
    assert play(script, ["blink"]).reason == "baseline_timeout"


def test_challenges_are_random_and_distinct() -> None:
    seen = set()
    rng = random.Random(1)
    for _ in range(200):
        picked = pick_challenges(2, rng)
        assert len(set(picked)) == 2
        assert not {"turn_left", "turn_right"} <= set(picked)
        seen.add(tuple(picked))
    assert len(seen) >= 12
    assert len(pick_challenges(5, rng)) == 5  # all five when asked for all
    assert parse_challenges("blink, turn_left") == ["blink", "turn_left"]
    with pytest.raises(ValueError, match="wink"):
        parse_challenges("blink,wink")
