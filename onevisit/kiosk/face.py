"""Pension certification at this kiosk, seen from the screen: a run of the real verification flow on
its own thread, the live frames for the preview, and progress the screen can read at any moment.

Nothing here touches Kivy: the screen polls `FaceRun.progress` and `latest_frame()` on its clock
and gets the result through a callback it schedules onto the UI thread itself. The flow reads the
camera as fast as it can analyse; the preview only looks at the newest frame, so a slow screen
never slows the check and a busy check never freezes the screen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from onevisit.core.clock import Clock, SystemClock
from onevisit.core.config import Config
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber
from onevisit.devices.camera import CameraError, Frame, open_camera

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The citizen left (home, idle timeout): the flow stops where it is and nothing is recorded.

    Deliberately not a CameraError: the flow would count that as a failed attempt."""


def camera_unavailable(url: str, why: str) -> OneVisitError:
    return OneVisitError(
        "camera_unavailable",
        "摄像头无法打开，请到窗口办理认证",
        "The camera cannot be opened; please certify at a window",
        url=url,
        why=why,
    )


class LatestFrame:
    """The newest frame, shared between the camera thread and the screen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self.count = 0

    def put(self, frame: Frame) -> None:
        with self._lock:
            self._frame = frame
            self.count += 1

    def get(self) -> Frame | None:
        with self._lock:
            return self._frame


class CameraTee:
    """The camera as the flow sees it: every frame also becomes the preview's newest frame, and
    a cancelled run stops at the next read."""

    def __init__(self, camera: Any, latest: LatestFrame, cancelled: threading.Event) -> None:
        self.camera = camera
        self.url = getattr(camera, "url", "")
        self.latest = latest
        self.cancelled = cancelled

    def read(self) -> Frame | None:
        if self.cancelled.is_set():
            raise Cancelled()
        frame = self.camera.read()
        if frame is not None:
            self.latest.put(frame)
        return frame

    @property
    def is_open(self) -> bool:
        return bool(self.camera.is_open)

    def health(self):
        return self.camera.health()

    def close(self) -> None:
        self.camera.close()


@dataclass
class Progress:
    """What the screen shows while the flow runs; written by the flow thread, read by the UI."""

    state: str = "starting"  # starting | running | done
    attempt: int = 1
    max_attempts: int = 3
    action: int = 0  # challenges completed in this attempt
    actions: int = 0
    challenge: str | None = None
    prompt_zh: str = ""
    prompt_en: str = ""
    prompts: list[tuple[str, str]] = field(default_factory=list)
    # why the previous attempt failed, shown while the next one runs ("" before any failure)
    failed_zh: str = ""
    failed_en: str = ""


class ObservedLiveness:
    """The configured liveness checker, watched: its status becomes the progress bar. It keeps the
    hook interface (begin, feed) so the flow cannot tell the difference."""

    def __init__(self, inner: Any, progress: Progress) -> None:
        self.inner = inner
        self.progress = progress

    def begin(self, challenges: Sequence[str], t: float):
        self.progress.actions = len(challenges)
        self.progress.action = 0
        return self._seen(self.inner.begin(challenges, t))

    def feed(self, landmarks: Any, t: float):
        return self._seen(self.inner.feed(landmarks, t))

    def _seen(self, status):
        if status is not None:
            self.progress.action = int(getattr(status, "index", 0) or 0)
            if getattr(status, "state", "") == "passed":
                self.progress.action = self.progress.actions
            self.progress.challenge = getattr(status, "challenge", None)
        return status


class FaceCertifier:
    """This kiosk's means to certify: the camera URL, the records backend, and the face models
    (loaded once, on the first run, off the UI thread)."""

    def __init__(
        self,
        config: Config,
        records: Any,
        camera_url: str,
        clock: Clock | None = None,
        challenges: Sequence[str] | None = None,
        config_override: Config | None = None,
    ) -> None:
        self.config = config_override or config
        self.records = records
        self.camera_url = camera_url
        self.clock = clock or SystemClock(config.hall.timezone)
        self.challenges = list(challenges) if challenges else None  # None: random, as in the hall
        self._models: tuple[Any, Any] | None = None
        self._models_lock = threading.Lock()

    def models(self) -> tuple[Any, Any]:
        with self._models_lock:
            if self._models is None:
                from onevisit.verification.analysis import FaceAnalyzer
                from onevisit.verification.flow import matcher_for

                vconf = self.config.verification
                # Built once per kiosk process: its reference cache serves every visit.
                self._models = (matcher_for(self.config), FaceAnalyzer(vconf.detect_width))
            return self._models

    def open_camera(self):
        try:
            return open_camera(self.camera_url, self.config.camera.width, self.config.camera.height)
        except OneVisitError:
            raise
        except Exception as exc:  # OpenCV raises plain errors for a missing device
            raise camera_unavailable(self.camera_url, str(exc)) from None

    def settled(self, id_number: IdNumber) -> Any:
        """Before the camera: a FlowResult "not_due" when the records already say 无需认证, else
        None (flow.settled_before_camera; raises its not_pensioner and records errors)."""
        from onevisit.verification.flow import settled_before_camera

        return settled_before_camera(self.records, id_number, self.clock.now().date())

    def start(
        self,
        id_number: IdNumber,
        on_done: Callable[[Any], None],
        on_error: Callable[[OneVisitError], None],
        on_prompt: Callable[[str, str], None] | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> FaceRun:
        run = FaceRun(self, id_number, on_done, on_error, on_prompt, on_event)
        run.start()
        return run


class FaceRun:
    """One certification visit on its own thread. `cancel()` stops it at the next frame."""

    def __init__(
        self,
        certifier: FaceCertifier,
        id_number: IdNumber,
        on_done: Callable[[Any], None],
        on_error: Callable[[OneVisitError], None],
        on_prompt: Callable[[str, str], None] | None,
        on_event: Callable[[dict[str, Any]], None] | None,
    ) -> None:
        self.certifier = certifier
        self.id_number = id_number
        self.on_done = on_done
        self.on_error = on_error
        self.on_prompt = on_prompt
        self.on_event = on_event
        self.latest = LatestFrame()
        self.cancelled = threading.Event()
        self.finished = threading.Event()
        self.progress = Progress(max_attempts=certifier.config.verification.max_attempts)
        self.result: Any = None
        self.error: OneVisitError | None = None
        self._thread = threading.Thread(target=self._run, name="kiosk-face", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.cancelled.set()

    def latest_frame(self) -> Frame | None:
        return self.latest.get()

    def _prompt(self, zh: str, en: str) -> None:
        self.progress.prompt_zh, self.progress.prompt_en = zh, en
        self.progress.prompts.append((zh, en))
        if self.on_prompt is not None:
            self.on_prompt(zh, en)

    def _event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "pension_certification.attempt_failed":
            from onevisit.verification.flow import reason_text

            self.progress.attempt = min(self.progress.max_attempts, int(event.get("attempt", 0)) + 1)
            self.progress.failed_zh, self.progress.failed_en = reason_text(str(event.get("reason") or ""))
        if self.on_event is not None:
            self.on_event(event)

    def _run(self) -> None:
        from onevisit.verification.flow import CertificationFlow
        from onevisit.verification.hooks import build_liveness

        c = self.certifier
        camera = None
        try:
            matcher, analyzer = c.models()
            if self.cancelled.is_set():
                raise Cancelled()
            camera = CameraTee(c.open_camera(), self.latest, self.cancelled)
            vconf = c.config.verification
            flow = CertificationFlow(
                c.config,
                c.records,
                c.clock,
                emit=self._event,
                on_prompt=self._prompt,
                matcher=matcher,
                analyzer=analyzer,
                liveness_factory=lambda: ObservedLiveness(build_liveness(vconf), self.progress),
            )
            self.progress.state = "running"
            self.result = flow.run(self.id_number, camera, c.challenges)
        except Cancelled:
            log.info("certification for %s cancelled at the kiosk", self.id_number.masked)
            self.progress.state = "done"
            self.finished.set()
            return
        except CameraError as exc:
            self.error = camera_unavailable(c.camera_url, exc.en)
        except OneVisitError as exc:
            self.error = exc
        except Exception as exc:  # a bug must not leave the citizen watching a frozen prompt
            log.exception("certification run failed")
            self.error = OneVisitError(
                "internal", "认证系统故障，请到窗口办理", "The certification failed; please go to a window"
            )
            self.error.__cause__ = exc
        finally:
            if camera is not None:
                camera.close()
        self.progress.state = "done"
        self.finished.set()
        if self.cancelled.is_set():
            return
        if self.error is not None:
            self.on_error(self.error)
        else:
            self.on_done(self.result)


class CameraPreview:
    """The camera on its own for the instructions page and the technician: newest frame only,
    at most `fps` reads a second so an instant source (a folder of frames) does not spin."""

    def __init__(self, open_camera_fn: Callable[[], Any], fps: float = 10.0) -> None:
        self._open = open_camera_fn
        self.period = 1.0 / fps
        self.latest = LatestFrame()
        self.error: OneVisitError | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-preview", daemon=True)

    def start(self) -> CameraPreview:
        self._thread.start()
        return self

    def stop(self, wait: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)  # the camera must be free before the flow opens it

    def latest_frame(self) -> Frame | None:
        return self.latest.get()

    def _run(self) -> None:
        try:
            camera = self._open()
        except OneVisitError as exc:
            self.error = exc
            return
        try:
            while not self._stop.is_set():
                try:
                    frame = camera.read()
                except CameraError as exc:
                    self.error = camera_unavailable(getattr(camera, "url", ""), exc.en)
                    return
                if frame is None:
                    return  # the end of a clip: the last frame stays on screen
                self.latest.put(frame)
                self._stop.wait(self.period)  # pacing, not waiting for a result
        finally:
            camera.close()


def mirrored_rgb(frame: Frame) -> np.ndarray:
    """The preview is a mirror (what people expect of a screen facing them); the flow is not."""
    return np.ascontiguousarray(frame.image[:, ::-1])
