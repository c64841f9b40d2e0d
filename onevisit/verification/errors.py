"""Verification refusals: each names what the citizen (or the window) should do about it."""

from __future__ import annotations

from onevisit.core.errors import OneVisitError


class FaceError(OneVisitError):
    """A photo or frame that cannot be used for a 1:1 match."""

    status = 422


def no_face(source: str = "") -> FaceError:
    return FaceError("no_face", "未检测到人脸", "No face was found in the image", source=source)


def several_faces(count: int, source: str = "") -> FaceError:
    return FaceError(
        "several_faces",
        "检测到多张人脸",
        f"{count} faces were found; the image must show exactly one person",
        source=source,
        faces=count,
    )


class HookError(OneVisitError):
    """config.verification names a matcher or liveness implementation that cannot be loaded."""

    status = 500
