"""gaitcli.io.images: reading every supported format, refusing every unusable file."""

from __future__ import annotations

import os
import stat
import struct
import zlib

import cv2
import numpy as np
import pytest

from gaitcli.errors import InputError
from gaitcli.io.images import image_size, load_image, save_image


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    """A 90 x 120 RGB picture with distinct colour blocks (so channel order is testable)."""
    image = np.zeros((90, 120, 3), np.uint8)
    image[:, :40] = (255, 0, 0)  # red
    image[:, 40:80] = (0, 255, 0)  # green
    image[:, 80:] = (0, 0, 255)  # blue
    image[30:60, 50:70] = (250, 250, 250)
    return image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp", ".webp", ".tif", ".ppm", ".gif"])
def test_round_trip_keeps_size_and_rgb_order(tmp_path, picture, ext):
    path = tmp_path / f"picture{ext}"
    if ext in (".ppm", ".gif"):  # formats gaitcli reads but does not write
        if not cv2.imwrite(str(path), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)):
            pytest.skip(f"this OpenCV cannot write {ext}")
    else:
        save_image(path, picture)
    assert image_size(path)[1:] == (120, 90)
    image = load_image(path)
    assert image.shape == (90, 120, 3) and image.dtype == np.uint8
    # lossy formats change values a little; channel order must be right
    assert image[45, 10].argmax() == 0 and image[45, 60].min() > 200 and image[10, 60].argmax() == 1
    assert image[45, 100].argmax() == 2


def test_header_formats(tmp_path, picture):
    save_image(tmp_path / "a.jpg", picture)
    save_image(tmp_path / "a.png", picture)
    assert image_size(tmp_path / "a.jpg") == ("JPEG", 120, 90)
    assert image_size(tmp_path / "a.png") == ("PNG", 120, 90)


def test_jpeg_with_large_exif_segment(tmp_path, picture):
    # an APP1 segment of 60 kB pushes the frame header past the first read
    ok, jpeg = cv2.imencode(".jpg", picture)
    data = jpeg.tobytes()
    app1 = b"\xff\xe1" + struct.pack(">H", 60002) + b"Exif\x00\x00" + bytes(59994)
    path = tmp_path / "exif.jpg"
    path.write_bytes(data[:2] + app1 + data[2:])
    assert image_size(path) == ("JPEG", 120, 90)
    assert load_image(path).shape == (90, 120, 3)


def _error(path) -> str:
    with pytest.raises(InputError) as info:
        load_image(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_directory_and_empty(tmp_path):
    assert "no such file" in _error(tmp_path / "nope.jpg")
    assert "directory" in _error(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    assert "empty" in _error(tmp_path / "empty.png")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.jpg").write_text("these are not pixels\n")
    assert "not an image" in _error(tmp_path / "notes.jpg")
    (tmp_path / "damaged.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert "damaged" in _error(tmp_path / "damaged.png")


def test_truncated_jpeg_and_png(tmp_path, picture):
    for ext in (".jpg", ".png"):
        full = tmp_path / f"full{ext}"
        save_image(full, picture)
        data = full.read_bytes()
        cut = tmp_path / f"cut{ext}"
        cut.write_bytes(data[: len(data) * 2 // 3])
        assert "truncated" in _error(cut)
        assert load_image(full).shape == (90, 120, 3)  # the whole file still reads


def test_absurd_dimensions_refused_before_decoding(tmp_path):
    # a 60-byte PNG claiming 100000 x 100000 pixels
    huge = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    (tmp_path / "huge.png").write_bytes(huge + _png_chunk(b"IEND", b""))
    assert image_size(tmp_path / "huge.png") == ("PNG", 100_000, 100_000)
    assert "megapixels" in _error(tmp_path / "huge.png")
    # a JPEG whose frame header claims 60000 x 60000
    ok, jpeg = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(jpeg.tobytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60_000, 60_000)
    (tmp_path / "huge.jpg").write_bytes(bytes(data))
    assert "megapixels" in _error(tmp_path / "huge.jpg")
    # the limit is a parameter
    save_image(tmp_path / "small.png", np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(InputError, match="limit"):
        load_image(tmp_path / "small.png", max_pixels=399)


def test_save_image_is_atomic_and_refuses_bad_targets(tmp_path, picture):
    target = tmp_path / "sub" / "out.png"
    save_image(target, picture)
    assert np.array_equal(load_image(target), picture)
    mode = stat.S_IMODE(os.stat(target).st_mode)
    assert mode & 0o044  # readable like any new file, not mkstemp's 0600
    with pytest.raises(InputError, match="cannot write"):
        save_image(tmp_path / "out.txt", picture)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(InputError, match="directory"):
        save_image(tmp_path / "folder.png", picture)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["out.png"]  # no temporary left over
