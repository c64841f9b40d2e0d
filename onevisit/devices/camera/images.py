"""Robust image decoding for faces: any photo a records system or a folder may hand us.

Files are decoded by their content, never by their extension (a WebP saved as .jpg is common in
exported records), with EXIF orientation applied, alpha flattened onto white, grey and 16-bit
images converted, and huge images downscaled while decoding so a 50-megapixel scan cannot exhaust
memory. Everything else is a specific `ImageError`, never a crash.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from onevisit.devices.camera.errors import ImageError

log = logging.getLogger(__name__)

#: Longest side kept for face work: more pixels add decode time but no recognition accuracy.
MAX_SIDE = 1600
#: Refuse images whose header claims more than this many pixels (decompression bombs).
MAX_PIXELS = 120_000_000

# face_recognition sets Pillow's global LOAD_TRUNCATED_IMAGES = True when imported, which would
# turn a half-copied photo into a grey-bottomed face silently; we load strictly under this lock.
_STRICT = threading.Lock()


def _unreadable(source: str, why: str) -> ImageError:
    return ImageError(
        "image_unreadable",
        "照片无法读取，请更换照片",
        f"The image cannot be read ({why})",
        source=source,
    )


def load_image_bytes(data: bytes, source: str = "<bytes>", max_side: int = MAX_SIDE) -> np.ndarray:
    """Decode image bytes to a contiguous RGB uint8 array (H, W, 3), longest side <= max_side."""
    if not data:
        raise _unreadable(source, "empty file")
    try:
        with warnings.catch_warnings():
            # Pillow warns before it raises for big images; we decide ourselves below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(
                    "image_too_large",
                    "照片尺寸过大，请更换照片",
                    f"The image is {width}x{height} pixels; at most {MAX_PIXELS} pixels are accepted",
                    source=source,
                )
            if image.format == "JPEG" and max(width, height) > max_side:
                # JPEG can decode at 1/2, 1/4, 1/8 scale directly: far faster for huge scans.
                image.draft("RGB", (max_side, max_side))
            with _STRICT:
                lenient = ImageFile.LOAD_TRUNCATED_IMAGES
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                try:
                    image.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise _unreadable(source, "not a known image format") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(
            "image_too_large", "照片尺寸过大，请更换照片", f"The image is too large ({exc})", source=source
        ) from None
    except OSError as exc:
        if "truncated" in str(exc).lower() or "broken data stream" in str(exc).lower():
            raise ImageError(
                "image_truncated",
                "照片文件不完整，请重新拍摄或更换照片",
                "The image file is truncated (incomplete download or copy)",
                source=source,
            ) from None
        raise _unreadable(source, str(exc)) from None
    except (ValueError, SyntaxError, EOFError) as exc:  # Pillow raises these for corrupt headers
        raise _unreadable(source, str(exc) or type(exc).__name__) from None
    try:
        image = ImageOps.exif_transpose(image)
    except Exception as exc:  # a corrupt EXIF block must not cost us the picture
        log.debug("ignoring unreadable EXIF orientation in %s: %s", source, exc)
    return _to_rgb(image, source, max_side)


def _to_rgb(image: Image.Image, source: str, max_side: int) -> np.ndarray:
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grey (scanner exports): scale the full range to 8 bits instead of clipping to white.
        arr = np.asarray(image, dtype=np.float64)
        top = 65535.0 if arr.max() <= 65535 else float(arr.max())
        grey = np.rint(arr * (255.0 / top)).clip(0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
    if mode == "F":
        arr = np.asarray(image, dtype=np.float64)
        span = (arr.max() - arr.min()) or 1.0
        grey = ((arr - arr.min()) * (255.0 / span)).astype(np.uint8)
        return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        # Transparent pixels would decode as black and darken the face crop; flatten onto white.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    try:
        rgb = image.convert("RGB")
    except (OSError, ValueError) as exc:
        raise _unreadable(source, f"unsupported colour mode {mode}: {exc}") from None
    arr = np.asarray(rgb, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3 or min(arr.shape[:2]) < 8:
        raise _unreadable(source, f"unusable pixel layout {arr.shape}")
    return np.ascontiguousarray(arr)


def load_image(path: str | Path, max_side: int = MAX_SIDE) -> np.ndarray:
    """Read and decode an image file; a missing file is an `ImageError` too."""
    return load_image_bytes(read_image_file(path), source=str(path), max_side=max_side)


def read_image_file(path: str | Path) -> bytes:
    """An image file's bytes, undecoded (what a reference cache keys by); ImageError
    `image_missing` / `image_unreadable` when the file cannot be read."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise ImageError(
            "image_missing", "找不到照片文件", f"The image file {p} does not exist", source=str(p)
        ) from None
    except IsADirectoryError:
        raise _unreadable(str(p), "is a folder") from None
    except OSError as exc:
        raise _unreadable(str(p), exc.strerror or str(exc)) from None
