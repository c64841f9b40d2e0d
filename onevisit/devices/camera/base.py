"""The camera interface every source implements, and the frame it delivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One RGB frame held in memory only. `t` is seconds since the source opened, taken from the
    source's own timing (frame rate or capture clock), so liveness time limits follow the frames."""

    image: np.ndarray
    t: float
    index: int

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass
class CameraHealth:
    """What the maintenance page shows for a camera."""

    url: str
    kind: str
    is_open: bool
    frames: int = 0
    bad_frames: int = 0
    last_error: str = ""
    detail: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "kind": self.kind,
            "is_open": self.is_open,
            "frames": self.frames,
            "bad_frames": self.bad_frames,
            "last_error": self.last_error,
            **self.detail,
        }


class Camera(Protocol):
    url: str

    def read(self) -> Frame | None:
        """The next frame; None at the end of a clip or folder. Raises CameraError if the device
        has gone away."""
        ...

    @property
    def is_open(self) -> bool: ...

    def health(self) -> CameraHealth: ...

    def close(self) -> None: ...
