"""The kiosk camera: one interface (`Camera`), sources chosen by URL.

`camera://0` (a device index), `file:///path/clip.mp4` (a clip or stream through OpenCV),
`frames:///path/dir` or `frames:///path/photo.jpg` (the simulator; see frames_source.py for its
fault-injection options).
"""

from __future__ import annotations

from onevisit.devices.camera.base import Camera, CameraHealth, Frame
from onevisit.devices.camera.errors import CameraError, ImageError
from onevisit.devices.camera.images import load_image, load_image_bytes, read_image_file
from onevisit.devices.camera.url import open_camera

__all__ = [
    "Camera",
    "CameraError",
    "CameraHealth",
    "Frame",
    "ImageError",
    "load_image",
    "load_image_bytes",
    "open_camera",
    "read_image_file",
]
