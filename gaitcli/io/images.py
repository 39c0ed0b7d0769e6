"""Safe image files: read into RGB ``uint8`` (H, W, 3) and write atomically.

Every way a user's file can be unusable becomes an :class:`~gaitcli.errors.InputError` with a
one-line message: a missing path, a directory, a 0-byte file, a file that is not an image, a
truncated JPEG or PNG, and dimensions above :data:`~gaitcli.constants.MAX_IMAGE_PIXELS`.
The dimensions are read from the file's header *before* anything is decoded, so a tiny file
claiming 100 000 x 100 000 pixels is refused without allocating memory for it. A JPEG whose
decoder reports damaged data ("Corrupt JPEG data", "Premature end of JPEG file") is refused
too: the image after the damage is garbage. (Bit errors that happen to decode validly cannot
be told apart from an intact image.) Decoder messages never reach the terminal.

Supported formats (sniffed from the content, not the file name): JPEG, PNG, BMP, GIF (first
frame), WebP, TIFF and PNM (PBM/PGM/PPM).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from gaitcli.atomic import atomic_write
from gaitcli.constants import MAX_IMAGE_PIXELS
from gaitcli.errors import InputError
from gaitcli.io.native_stderr import captured_stderr
from gaitcli.io.paths import link_problem

SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "GIF", "WebP", "TIFF", "PNM")

#: File extensions :func:`save_image` can write.
WRITABLE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")

_HEADER_BYTES = 64 * 1024  # enough for every header parsed here except JPEGs with large APP segments
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"IEND\xaeB`\x82"  # the IEND chunk type and its (constant) CRC
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8, CC are not frames.
#: libjpeg's warnings about damaged entropy-coded data: the pixels after the damage are wrong.
_JPEG_DAMAGE = ("Corrupt JPEG data", "Premature end of JPEG file", "Invalid SOS parameters",
                "Inconsistent progression sequence", "Invalid JPEG file structure")
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class _NotParsable(Exception):
    """A header that claims a format but cannot be read as it."""


def image_size(path: str | os.PathLike) -> tuple[str, int, int]:
    """``(format, width, height)`` read from the file's header only (nothing is decoded).

    Raises :class:`InputError` for anything that is not a readable, supported image file.
    """
    p = _check_file(path)
    data = _read(p, _HEADER_BYTES)
    fmt, width, height, _ = _parse_header(p, data)
    return fmt, width, height


def load_image(path: str | os.PathLike, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Read an image file as RGB ``uint8`` shaped (H, W, 3).

    The header is checked first (format, dimensions against ``max_pixels``, truncation) and
    only then is the image decoded. Raises :class:`InputError` with a one-line message.
    """
    import cv2

    p = _check_file(path)
    fmt, width, height, body = _parse_header(p, _read(p, _HEADER_BYTES))
    if width * height > max_pixels:
        raise InputError(
            f"{p}: the image is {width}x{height} ({width * height / 1e6:.0f} megapixels), above the "
            f"limit of {max_pixels / 1e6:.0f} megapixels; downscale it first"
        )
    data = _read(p, None)
    _check_complete(p, fmt, data, body)
    with captured_stderr() as messages:  # libjpeg/libpng/OpenCV speak on fd 2; gaitcli judges and keeps quiet
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.ndim != 3 or image.size == 0:
        raise InputError(f"{p}: the {fmt} data cannot be decoded (corrupt file?)")
    damage = [line for line in messages[0].splitlines() if line.startswith(_JPEG_DAMAGE)] if fmt == "JPEG" else []
    if damage:
        raise InputError(f"{p}: the JPEG data is damaged (the decoder reports: {damage[0].strip()}); "
                         "re-copy or re-export the image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def save_image(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Write an RGB ``uint8`` image; the format follows the extension (see WRITABLE_EXTENSIONS).

    The file appears atomically (written to a temporary file beside it, then renamed), so an
    existing file at ``path`` is either replaced whole or left untouched. Returns the path.
    """
    import cv2

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in WRITABLE_EXTENSIONS:
        raise InputError(f"{p}: cannot write images of type '{p.suffix or '(none)'}'; use one of {', '.join(WRITABLE_EXTENSIONS)}")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; give a file name to write the image to")
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image shaped (H, W, 3); got {image.dtype} {image.shape}")
    ok, encoded = cv2.imencode(suffix, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise InputError(f"{p}: OpenCV could not encode the image as '{suffix}'")
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(p, encoded.tobytes(), mode=None)  # the permissions a plain write would give
    return p


# --- checks -----------------------------------------------------------------------


def _check_file(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: {link_problem(p) or 'no such file'}")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not an image file")
    if not p.is_file():
        raise InputError(f"{p}: not a regular file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty (0 bytes)")
    return p


def _read(p: Path, limit: int | None) -> bytes:
    try:
        with open(p, "rb") as f:
            return f.read() if limit is None else f.read(limit)
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file: {exc.strerror or exc}") from None


def _check_complete(p: Path, fmt: str, data: bytes, body: int) -> None:
    """Refuse truncated files whose decoders would silently return a half-grey image."""
    if fmt == "JPEG" and data.find(b"\xff\xd9", body) < 0:
        # After the first start-of-scan only entropy-coded data (where 0xFF is always
        # escaped) and markers follow; the end-of-image marker must be among them.
        raise InputError(f"{p}: the JPEG file is truncated (no end-of-image marker); re-copy or re-export it")
    if fmt == "PNG" and data.find(_PNG_IEND, body) < 0:
        raise InputError(f"{p}: the PNG file is truncated (no IEND chunk); re-copy or re-export it")


# --- headers ------------------------------------------------------------------------


def _parse_header(p: Path, data: bytes) -> tuple[str, int, int, int]:
    """``(format, width, height, body_offset)``; raises InputError for non-images."""
    parsers = (
        (data.startswith(b"\xff\xd8\xff"), "JPEG", _jpeg),
        (data.startswith(_PNG_SIGNATURE), "PNG", _png),
        (data.startswith(b"BM"), "BMP", _bmp),
        (data[:6] in (b"GIF87a", b"GIF89a"), "GIF", _gif),
        (data[:4] == b"RIFF" and data[8:12] == b"WEBP", "WebP", _webp),
        (data[:4] in (b"II*\x00", b"MM\x00*"), "TIFF", _tiff),
        (len(data) > 2 and data[:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace(), "PNM", _pnm),
    )
    for matches, fmt, parse in parsers:
        if not matches:
            continue
        try:
            width, height, body = parse(p, data)
        except (_NotParsable, struct.error, IndexError, ValueError):
            raise InputError(f"{p}: the {fmt} header is damaged or unsupported; it cannot be read") from None
        if width <= 0 or height <= 0:
            raise InputError(f"{p}: the {fmt} header gives no usable size ({width}x{height})")
        return fmt, width, height, body
    raise InputError(f"{p}: not an image file (supported: {', '.join(SUPPORTED_FORMATS)})")


def _jpeg(p: Path, data: bytes) -> tuple[int, int, int]:
    # Walk the marker segments; APP segments (EXIF, ICC) can be large, so read on from the file.
    with open(p, "rb") as f:
        pos, size = 2, None
        while True:
            f.seek(pos)
            head = f.read(4)
            if len(head) < 2 or head[0] != 0xFF:
                raise _NotParsable
            marker = head[1]
            if marker == 0xFF:  # fill byte
                pos += 1
                continue
            if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
                pos += 2
                continue
            if len(head) < 4:
                raise _NotParsable
            length = struct.unpack(">H", head[2:4])[0]
            if marker in _JPEG_SOF:
                f.seek(pos + 5)
                height, width = struct.unpack(">HH", f.read(4))
                size = (width, height)
            elif marker == 0xDA:  # start of scan: the header is over
                if size is None:
                    raise _NotParsable
                return size[0], size[1], pos + 2 + length
            elif marker == 0xD9:
                raise _NotParsable
            pos += 2 + length


def _png(p: Path, data: bytes) -> tuple[int, int, int]:
    if data[12:16] != b"IHDR":
        raise _NotParsable
    width, height = struct.unpack(">II", data[16:24])
    return width, height, 33


def _bmp(p: Path, data: bytes) -> tuple[int, int, int]:
    header_size = struct.unpack("<I", data[14:18])[0]
    if header_size == 12:  # OS/2 BITMAPCOREHEADER
        width, height = struct.unpack("<HH", data[18:22])
    elif header_size >= 40:
        width, height = struct.unpack("<ii", data[18:26])
    else:
        raise _NotParsable
    return width, abs(height), 14 + header_size  # negative height: rows stored top-down


def _gif(p: Path, data: bytes) -> tuple[int, int, int]:
    width, height = struct.unpack("<HH", data[6:10])
    return width, height, 13


def _webp(p: Path, data: bytes) -> tuple[int, int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise _NotParsable
        width, height = (v & 0x3FFF for v in struct.unpack("<HH", data[26:30]))
    elif chunk == b"VP8L":
        if data[20] != 0x2F:
            raise _NotParsable
        bits = int.from_bytes(data[21:25], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    else:
        raise _NotParsable
    return width, height, 20


def _tiff(p: Path, data: bytes) -> tuple[int, int, int]:
    end = "<" if data[:2] == b"II" else ">"
    with open(p, "rb") as f:
        f.seek(struct.unpack(end + "I", data[4:8])[0])
        (count,) = struct.unpack(end + "H", f.read(2))
        entries = f.read(12 * count)
    dims: dict[int, int] = {}
    for i in range(count):
        tag, kind, _, value = struct.unpack(end + "HHI4s", entries[12 * i : 12 * i + 12])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4)
            dims[tag] = struct.unpack(end + ("H" if kind == 3 else "I"), value[: 2 if kind == 3 else 4])[0]
    if 256 not in dims or 257 not in dims:
        raise _NotParsable
    return dims[256], dims[257], 8


def _pnm(p: Path, data: bytes) -> tuple[int, int, int]:
    # "P6 <width> <height> ..." with whitespace and '#' comments between the tokens.
    tokens: list[bytes] = []
    for line in data[2:1024].splitlines():
        tokens += line.split(b"#", 1)[0].split()
        if len(tokens) >= 2:
            return int(tokens[0]), int(tokens[1]), 0
    raise _NotParsable
