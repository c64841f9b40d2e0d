"""A folder of frames (or one photo) as a camera: the simulator the tests, demo and bench use.

Options in the URL query: `fps` (timestamps advance by 1/fps per frame, default 10), `loop=1`
(start again at the end), `repeat=N` (deliver each file N times, so one photo becomes a held-up
still), `jitter=PX` (shift each delivered frame by up to PX pixels: a photo held in a shaking
hand), `fail_after=N` (the camera vanishes after N frames: a pulled USB cable), `max_frames=N`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from onevisit.devices.camera.base import CameraHealth, Frame
from onevisit.devices.camera.errors import ImageError, camera_lost, camera_unavailable
from onevisit.devices.camera.images import load_image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"}


class FramesCamera:
    kind = "frames"

    def __init__(
        self,
        url: str,
        path: Path,
        fps: float = 10.0,
        loop: bool = False,
        repeat: int = 1,
        jitter: int = 0,
        fail_after: int | None = None,
        max_frames: int | None = None,
        seed: int = 0,
        max_side: int = 1280,
    ) -> None:
        self.url = url
        if fps <= 0:
            raise camera_unavailable(url, f"fps must be positive, got {fps}")
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not files:
                raise camera_unavailable(url, f"no image files in {path}")
        elif path.is_file():
            files = [path]
        else:
            raise camera_unavailable(url, f"{path} does not exist")
        self._files = files
        self._fps = fps
        self._loop = loop
        self._repeat = max(1, repeat)
        self._jitter = max(0, jitter)
        self._fail_after = fail_after
        self._max_frames = max_frames
        self._rng = np.random.default_rng(seed)
        self._max_side = max_side
        self._position = 0  # index into files × repeat
        self._delivered = 0
        self._bad = 0
        self._open = True
        self._lost = False
        self._last_error = ""
        self._cache: tuple[Path, np.ndarray] | None = None

    @property
    def is_open(self) -> bool:
        return self._open and not self._lost

    def _decode(self, path: Path) -> np.ndarray:
        if self._cache and self._cache[0] == path:
            return self._cache[1]
        image = load_image(path, max_side=self._max_side)
        self._cache = (path, image)
        return image

    def read(self) -> Frame | None:
        if self._lost:
            raise camera_lost(self.url, self._last_error or "device gone")
        if not self._open:
            return None
        if self._fail_after is not None and self._delivered >= self._fail_after:
            self._lost = True
            self._last_error = f"fault injected: gone after {self._fail_after} frames"
            log.warning("camera %s: %s", self.url, self._last_error)
            raise camera_lost(self.url, self._last_error)
        if self._max_frames is not None and self._delivered >= self._max_frames:
            return None
        total = len(self._files) * self._repeat
        skipped = 0
        while True:
            if self._position >= total:
                if not self._loop:
                    return None
                self._position = 0
            path = self._files[self._position // self._repeat]
            self._position += 1
            try:
                image = self._decode(path)
                break
            except ImageError as exc:
                # A corrupt frame file is skipped and counted, as a real camera drops a bad frame.
                self._bad += 1
                skipped += 1
                self._last_error = f"{path.name}: {exc.code}"
                log.warning("camera %s: skipping frame %s (%s)", self.url, path.name, exc.code)
                if skipped >= len(self._files):
                    self._lost = True
                    raise camera_lost(self.url, "no readable frame in the folder") from None
        if self._jitter:
            dx, dy = self._rng.integers(-self._jitter, self._jitter + 1, size=2)
            shift = np.float32([[1, 0, dx], [0, 1, dy]])
            image = cv2.warpAffine(
                image, shift, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE
            )
        frame = Frame(image=image, t=self._delivered / self._fps, index=self._delivered)
        self._delivered += 1
        return frame

    def health(self) -> CameraHealth:
        return CameraHealth(
            url=self.url,
            kind=self.kind,
            is_open=self.is_open,
            frames=self._delivered,
            bad_frames=self._bad,
            last_error=self._last_error,
            detail={"files": len(self._files), "fps": self._fps, "loop": self._loop},
        )

    def close(self) -> None:
        self._open = False
        self._cache = None
