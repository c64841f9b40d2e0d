"""Liveness: a state machine over landmark frames, with no camera and no dlib inside.

The caller feeds one `LandmarkFrame` per analysed frame (or None when no single face was usable),
with the frame's own timestamp, so time limits follow the frames and the same logic runs on a live
camera, a recorded clip and synthetic landmark sequences.

Sequence: a baseline (a steady frontal face; the citizen's own eye and mouth openness and head
pose), then each challenge in turn within `challenge_seconds`. Blink is judged against the
citizen's own eye aspect ratio (glasses and small eyes defeat fixed thresholds); turns and nods by
head pose from solvePnP, and only count when the landmarks move in depth (a flat photo tilted in
the hand moves by an affine map and is refused). The face must stay continuously in view: a long
gap or a jump in position or size ends the attempt.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from onevisit.core.config import VerificationConfig
from onevisit.verification import geometry

log = logging.getLogger(__name__)

CHALLENGES: dict[str, tuple[str, str]] = {
    "blink": ("请眨眨眼", "Please blink"),
    "open_mouth": ("请张张嘴", "Please open your mouth"),
    "turn_left": ("请向左转头", "Please turn your head to your left"),
    "turn_right": ("请向右转头", "Please turn your head to your right"),
    "nod": ("请点点头", "Please nod"),
}

#: Why an attempt failed liveness, for the attempt log the window reads.
REASONS: dict[str, tuple[str, str]] = {
    "baseline_timeout": ("未能看清您的正脸", "No steady frontal face to start with"),
    "challenge_timeout": ("未在规定时间内完成动作", "The requested action was not seen in time"),
    "static_face": ("未检测到任何面部动作（疑似照片）", "The face did not move at all (a photo?)"),
    "flat_face": ("转头动作不符合真人特征（疑似照片）", "The head movement looked flat (a photo tilted?)"),
    "face_lost": ("人脸离开画面", "The face left the picture"),
    "face_jump": ("画面中的人脸发生跳变", "The face in the picture jumped or changed"),
}

State = Literal["baseline", "challenge", "passed", "failed"]


@dataclass(frozen=True)
class LandmarkFrame:
    """Landmarks of the single face in one frame: (68, 2) pixels, dlib order."""

    t: float
    points: np.ndarray
    image_size: tuple[int, int]


@dataclass(frozen=True)
class LivenessStatus:
    state: State
    challenge: str | None = None
    index: int = 0
    total: int = 0
    reason: str | None = None
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.state in ("passed", "failed")

    @property
    def prompt(self) -> tuple[str, str]:
        """What the kiosk shows and says now (zh, en)."""
        if self.state == "baseline":
            return ("请正对屏幕，保持不动", "Please look at the screen and hold still")
        if self.state == "challenge" and self.challenge:
            return CHALLENGES[self.challenge]
        if self.state == "passed":
            return ("动作检测通过", "Liveness check passed")
        return REASONS.get(self.reason or "", ("动作检测未通过", "Liveness check failed"))


class LivenessChecker(Protocol):
    """What the flow needs from a liveness implementation; config.verification.liveness may name
    another class (constructed with the VerificationConfig) by import path."""

    def begin(self, challenges: Sequence[str], t: float) -> LivenessStatus: ...

    def feed(self, frame: LandmarkFrame | None, t: float) -> LivenessStatus: ...


def pick_challenges(count: int, rng: random.Random | None = None) -> list[str]:
    """A random sequence of distinct challenges, so a recorded video of a previous pass cannot
    simply be replayed. Turn left and turn right are not both drawn: one turn says enough."""
    rng = rng or random.SystemRandom()
    pool = list(CHALLENGES)
    chosen: list[str] = []
    while len(chosen) < count and pool:
        pick = rng.choice(pool)
        chosen.append(pick)
        pool.remove(pick)
        if pick.startswith("turn_") and len(pool) > count - len(chosen):
            pool = [c for c in pool if not c.startswith("turn_")]
    return chosen


def parse_challenges(text: str) -> list[str]:
    names = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in names if c not in CHALLENGES]
    if unknown or not names:
        raise ValueError(f"unknown challenge(s) {unknown}; choose from {', '.join(CHALLENGES)}")
    return names


@dataclass(frozen=True)
class LivenessTuning:
    """Thresholds, relative to the citizen's own baseline wherever a person's face varies."""

    baseline_frames: int = 5
    baseline_max_angle: float = 20.0  # degrees off frontal allowed while measuring the baseline
    blink_closed: float = 0.65  # EAR below this fraction of the baseline counts as closed
    blink_open: float = 0.85  # and back above this fraction as open again
    blink_max_pitch: float = 12.0  # looking down also narrows the eyes: not a blink
    mouth_open: float = 0.30  # MAR above the baseline by this much
    turn_degrees: float = 20.0
    nod_degrees: float = 13.0
    #: Depth evidence a real head turn leaves (geometry.planarity_residual); a tilted photo stays
    #: near landmark noise (~0.007 at 0.6 px noise on a 120 px face), a real 20° turn is ~0.035.
    min_planarity: float = 0.015
    hold_frames: int = 2  # consecutive frames a turn or nod must be seen
    lost_grace_seconds: float = 1.0
    max_jump: float = 0.8  # interocular distances the face may move between neighbouring frames
    max_scale_change: float = 0.3
    #: Below this landmark change (after removing position, size and in-plane rotation) nothing
    #: about the face has moved: a photo, however it is shifted.
    static_motion: float = 0.012


@dataclass
class _Baseline:
    points: np.ndarray
    ear: float
    mar: float
    yaw: float
    pitch: float


@dataclass
class _ChallengeProgress:
    started: float
    phase: int = 0  # blink: 1 = closed seen; nod: 1 = down seen
    held: int = 0
    flat_seen: int = 0


@dataclass
class LandmarkLiveness:
    """The default liveness checker."""

    config: VerificationConfig
    tuning: LivenessTuning = field(default_factory=LivenessTuning)

    def __post_init__(self) -> None:
        self._challenges: list[str] = []
        self._status = LivenessStatus("failed", reason="baseline_timeout", detail="not started")

    # -- public -------------------------------------------------------------------------------
    def begin(self, challenges: Sequence[str], t: float) -> LivenessStatus:
        for name in challenges:
            if name not in CHALLENGES:
                raise ValueError(f"unknown challenge {name!r}")
        self._challenges = list(challenges)
        self._t0 = t
        self._samples: list[LandmarkFrame] = []
        self._baseline: _Baseline | None = None
        self._progress: _ChallengeProgress | None = None
        self._index = 0
        self._last: LandmarkFrame | None = None
        self._last_seen = t
        self._max_motion = 0.0
        self._status = LivenessStatus("baseline", total=len(self._challenges))
        return self._status

    @property
    def status(self) -> LivenessStatus:
        return self._status

    def feed(self, frame: LandmarkFrame | None, t: float) -> LivenessStatus:
        if self._status.done:
            return self._status
        if frame is not None and not self._continuous(frame):
            return self._status
        if frame is None:
            if self._last is not None and t - self._last_seen > self.tuning.lost_grace_seconds:
                return self._fail("face_lost", f"no single face for {t - self._last_seen:.1f}s")
        else:
            self._last = frame
            self._last_seen = t
        if self._baseline is None:
            return self._feed_baseline(frame, t)
        return self._feed_challenge(frame, t)

    # -- steps --------------------------------------------------------------------------------
    def _continuous(self, frame: LandmarkFrame) -> bool:
        """The face must not teleport or change size abruptly between frames: that is a swap."""
        last = self._last
        if last is None:
            return True
        scale = geometry.interocular(last.points) or 1.0
        gaps = max(1.0, (frame.t - last.t) / 0.1)  # allow more movement after dropped frames
        moved = float(np.linalg.norm(frame.points.mean(axis=0) - last.points.mean(axis=0))) / scale
        size_change = abs(geometry.interocular(frame.points) / scale - 1.0)
        if moved > self.tuning.max_jump * gaps:
            self._fail("face_jump", f"moved {moved:.2f} interocular distances in one step")
            return False
        if size_change > self.tuning.max_scale_change * gaps:
            self._fail("face_jump", f"size changed by {size_change:.0%} in one step")
            return False
        return True

    def _feed_baseline(self, frame: LandmarkFrame | None, t: float) -> LivenessStatus:
        if t - self._t0 > self.config.challenge_seconds:
            return self._fail(
                "baseline_timeout", f"no steady frontal face in {self.config.challenge_seconds:g}s"
            )
        if frame is None:
            return self._status
        yaw, pitch, _ = geometry.head_pose(frame.points, frame.image_size)
        if abs(yaw) > self.tuning.baseline_max_angle or abs(pitch) > self.tuning.baseline_max_angle:
            self._samples.clear()  # the baseline must be frontal frames in a row
            return self._status
        self._samples.append(frame)
        if len(self._samples) < self.tuning.baseline_frames:
            return self._status
        stack = np.stack([s.points for s in self._samples])
        poses = np.array([geometry.head_pose(s.points, s.image_size) for s in self._samples])
        self._baseline = _Baseline(
            points=np.median(stack, axis=0),
            ear=float(np.median([geometry.ear(s.points) for s in self._samples])),
            mar=float(np.median([geometry.mouth_aspect_ratio(s.points) for s in self._samples])),
            yaw=float(np.median(poses[:, 0])),
            pitch=float(np.median(poses[:, 1])),
        )
        log.debug(
            "liveness baseline: ear=%.3f mar=%.3f yaw=%.1f pitch=%.1f",
            self._baseline.ear,
            self._baseline.mar,
            self._baseline.yaw,
            self._baseline.pitch,
        )
        return self._start_challenge(t)

    def _start_challenge(self, t: float) -> LivenessStatus:
        if self._index >= len(self._challenges):
            self._status = LivenessStatus("passed", index=self._index, total=len(self._challenges))
            return self._status
        self._progress = _ChallengeProgress(started=t)
        self._max_motion = 0.0
        self._status = LivenessStatus(
            "challenge",
            challenge=self._challenges[self._index],
            index=self._index,
            total=len(self._challenges),
        )
        return self._status

    def _feed_challenge(self, frame: LandmarkFrame | None, t: float) -> LivenessStatus:
        base = self._baseline
        progress = self._progress
        assert base is not None and progress is not None
        name = self._challenges[self._index]
        if frame is not None:
            self._max_motion = max(self._max_motion, geometry.similarity_residual(base.points, frame.points))
            if self._judge(name, frame, base, progress):
                self._index += 1
                return self._start_challenge(t)
        if t - progress.started > self.config.challenge_seconds:
            if self._max_motion < self.tuning.static_motion:
                return self._fail("static_face", f"{name}: landmark change {self._max_motion:.4f} only")
            if progress.flat_seen:
                return self._fail("flat_face", f"{name}: turned without depth in {progress.flat_seen} frames")
            return self._fail("challenge_timeout", f"{name} not seen in {self.config.challenge_seconds:g}s")
        return self._status

    def _judge(self, name: str, frame: LandmarkFrame, base: _Baseline, progress: _ChallengeProgress) -> bool:
        tune = self.tuning
        p = frame.points
        if name == "blink":
            yaw, pitch, _ = geometry.head_pose(p, frame.image_size)
            if abs(pitch - base.pitch) > tune.blink_max_pitch:
                return False
            ratio = geometry.ear(p) / max(base.ear, 1e-6)
            if progress.phase == 0 and ratio < tune.blink_closed:
                progress.phase = 1
            elif progress.phase == 1 and ratio > tune.blink_open:
                return True
            return False
        if name == "open_mouth":
            return geometry.mouth_aspect_ratio(p) - base.mar > tune.mouth_open
        yaw, pitch, _ = geometry.head_pose(p, frame.image_size)
        deep = geometry.planarity_residual(base.points, p) >= tune.min_planarity
        if name in ("turn_left", "turn_right"):
            turned = (yaw - base.yaw) * (1 if name == "turn_left" else -1) >= tune.turn_degrees
            return self._held(turned, deep, progress)
        if name == "nod":
            if progress.phase == 0:
                if self._held(pitch - base.pitch >= tune.nod_degrees, deep, progress):
                    progress.phase = 1
                return False
            return pitch - base.pitch <= tune.nod_degrees / 2  # and back up again
        raise ValueError(f"unknown challenge {name!r}")

    def _held(self, reached: bool, deep: bool, progress: _ChallengeProgress) -> bool:
        if reached and not deep:
            progress.flat_seen += 1
        if reached and deep:
            progress.held += 1
        else:
            progress.held = 0
        return progress.held >= self.tuning.hold_frames

    def _fail(self, reason: str, detail: str) -> LivenessStatus:
        log.info("liveness failed: %s (%s)", reason, detail)
        self._status = LivenessStatus(
            "failed",
            challenge=self._challenges[self._index] if self._index < len(self._challenges) else None,
            index=self._index,
            total=len(self._challenges),
            reason=reason,
            detail=detail,
        )
        return self._status
