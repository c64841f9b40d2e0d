"""Open a camera from its URL, as config.toml or `--camera` names it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from onevisit.devices.camera.base import Camera
from onevisit.devices.camera.errors import CameraError


def _bad_url(url: str, why: str) -> CameraError:
    return CameraError(
        "camera_url",
        "摄像头配置有误，请联系技术人员",
        f"Bad camera URL {url!r}: {why}. Use camera://0, file:///path/clip.mp4 or frames:///path/dir",
        url=url,
    )


def _options(url: str, query: str, allowed: set[str]) -> dict[str, str]:
    raw = parse_qs(query, keep_blank_values=True)
    unknown = set(raw) - allowed
    if unknown:
        raise _bad_url(url, f"unknown option(s) {sorted(unknown)}; known: {sorted(allowed)}")
    return {k: v[-1] for k, v in raw.items()}


def _int(url: str, opts: dict[str, str], key: str, default: int | None) -> int | None:
    if key not in opts:
        return default
    try:
        return int(opts[key])
    except ValueError:
        raise _bad_url(url, f"{key} must be a whole number, got {opts[key]!r}") from None


def open_camera(url: str, width: int | None = None, height: int | None = None) -> Camera:
    """Open the source a URL names; raise CameraError saying what is wrong with it."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "camera":
        from onevisit.devices.camera.opencv_source import OpenCVCamera

        opts = _options(url, parts.query, {"width", "height", "max_frames"})
        index_text = (parts.netloc or parts.path.strip("/")) or "0"
        if not index_text.isdigit():
            raise _bad_url(url, f"camera index must be a number, got {index_text!r}")
        return OpenCVCamera(
            url,
            int(index_text),
            live=True,
            width=_int(url, opts, "width", width),
            height=_int(url, opts, "height", height),
            max_frames=_int(url, opts, "max_frames", None),
        )
    if scheme == "file":
        from onevisit.devices.camera.opencv_source import OpenCVCamera

        opts = _options(url, parts.query, {"max_frames"})
        path = Path(unquote(parts.netloc + parts.path))
        if not path.is_file():
            raise CameraError(
                "camera_unavailable",
                "摄像头无法打开，请联系工作人员",
                f"The video file {path} does not exist",
                url=url,
            )
        return OpenCVCamera(url, str(path), live=False, max_frames=_int(url, opts, "max_frames", None))
    if scheme == "frames":
        from onevisit.devices.camera.frames_source import FramesCamera

        opts = _options(
            url, parts.query, {"fps", "loop", "repeat", "jitter", "fail_after", "max_frames", "seed"}
        )
        path = Path(unquote(parts.netloc + parts.path))
        try:
            fps = float(opts.get("fps", "10"))
        except ValueError:
            raise _bad_url(url, f"fps must be a number, got {opts['fps']!r}") from None
        return FramesCamera(
            url,
            path,
            fps=fps,
            loop=opts.get("loop", "0") in ("1", "true", "yes"),
            repeat=_int(url, opts, "repeat", 1) or 1,
            jitter=_int(url, opts, "jitter", 0) or 0,
            fail_after=_int(url, opts, "fail_after", None),
            max_frames=_int(url, opts, "max_frames", None),
            seed=_int(url, opts, "seed", 0) or 0,
        )
    if not scheme:
        raise _bad_url(url, "no scheme")
    raise _bad_url(url, f"unknown scheme {scheme!r}")
