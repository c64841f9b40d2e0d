"""OpenCV `VideoCapture` sources: a USB/CSI camera by index, or a video file or stream."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import cv2
import numpy as np

from onevisit.devices.camera.base import CameraHealth, Frame
from onevisit.devices.camera.errors import camera_lost, camera_unavailable

log = logging.getLogger(__name__)

#: A live camera that returns this many failed reads in a row has been unplugged.
LOST_AFTER_FAILURES = 15


class OpenCVCamera:
    def __init__(
        self,
        url: str,
        target: int | str,
        live: bool,
        width: int | None = None,
        height: int | None = None,
        max_frames: int | None = None,
        time_source: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.kind = "camera" if live else "file"
        self._live = live
        self._time = time_source
        self._max_frames = max_frames
        self._cap = cv2.VideoCapture(target)
        if not self._cap.isOpened():
            self._cap.release()
            what = f"no camera at index {target}" if live else f"cannot open video {target}"
            raise camera_unavailable(url, what)
        if live and width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self._fps = fps if fps and fps > 0 and np.isfinite(fps) else 25.0
        self._t0 = self._time()
        self._delivered = 0
        self._failures = 0
        self._open = True
        self._lost = False
        self._last_error = ""

    @property
    def is_open(self) -> bool:
        return self._open and not self._lost

    def read(self) -> Frame | None:
        if self._lost:
            raise camera_lost(self.url, self._last_error)
        if not self._open:
            return None
        if self._max_frames is not None and self._delivered >= self._max_frames:
            return None
        while True:
            ok, bgr = self._cap.read()
            if ok and bgr is not None and bgr.size:
                break
            if not self._live:
                return None  # end of the clip
            self._failures += 1
            if self._failures >= LOST_AFTER_FAILURES:
                self._lost = True
                self._last_error = f"{self._failures} failed reads in a row"
                log.warning("camera %s lost: %s", self.url, self._last_error)
                raise camera_lost(self.url, self._last_error)
        self._failures = 0
        if bgr.ndim == 2:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
        elif bgr.shape[2] == 4:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGRA2RGB)
        else:
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        # A clip runs on its own timeline, not on how fast we decode it: liveness limits stay honest.
        t = self._time() - self._t0 if self._live else self._delivered / self._fps
        frame = Frame(image=rgb, t=t, index=self._delivered)
        self._delivered += 1
        return frame

    def health(self) -> CameraHealth:
        return CameraHealth(
            url=self.url,
            kind=self.kind,
            is_open=self.is_open,
            frames=self._delivered,
            last_error=self._last_error,
            detail={"fps": round(self._fps, 2)},
        )

    def close(self) -> None:
        if self._open:
            self._open = False
            self._cap.release()
