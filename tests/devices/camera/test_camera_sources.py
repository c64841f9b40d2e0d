"""Camera sources by URL, the frames simulator's faults, and robust image decoding."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from onevisit.devices.camera import CameraError, ImageError, load_image, load_image_bytes, open_camera


def _write(path: Path, value: int, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, (value, value, value)).save(path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "frames"
    d.mkdir()
    for i, value in enumerate((10, 20, 30)):
        _write(d / f"f{i:03d}.png", value)
    (d / "notes.txt").write_text("not a frame")
    return d


def test_frames_folder_in_order_with_frame_timestamps(folder: Path) -> None:
    cam = open_camera(f"frames://{folder}?fps=5")
    frames = []
    while (frame := cam.read()) is not None:
        frames.append(frame)
    assert [int(f.image[0, 0, 0]) for f in frames] == [10, 20, 30]
    assert [f.t for f in frames] == [0.0, 0.2, 0.4]
    assert frames[0].image.shape == (48, 64, 3) and frames[0].size == (64, 48)
    health = cam.health()
    assert health.is_open and health.frames == 3 and health.to_dict()["files"] == 3
    cam.close()
    assert not cam.is_open and cam.read() is None


def test_frames_loop_repeat_and_max_frames(folder: Path) -> None:
    cam = open_camera(f"frames://{folder}?loop=1&repeat=2&max_frames=8")
    values = [int(f.image[0, 0, 0]) for f in iter(cam.read, None)]
    assert values == [10, 10, 20, 20, 30, 30, 10, 10]


def test_fail_after_makes_the_camera_vanish(folder: Path) -> None:
    cam = open_camera(f"frames://{folder}?loop=1&fail_after=4")
    for _ in range(4):
        assert cam.read() is not None
    with pytest.raises(CameraError) as exc:
        cam.read()
    assert exc.value.code == "camera_lost"
    assert "摄像头" in exc.value.zh
    assert not cam.is_open
    assert "fault injected" in cam.health().last_error
    with pytest.raises(CameraError):
        cam.read()  # stays gone


def test_a_corrupt_frame_file_is_skipped_and_counted(folder: Path) -> None:
    (folder / "f001.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    cam = open_camera(f"frames://{folder}")
    values = [int(f.image[0, 0, 0]) for f in iter(cam.read, None)]
    assert values == [10, 30]
    assert cam.health().bad_frames == 1


def test_jitter_shifts_a_repeated_photo(tmp_path: Path) -> None:
    image = np.zeros((60, 80, 3), np.uint8)
    image[20:40, 30:50] = 255
    Image.fromarray(image).save(tmp_path / "photo.png")
    cam = open_camera(f"frames://{tmp_path / 'photo.png'}?repeat=10&jitter=4&seed=3")
    frames = [f.image for f in iter(cam.read, None)]
    assert len(frames) == 10
    assert len({f.tobytes() for f in frames}) > 3  # the photo moves


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("frames:///nonexistent/dir", "camera_unavailable"),
        ("file:///nonexistent/clip.mp4", "camera_unavailable"),
        ("camera://99", "camera_unavailable"),
        ("camera://front", "camera_url"),
        ("usb://0", "camera_url"),
        ("/dev/video0", "camera_url"),
        ("frames:///tmp?fps=fast", "camera_url"),
        ("frames:///tmp?speed=2", "camera_url"),
    ],
)
def test_bad_sources_fail_clearly(url: str, code: str) -> None:
    with pytest.raises(CameraError) as exc:
        open_camera(url)
    assert exc.value.code == code
    assert exc.value.en


def test_empty_frames_folder(tmp_path: Path) -> None:
    with pytest.raises(CameraError, match="no image files"):
        open_camera(f"frames://{tmp_path}")


def test_video_file_source(tmp_path: Path) -> None:
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 20.0, (64, 48))
    for i in range(6):
        writer.write(np.full((48, 64, 3), i * 40, np.uint8))
    writer.release()
    cam = open_camera(f"file://{clip}")
    frames = list(iter(cam.read, None))
    assert len(frames) == 6
    assert frames[1].t == pytest.approx(0.05)
    assert frames[0].image.shape == (48, 64, 3)
    assert cam.health().kind == "file"
    cam.close()


def test_shared_clip_plays(faces_dir: Path) -> None:
    cam = open_camera(f"file://{faces_dir}/face_recognition/examples/short_hamilton_clip.mp4?max_frames=5")
    frames = list(iter(cam.read, None))
    assert len(frames) == 5 and frames[0].image.ndim == 3


# -- image decoding ---------------------------------------------------------------------------


def _encoded(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def test_webp_named_jpg_is_decoded_by_content(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(_encoded(Image.new("RGB", (40, 30), (200, 10, 10)), "WEBP", lossless=True))
    image = load_image(path)
    assert image.shape == (30, 40, 3)
    assert tuple(image[0, 0]) == (200, 10, 10)


def test_rgba_is_flattened_onto_white_and_grey_becomes_rgb() -> None:
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    out = load_image_bytes(_encoded(rgba, "PNG"))
    assert out.shape == (10, 20, 3) and out.min() == 255  # transparent -> white, not black
    grey = load_image_bytes(_encoded(Image.new("L", (20, 10), 77), "PNG"))
    assert grey.shape == (10, 20, 3) and set(np.unique(grey)) == {77}
    deep = Image.fromarray(np.full((10, 20), 40000, np.uint16))
    out16 = load_image_bytes(_encoded(deep, "PNG"))
    assert out16.shape == (10, 20, 3) and out16.max() == round(40000 / 257)  # scaled, not clipped
    palette = Image.new("P", (20, 10))
    assert load_image_bytes(_encoded(palette, "GIF")).shape == (10, 20, 3)


def test_huge_images_are_capped_and_bombs_refused() -> None:
    big = Image.new("RGB", (4000, 3000), (90, 90, 90))
    out = load_image_bytes(_encoded(big, "JPEG"), max_side=1000)
    assert max(out.shape[:2]) <= 1000
    out_png = load_image_bytes(_encoded(big, "PNG"), max_side=800)
    assert out_png.shape[:2] == (600, 800)
    # A header claiming 200 megapixels: refused before decoding.
    bomb = _encoded(Image.new("1", (20000, 10000)), "PNG")
    with pytest.raises(ImageError) as exc:
        load_image_bytes(bomb)
    assert exc.value.code == "image_too_large"


def test_truncated_garbage_empty_and_missing_files(tmp_path: Path) -> None:
    import face_recognition  # noqa: F401  (it relaxes Pillow globally; we must stay strict)

    data = _encoded(Image.effect_noise((200, 200), 60).convert("RGB"), "JPEG")
    with pytest.raises(ImageError) as exc:
        load_image_bytes(data[: len(data) // 2])
    assert exc.value.code == "image_truncated"
    assert "不完整" in exc.value.zh
    png = _encoded(Image.effect_noise((200, 200), 60).convert("RGB"), "PNG")
    with pytest.raises(ImageError) as exc:
        load_image_bytes(png[: len(png) // 2])
    assert exc.value.code in ("image_truncated", "image_unreadable")
    for junk in (b"this is not an image at all", b"\x89PNG\r\n\x1a\n\x00\x00"):
        with pytest.raises(ImageError) as exc:
            load_image_bytes(junk)
        assert exc.value.code == "image_unreadable"
    with pytest.raises(ImageError) as exc:
        load_image_bytes(b"")
    assert exc.value.code == "image_unreadable"
    with pytest.raises(ImageError) as exc:
        load_image(tmp_path / "absent.jpg")
    assert exc.value.code == "image_missing"
    with pytest.raises(ImageError):
        load_image(tmp_path)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    out = load_image_bytes(_encoded(image, "JPEG", exif=exif.tobytes()))
    assert out.shape[:2] == (40, 20)
