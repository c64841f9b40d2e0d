"""A live camera picture: the newest frame of a source (a certification run or a plain preview),
uploaded to a Kivy texture on the UI clock. The camera itself is read on another thread."""

from __future__ import annotations

from collections.abc import Callable

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.uix.image import Image

from onevisit.devices.camera import Frame
from onevisit.kiosk.face import mirrored_rgb


class CameraView(Image):
    def __init__(self, source_fn: Callable[[], Frame | None], fps: float = 10.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fit_mode = "contain"
        self.source_fn = source_fn
        self.shown_index: int | None = None
        self.frames_shown = 0
        self._event = Clock.schedule_interval(lambda _dt: self.update(), 1.0 / fps)

    def update(self) -> None:
        frame = self.source_fn()
        if frame is None or frame.index == self.shown_index:
            return
        image = mirrored_rgb(frame)
        h, w = image.shape[:2]
        texture = self.texture
        if texture is None or texture.size != (w, h):
            texture = Texture.create(size=(w, h), colorfmt="rgb")
            texture.flip_vertical()  # numpy rows run top-down, GL textures bottom-up
        texture.blit_buffer(image.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        self.texture = texture
        self.canvas.ask_update()
        self.shown_index = frame.index
        self.frames_shown += 1

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
