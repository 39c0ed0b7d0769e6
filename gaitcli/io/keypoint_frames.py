"""What every keypoint-file reader produces — frames of person detections — and safe JSON loading."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from gaitcli.constants import MAX_FRAME_INDEX, MAX_KEYPOINT_COORDINATE, MAX_KEYPOINT_FILE_BYTES
from gaitcli.errors import InputError
from gaitcli.io.natsort import last_number
from gaitcli.io.paths import link_problem
from gaitcli.tracking import Detection

#: What load_keypoints accepts, for error messages.
EXPECTED_FORMATS = (
    "COCO-17 keypoint results (a list of {image_id, keypoints: 17 x [x, y, score]}), "
    "an OpenPose JSON folder (*_keypoints.json with \"people\": [{\"pose_keypoints_2d\": ...}]), "
    "or gaitcli pose JSON (\"format\": \"gaitcli.pose/1\")"
)


@dataclass
class KeypointFrame:
    """One frame of a keypoint file: its index, where it came from, and every person in it."""

    index: int
    source: str
    detections: list[Detection] = field(default_factory=list)
    width: int | None = None
    height: int | None = None


def read_json(path: Path) -> Any:
    """Parse a JSON file; an unusable file raises :class:`InputError` naming what was expected."""
    if not path.exists():
        raise InputError(f"{path} {link_problem(path) or 'does not exist'}")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{path} is empty; expected {EXPECTED_FORMATS}")
    if size > MAX_KEYPOINT_FILE_BYTES:
        raise InputError(f"{path} is {size / 2**20:.0f} MiB; gaitcli reads keypoint files of up to "
                         f"{MAX_KEYPOINT_FILE_BYTES / 2**20:.0f} MiB: split it into shorter walks")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except UnicodeDecodeError:
        raise InputError(f"{path} is not a JSON text file; expected {EXPECTED_FORMATS}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); expected {EXPECTED_FORMATS}"
        ) from None
    except RecursionError:
        raise InputError(f"{path} nests too deeply to be a keypoint file; expected {EXPECTED_FORMATS}") from None
    except ValueError as exc:  # e.g. a number of more than 4300 digits
        raise InputError(f"{path} is not usable JSON ({' '.join(str(exc).split())[:120]}); expected {EXPECTED_FORMATS}") from None


def frame_indices(names: Sequence[str | int], where: str = "the keypoint file") -> list[int]:
    """Frame numbers for ids already in natural order: their numbers where those increase, else 0, 1, 2...

    ``frame_12.jpg`` -> 12 and ``12`` -> 12, so gaps between processed frames survive; names whose
    numbers do not strictly increase in that order are simply numbered by position. A frame
    number outside 0 .. :data:`~gaitcli.constants.MAX_FRAME_INDEX` (a negative image id, say), and
    ids that mix numbers and names, are an :class:`InputError`.
    """
    given = [n for n in names if isinstance(n, int)]
    if given and len(given) < len(names):  # numbers and names: neither order nor spacing can be trusted
        odd = next(n for n in names if not isinstance(n, int))
        raise InputError(f"{where}: its image ids mix numbers and names (such as {_shown(odd)}); give every frame a number")
    for n in given:  # image ids that are numbers are frame numbers: within the documented range
        check_frame_number(n, where)
    numbers = [n if isinstance(n, int) else last_number(n) for n in names]
    if all(n is not None for n in numbers) and all(b > a for a, b in zip(numbers, numbers[1:])):
        for name, n in zip(names, numbers):
            check_frame_number(n, f"{where}: {name!r}" if isinstance(name, str) else where)
        return numbers  # type: ignore[return-value]
    return list(range(len(names)))


def check_frame_number(n: int | None, where: str) -> None:
    """Refuse a frame number (image id, number in a file name, "index") beyond the documented range."""
    if n is not None and not 0 <= n <= MAX_FRAME_INDEX:
        shown = str(n) if n.bit_length() <= 80 else f"a number of {n.bit_length()} bits"
        raise InputError(f"{where}: frame number {shown} is outside 0 to {MAX_FRAME_INDEX:,}; number the frames from 0")


def number(value: Any, where: str) -> float:
    """A JSON number as float (InputError naming ``where`` otherwise; null reads as 0)."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where} is {_shown(value)}, not a number")
    try:
        return float(value)
    except OverflowError:
        raise InputError(f"{where} is {_shown(value)}, too large a number") from None


_NUMBER_TYPES = {int, float, type(None)}


def keypoint_array(values: Any, count: int, where: str, what: str) -> np.ndarray:
    """A flat ``[x, y, score] x count`` JSON list as a (count, 3) float array (null -> missing).

    Every value must be a JSON number or null (not a string or a boolean), and the coordinates of
    the keypoints seen (score above 0) must lie within :data:`~gaitcli.constants.MAX_KEYPOINT_COORDINATE`
    pixels of the origin; otherwise :class:`InputError`.
    """
    return keypoint_arrays([values], count, lambda _: where, what)[0]


def keypoint_arrays(lists: Sequence[Any], count: int, where: Callable[[int], str], what: str) -> np.ndarray:
    """Many keypoint lists (as :func:`keypoint_array` checks each) as one (N, count, 3) array;
    ``where(i)`` names list ``i`` in messages."""
    for i, values in enumerate(lists):
        if not isinstance(values, list):
            raise InputError(f"{where(i)} has keypoints {_shown(values)}, not a list; {what} needs {3 * count} numbers "
                             f"({count} x [x, y, score])")
        if len(values) != 3 * count:
            raise InputError(f"{where(i)} holds {len(values)} keypoint values; {what} needs {3 * count} ({count} x [x, y, score])")
        if not {type(v) for v in values} <= _NUMBER_TYPES:
            bad = next(v for v in values if type(v) not in _NUMBER_TYPES)
            raise InputError(f"{where(i)} holds keypoint values that are not numbers (such as {_shown(bad)})")
    try:
        array = np.array(lists, dtype=np.float64).reshape(len(lists), count, 3)
    except OverflowError:
        row = next(i for i, values in enumerate(lists) if any(isinstance(v, int) and abs(v) > 2**1023 for v in values))
        raise InputError(f"{where(row)} holds a keypoint value too large for a number") from None
    seen = np.nan_to_num(array[..., 2]) > 0
    beyond = ((np.abs(array[..., :2]) > MAX_KEYPOINT_COORDINATE).any(axis=-1) & seen).any(axis=-1)
    if beyond.any():
        raise InputError(f"{where(int(np.argmax(beyond)))} holds keypoint coordinates beyond {MAX_KEYPOINT_COORDINATE:,.0f} "
                         "pixels; they are not positions in an image")
    return array


def box_values(box: Any, where: str, layout: str) -> list[float]:
    """A JSON box (4 numbers, ``layout`` names them for messages) as floats within
    :data:`~gaitcli.constants.MAX_KEYPOINT_COORDINATE` pixels; otherwise :class:`InputError`."""
    if not isinstance(box, list) or len(box) != 4 or any(type(v) not in (int, float) for v in box):
        raise InputError(f"{where} has a box that is not {layout}")
    if not all(abs(v) <= MAX_KEYPOINT_COORDINATE for v in box):  # NaN fails too
        raise InputError(f"{where} has a box beyond {MAX_KEYPOINT_COORDINATE:,.0f} pixels; it is not a box in an image")
    return [float(v) for v in box]


def image_dimension(value: Any, where: str) -> int | None:
    """An image width or height from JSON: a positive number of pixels, or None where absent (null, 0)."""
    size = number(value, where)
    if size == 0:
        return None
    if not 0 < size <= MAX_KEYPOINT_COORDINATE:
        raise InputError(f"{where} is {_shown(value)}, not an image size in pixels")
    return int(size)


def _shown(value: Any) -> str:
    """A JSON value as a short one-line quote for messages."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 80:
        return f"a number of {value.bit_length()} bits"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
