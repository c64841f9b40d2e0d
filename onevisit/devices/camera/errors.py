"""Camera and image errors: a technician reads the code, a citizen the bilingual message."""

from __future__ import annotations

from onevisit.core.errors import OneVisitError


class CameraError(OneVisitError):
    """The camera cannot be opened, or it vanished while in use."""

    status = 503


class ImageError(OneVisitError):
    """An image (reference photo, probe, frame file) that cannot be turned into RGB pixels."""

    status = 422


def camera_unavailable(url: str, why: str) -> CameraError:
    return CameraError(
        "camera_unavailable",
        "摄像头无法打开，请联系工作人员",
        f"The camera cannot be opened ({why}); please ask a member of staff",
        url=url,
    )


def camera_lost(url: str, why: str) -> CameraError:
    return CameraError(
        "camera_lost",
        "摄像头连接中断，请联系工作人员",
        f"The camera stopped delivering frames ({why}); please ask a member of staff",
        url=url,
    )
