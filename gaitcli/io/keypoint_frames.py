"""What every keypoint-file reader produces — frames of person detections — and safe JSON loading."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from gaitcli.errors import InputError
from gaitcli.io.natsort import last_number
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
        raise InputError(f"{path} does not exist")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty; expected {EXPECTED_FORMATS}")
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


def frame_indices(names: Sequence[str | int]) -> list[int]:
    """Frame numbers for ids already in natural order: their numbers where those increase, else 0, 1, 2...

    ``frame_12.jpg`` -> 12 and ``12`` -> 12, so gaps between processed frames survive; ids whose
    numbers do not strictly increase in that order are simply numbered by position.
    """
    numbers = [n if isinstance(n, int) else last_number(n) for n in names]
    if all(n is not None for n in numbers) and all(b > a for a, b in zip(numbers, numbers[1:])):
        return numbers  # type: ignore[return-value]
    return list(range(len(names)))


def number(value: Any, where: str) -> float:
    """A JSON number as float (InputError naming ``where`` otherwise; null reads as 0)."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where} is {json.dumps(value)[:40]}, not a number")
    return float(value)


def keypoint_array(values: Any, count: int, where: str, what: str) -> np.ndarray:
    """A flat ``[x, y, score] x count`` JSON list as a (count, 3) float array (null -> missing)."""
    if not isinstance(values, list) or len(values) != 3 * count:
        size = len(values) if isinstance(values, list) else type(values).__name__
        raise InputError(f"{where} holds {size} keypoint values; {what} needs {3 * count} ({count} x [x, y, score])")
    try:
        return np.asarray(values, dtype=np.float64).reshape(count, 3)
    except (TypeError, ValueError):
        raise InputError(f"{where} holds keypoint values that are not numbers") from None
