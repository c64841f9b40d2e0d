"""Images a records system, a folder or a camera may hand us: a clear ImageError or a usable RGB array.

Every format Pillow writes, in every colour mode a photo arrives in, then cut short at random points
and with random bytes flipped (Hypothesis); plus a header claiming a giant image, a WebP named .jpg,
an empty file and a folder.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from onevisit.devices.camera.errors import ImageError
from onevisit.devices.camera.images import load_image, load_image_bytes

pytestmark = pytest.mark.timeout(120)


def _photo(mode: str, fmt: str, size=(64, 48)) -> bytes:
    rng = np.random.default_rng(1)
    base = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    if mode == "I;16":
        image = Image.fromarray((rng.integers(0, 65535, (size[1], size[0]))).astype(np.uint16))
    else:
        image = base.convert(mode)
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


VARIANTS = {
    f"{mode}.{fmt}": _photo(mode, fmt)
    for fmt, modes in {
        "JPEG": ["RGB", "L", "CMYK"],
        "PNG": ["RGB", "RGBA", "L", "LA", "P", "I;16"],
        "WEBP": ["RGB", "RGBA"],
        "GIF": ["P"],
        "BMP": ["RGB"],
        "TIFF": ["RGB", "CMYK", "I;16"],
    }.items()
    for mode in modes
}


def _usable(arr: np.ndarray) -> None:
    assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3 and arr.flags.c_contiguous


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_format_and_colour_mode_decodes_to_rgb(name):
    arr = load_image_bytes(VARIANTS[name], source=name)
    _usable(arr)
    assert arr.shape[:2] == (48, 64)


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@FUZZ
@given(
    name=st.sampled_from(sorted(VARIANTS)),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4),
)
def test_truncated_or_damaged_images_are_an_image_error(name, cut, flips):
    data = bytearray(VARIANTS[name])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = bytes(data[: int(cut * len(data))]) if cut < 1 else bytes(data)
    try:
        arr = load_image_bytes(data, source=name)
    except ImageError as exc:
        assert exc.code.startswith("image_") and exc.zh and exc.en
        return
    _usable(arr)  # a flipped byte in pixel data can still decode; it must then be a real picture


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says width x height but holds almost nothing: a decompression bomb's shape."""
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return sig + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")


def test_a_header_claiming_a_giant_image_is_refused_before_decoding():
    with pytest.raises(ImageError) as err:
        load_image_bytes(_png_claiming(40_000, 40_000), source="bomb.png")
    assert err.value.code == "image_too_large"


def test_a_large_real_photo_is_scaled_down():
    big = Image.fromarray(np.random.default_rng(2).integers(0, 255, (3000, 4000, 3), dtype=np.uint8))
    buf = io.BytesIO()
    big.save(buf, format="JPEG", quality=70)
    arr = load_image_bytes(buf.getvalue(), source="scan.jpg")
    _usable(arr)
    assert max(arr.shape[:2]) <= 1600


def test_webp_named_jpg_empty_file_folder_and_missing_file(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(VARIANTS["RGB.WEBP"])
    _usable(load_image(fake))  # decoded by content, not by name
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    for path, code in (
        (empty, "image_unreadable"),
        (tmp_path, "image_unreadable"),
        (tmp_path / "no.jpg", "image_missing"),
    ):
        with pytest.raises(ImageError) as err:
            load_image(path)
        assert err.value.code == code
    text = tmp_path / "notes.jpg"
    text.write_text("这不是照片", encoding="utf-8")
    with pytest.raises(ImageError):
        load_image(text)
