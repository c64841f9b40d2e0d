"""The pension qualification certification (养老待遇资格认证) at a kiosk camera.

At most `max_attempts` attempts, each: the liveness challenges, then a 1:1 match of the best
frontal frames against the reference photo, and a check that the face at the end is the face
that started (a swap between challenge and match fails). A pass is recorded in the records
backend ("certified until"); after the last failure the citizen is sent to a window with a ticket
tagged "pension certification failed: <reason>", and the window sees the attempt log.

The reference photo's encoding (many jitters: ~0.8 s of one core when not cached) is computed on a
worker thread while the citizen does the liveness actions, so a cache miss adds no waiting; the
photo is decoded and its face found first, so a photo with no face or two faces still goes
straight to a window.

Frames stay in memory; events carry no images; audit snapshots only when config turns them on.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber
from onevisit.core.secrets import load_or_create_key
from onevisit.devices.camera import Camera, CameraError, Frame, ImageError, load_image_bytes
from onevisit.records.backend import BackendUnavailable, CertificationResult, RecordIncomplete, RecordsBackend
from onevisit.verification.analysis import FaceAnalyzer, FaceObservation
from onevisit.verification.audit import AuditStore
from onevisit.verification.errors import FaceError
from onevisit.verification.hooks import build_liveness, build_matcher, load_class
from onevisit.verification.liveness import REASONS, LandmarkFrame, LivenessChecker, pick_challenges
from onevisit.verification.matcher import FaceMatcher, FaceSample, LocalMatcher, MatchResult
from onevisit.verification.quality import PROMPTS, assess

log = logging.getLogger(__name__)

#: Flow-level reasons besides the liveness ones: (Chinese, English, tag text for the window).
FLOW_REASONS: dict[str, tuple[str, str]] = {
    "no_match": ("人脸与档案照片不一致", "The face does not match the photo on file"),
    "face_changed": ("认证过程中人脸发生变化", "A different face appeared after the actions"),
    "no_match_frame": ("未能拍到清晰的正脸", "No clear frontal picture for the comparison"),
    "reference_unusable": ("档案照片无法用于比对", "The photo on file cannot be used for comparison"),
    "camera_fault": ("摄像头故障", "The camera failed"),
    "camera_ended": ("摄像头没有画面", "The camera delivered no more pictures"),
    "records_unavailable": ("认证结果未能保存", "The result could not be saved in the records system"),
}

Emit = Callable[[dict[str, Any]], None]
Prompt = Callable[[str, str], None]


def reason_text(code: str) -> tuple[str, str]:
    return FLOW_REASONS.get(code) or REASONS.get(code) or PROMPTS.get(code) or (code, code)


@dataclass
class AttemptLog:
    """One attempt, as the window reads it: no images, no full ID number."""

    number: int
    challenges: list[str]
    passed: bool = False
    reason: str | None = None
    detail: str = ""
    completed: list[str] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    quality: dict[str, int] = field(default_factory=dict)
    match: dict[str, object] | None = None
    continuity: dict[str, object] | None = None

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        if self.reason:
            zh, en = reason_text(self.reason)
            out["reason_zh"], out["reason_en"] = zh, en
        return out


def settled_before_camera(records: RecordsBackend, id_number: IdNumber, today: dt.date) -> FlowResult | None:
    """What the records already decide, before any camera step: "not_due" (无需认证（有效期至…）)
    for a pensioner certified past today, None when a check is due.

    The kiosk asks right after identification, so nobody is put through the camera steps for
    nothing. Raises OneVisitError "not_pensioner" when no pension is paid, and the backend's
    BackendUnavailable when records cannot be read.
    """
    status = records.pension_status(id_number)
    if not status.is_pensioner:
        raise OneVisitError(
            "not_pensioner",
            "未查询到您的养老金领取记录，无需资格认证",
            "No pension is paid to this person, so there is nothing to certify",
        )
    if not status.due(today):
        return FlowResult("not_due", id_number.masked, [], certified_until=str(status.certified_until))
    return None


@dataclass
class FlowResult:
    outcome: str  # "passed", "failed" or "not_due"
    id_masked: str
    attempts: list[AttemptLog]
    reason: str | None = None
    certified_until: str | None = None
    window_tag: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def message(self) -> tuple[str, str]:
        if self.outcome == "passed":
            return (f"认证成功，有效期至 {self.certified_until}", f"Certified until {self.certified_until}")
        if self.outcome == "not_due":
            return (
                f"无需认证（有效期至 {self.certified_until}）",
                f"No need to certify (certified until {self.certified_until})",
            )
        zh, en = reason_text(self.reason or "")
        return (f"认证未通过：{zh}。请到窗口办理", f"Not certified: {en}. Please go to a window")

    def to_dict(self) -> dict[str, object]:
        zh, en = self.message
        return {
            "outcome": self.outcome,
            "passed": self.passed,
            "id": self.id_masked,
            "reason": self.reason,
            "message_zh": zh,
            "message_en": en,
            "certified_until": self.certified_until,
            "window_tag": self.window_tag,
            "attempts": [a.to_dict() for a in self.attempts],
        }


@dataclass
class _Candidate:
    score: float
    frame: Frame
    face: FaceObservation

    def sample(self) -> FaceSample:
        return FaceSample(self.frame.image, self.face.box, source=f"frame {self.frame.index}")


@dataclass(frozen=True)
class MatchVerdict:
    reason: str | None  # None: passed
    detail: str
    continuity: MatchResult | None
    match: MatchResult | None


def matcher_for(config: Config) -> FaceMatcher:
    """The matcher `verification.matcher` names; the local one gets the on-disk reference cache
    when `verification.reference_cache_dir` is set (files named by an HMAC keyed with
    face-refs.key in `security.secrets_dir`)."""
    vconf = config.verification
    cls = load_class(vconf.matcher, "matcher")
    if isinstance(cls, type) and issubclass(cls, LocalMatcher) and vconf.reference_cache_dir:
        secret = load_or_create_key(config.path(config.security.secrets_dir), "face-refs.key")
        return cls(vconf, cache_dir=config.path(vconf.reference_cache_dir), cache_secret=secret)
    return build_matcher(vconf)


def _compare(matcher: Any, reference: np.ndarray, probes: list[np.ndarray], combination: str) -> MatchResult:
    """`matcher.compare` with an explicit combination when the matcher takes one (a hook's
    compare(reference, probes) may not)."""
    if "combination" in inspect.signature(matcher.compare).parameters:
        return matcher.compare(reference, probes, combination=combination)
    return matcher.compare(reference, probes)


def judge_match(
    matcher: FaceMatcher, reference: Any, begin: Sequence[FaceSample], end: Sequence[FaceSample]
) -> MatchVerdict:
    """Compare the end frames with the start frames (the same person throughout?) and with the
    reference (the pensioner?). `reference` is an encoding when the matcher can encode (computed
    once per visit), else a FaceSample for the matcher's own `verify`."""
    if hasattr(matcher, "encode") and hasattr(matcher, "compare") and isinstance(reference, np.ndarray):
        end_enc = [matcher.encode(s) for s in end]
        begin_enc = [matcher.encode(s) for s in begin]
        # Continuity keeps the mean of distances, as measured and tested before: it compares
        # frames of one sitting, where averaging away frame noise is not what is wanted.
        continuity = _compare(matcher, np.mean(begin_enc, axis=0), end_enc, "mean_distance")
        match = matcher.compare(reference, end_enc)  # the configured combination
    else:
        continuity = matcher.verify(begin[0], list(end))
        match = matcher.verify(reference, list(end))
    if not continuity.match:
        detail = f"start-to-end distance {continuity.distance:.3f} > {continuity.threshold}"
        return MatchVerdict("face_changed", detail, continuity, match)
    if not match.match:
        detail = f"distance {match.distance:.3f} > threshold {match.threshold} (margin {match.margin})"
        return MatchVerdict("no_match", detail, continuity, match)
    detail = f"distance {match.distance:.3f} <= threshold {match.threshold} (margin {match.margin})"
    return MatchVerdict(None, detail, continuity, match)


def _main_problem(quality: Counter[str]) -> str | None:
    problems = Counter({k: v for k, v in quality.items() if k != "ok"})
    return problems.most_common(1)[0][0] if problems else None


def _score(face: FaceObservation) -> float:
    """Sharpest and most frontal first."""
    return face.frontality * math.log1p(face.sharpness)


class CertificationFlow:
    def __init__(
        self,
        config: Config,
        records: RecordsBackend,
        clock: Clock,
        *,
        kiosk: str = "",
        emit: Emit | None = None,
        on_prompt: Prompt | None = None,
        matcher: FaceMatcher | None = None,
        liveness_factory: Callable[[], LivenessChecker] | None = None,
        analyzer: FaceAnalyzer | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.vconf = config.verification
        self.records = records
        self.clock = clock
        self.kiosk = kiosk or config.kiosk.name
        self.emit = emit or (lambda event: None)
        self.on_prompt = on_prompt
        self.matcher = matcher or matcher_for(config)
        self.liveness_factory = liveness_factory or (lambda: build_liveness(self.vconf))
        self.analyzer = analyzer or FaceAnalyzer(self.vconf.detect_width)
        self.rng = rng or random.SystemRandom()
        self.audit = (
            AuditStore(
                config.path(self.vconf.audit_dir),
                config.path(config.security.secrets_dir) / "audit.key",
                self.vconf.audit_retention_days,
            )
            if self.vconf.audit_snapshots
            else None
        )
        self._last_prompt: tuple[str, str] | None = None

    # -- the whole visit ------------------------------------------------------------------------
    def run(self, id_number: IdNumber, camera: Camera, challenges: Sequence[str] | None = None) -> FlowResult:
        settled = settled_before_camera(self.records, id_number, self.clock.now().date())
        if settled is not None:
            return settled
        self._event("started", id_number, {"max_attempts": self.vconf.max_attempts})
        if self.audit:
            self.audit.prune(self.clock.now())
        references = getattr(self.matcher, "references", None)
        if references is not None:
            references.prune(self.vconf.reference_cache_days, now=self.clock.now().timestamp())

        # One worker: the reference encoding runs on the other core during the actions. Not waited
        # for at the end: an abandoned visit still leaves the encoding in the cache for the next.
        worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-reference")
        try:
            reference = self._reference(id_number, worker)
            attempts: list[AttemptLog] = []
            if reference is None:
                return self._give_up(id_number, attempts, "reference_unusable")

            for number in range(1, self.vconf.max_attempts + 1):
                chosen = list(challenges) if challenges else pick_challenges(self.vconf.challenges, self.rng)
                attempt = self._attempt(number, chosen, camera, reference, id_number)
                attempts.append(attempt)
                if attempt.passed:
                    return self._record_pass(id_number, attempts)
                self._event("attempt_failed", id_number, {"attempt": number, "reason": attempt.reason})
                if attempt.reason in ("camera_fault", "camera_ended", "reference_unusable"):
                    break  # no further attempt can see anything, or compare with anything
            return self._give_up(id_number, attempts, attempts[-1].reason or "no_match")
        finally:
            worker.shutdown(wait=False)

    def _reference(self, id_number: IdNumber, worker: ThreadPoolExecutor) -> Any:
        """The reference: an encoding (cached), a Future of one (a cache miss being encoded on
        `worker`), or a FaceSample for a matcher that only verifies; None if unusable. Decoding
        and finding the face stay here, so an unusable photo is known before the camera starts."""
        try:
            data = self.records.reference_photo(id_number)
        except RecordIncomplete:
            log.warning("no reference photo on file for %s", id_number.masked)
            return None
        cached = getattr(self.matcher, "cached_reference", None)
        if cached is not None and (hit := cached(data)) is not None:
            return hit
        try:
            image = load_image_bytes(data, source="reference photo")
            sample = FaceSample(image, None, source="reference photo")
            if hasattr(self.matcher, "encode_reference"):
                found = FaceSample(image, self.matcher.find_face(sample), source="reference photo")
                return worker.submit(self.matcher.encode_reference, data, sample=found)
            if hasattr(self.matcher, "encode"):
                return self.matcher.encode(sample)
            return sample
        except (ImageError, FaceError) as exc:
            log.warning("reference photo for %s unusable: %s", id_number.masked, exc.code)
            return None

    # -- one attempt ----------------------------------------------------------------------------
    def _attempt(
        self, number: int, challenges: list[str], camera: Camera, reference: Any, id_number: IdNumber
    ) -> AttemptLog:
        log_ = AttemptLog(number=number, challenges=challenges)
        quality: Counter[str] = Counter()
        start: list[_Candidate] = []  # frontal frames while the baseline is taken
        recent: deque[_Candidate] = deque(maxlen=8)  # last good frames during the challenges
        settle: list[_Candidate] = []
        liveness = self.liveness_factory()
        t0: float | None = None
        passed_at: float | None = None
        frame: Frame | None = None
        status = None
        while True:
            try:
                frame = camera.read()
            except CameraError as exc:
                log_.reason, log_.detail = "camera_fault", exc.en
                break
            if frame is None:
                if passed_at is not None:
                    break  # the clip ended while settling: match with what we have
                log_.reason, log_.detail = "camera_ended", "no frame from the camera"
                break
            if t0 is None:
                t0 = frame.t
                status = liveness.begin(challenges, frame.t)
            log_.frames += 1
            log_.seconds = round(frame.t - t0, 2)
            analysis = self.analyzer.analyze(frame.image)
            verdict = assess(analysis, self.vconf)
            quality[verdict.code] += 1
            face = verdict.face
            candidate = _Candidate(_score(face), frame, face) if verdict.ok and face else None

            if passed_at is None:
                usable = face is not None and verdict.usable_for_liveness
                landmarks = LandmarkFrame(frame.t, face.points, analysis.image_size) if usable else None
                status = liveness.feed(landmarks, frame.t)
                self._prompt(verdict.prompt if not verdict.ok and not usable else status.prompt)
                if candidate and status.state == "baseline":
                    start.append(candidate)
                elif candidate and status.state in ("challenge", "passed"):
                    recent.append(candidate)
                if status.state == "failed":
                    log_.reason, log_.detail = status.reason, status.detail
                    problem = _main_problem(quality)
                    if status.reason in ("baseline_timeout", "face_lost") and problem:
                        log_.detail += f"; most frequent problem: {problem} ({PROMPTS[problem][1]})"
                    log_.completed = challenges[: status.index]
                    break
                if status.state == "passed":
                    passed_at = frame.t
                    log_.completed = list(challenges)
                    self._prompt(("请正对屏幕", "Please face the screen"))
                continue
            # Settling: frontal frames after the last challenge, for the match.
            if candidate:
                settle.append(candidate)
            elif not verdict.usable_for_liveness:
                log_.reason, log_.detail = "face_lost", f"after the challenges: {verdict.code}"
                break
            if len(settle) >= self.vconf.match_frames or frame.t - passed_at > self.vconf.settle_seconds:
                break
        log_.quality = dict(quality)
        if log_.reason is None:
            self._decide(log_, reference, start, list(recent), settle)
        if self.audit and frame is not None:
            best = max([*start, *settle], key=lambda c: c.score, default=None)
            if best is not None:
                self.audit.save(
                    best.frame.image,
                    {"id": id_number.masked, "attempt": number, "passed": log_.passed, "reason": log_.reason},
                    self.clock.now(),
                )
        log.info(
            "certification attempt %d for %s: %s %s",
            number,
            id_number.masked,
            "passed" if log_.passed else "failed",
            log_.reason or "",
        )
        return log_

    def _decide(
        self,
        log_: AttemptLog,
        reference: Any,
        start: list[_Candidate],
        recent: list[_Candidate],
        settle: list[_Candidate],
    ) -> None:
        k = self.vconf.match_frames
        end = sorted(settle or recent, key=lambda c: c.score, reverse=True)[:k]
        begin = sorted(start, key=lambda c: c.score, reverse=True)[:k]
        if not end or not begin:
            problem = _main_problem(Counter(log_.quality)) or "not_frontal"
            log_.reason, log_.detail = (
                "no_match_frame",
                f"most frequent problem: {problem} ({PROMPTS[problem][1]})",
            )
            return
        if isinstance(reference, Future):
            try:
                reference = reference.result()  # usually done long ago: computed during the actions
            except Exception as exc:  # the face was found before; anything now is a fault, not the citizen
                log.exception("reference encoding failed")
                log_.reason, log_.detail = (
                    "reference_unusable",
                    f"reference encoding failed: {type(exc).__name__}",
                )
                return
        verdict = judge_match(self.matcher, reference, [c.sample() for c in begin], [c.sample() for c in end])
        log_.continuity = verdict.continuity.to_dict() if verdict.continuity else None
        log_.match = verdict.match.to_dict() if verdict.match else None
        log_.reason, log_.detail = verdict.reason, verdict.detail
        log_.passed = verdict.reason is None

    # -- outcomes -------------------------------------------------------------------------------
    def _record_pass(self, id_number: IdNumber, attempts: list[AttemptLog]) -> FlowResult:
        last = attempts[-1]
        distance = float(last.match["distance"]) if last.match else None  # type: ignore[arg-type]
        result = CertificationResult(
            passed=True,
            method="face_kiosk",
            at=self.clock.now(),
            kiosk=self.kiosk,
            reasons=[last.detail],
            distance=distance,
        )
        try:
            status = self.records.record_certification(id_number, result)
        except BackendUnavailable as exc:
            log.warning("certification passed but not recorded for %s: %s", id_number.masked, exc.code)
            return self._give_up(id_number, attempts, "records_unavailable", record=False)
        until = str(status.certified_until) if status.certified_until else None
        self._event("passed", id_number, {"attempts": len(attempts), "certified_until": until})
        return FlowResult("passed", id_number.masked, attempts, certified_until=until)

    def _give_up(
        self, id_number: IdNumber, attempts: list[AttemptLog], reason: str, record: bool = True
    ) -> FlowResult:
        tag = f"pension certification failed: {reason_text(reason)[1]}"
        if record:
            try:
                self.records.record_certification(
                    id_number,
                    CertificationResult(
                        passed=False,
                        method="face_kiosk",
                        at=self.clock.now(),
                        kiosk=self.kiosk,
                        reasons=[f"attempt {a.number}: {a.reason} {a.detail}".strip() for a in attempts]
                        or [reason],
                    ),
                )
            except BackendUnavailable as exc:
                log.warning("failed certification not recorded for %s: %s", id_number.masked, exc.code)
        self._event("failed", id_number, {"attempts": len(attempts), "reason": reason})
        return FlowResult("failed", id_number.masked, attempts, reason=reason, window_tag=tag)

    def _event(self, kind: str, id_number: IdNumber, data: dict[str, object]) -> None:
        event = {
            "type": f"pension_certification.{kind}",
            "id": id_number.masked,
            "kiosk": self.kiosk,
            "at": self.clock.now().isoformat(),
            **data,
        }
        try:
            self.emit(event)
        except Exception:  # the hall's event stream being down must not fail a citizen's check
            log.exception("event callback failed for %s", event["type"])

    def _prompt(self, prompt: tuple[str, str]) -> None:
        if self.on_prompt and prompt != self._last_prompt:
            self._last_prompt = prompt
            self.on_prompt(*prompt)
