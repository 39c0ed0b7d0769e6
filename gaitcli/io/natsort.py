"""Numeric-aware ("natural") ordering of file names and frame ids: frame2 < frame10."""

from __future__ import annotations

import math
import re

_DIGITS = re.compile(r"(\d+)")
_MAX_DIGITS = 4000  # Python refuses to convert longer digit runs (int max str digits is 4300)


def _int(digits: str) -> int | float:
    return int(digits) if len(digits) <= _MAX_DIGITS else math.inf


def natural_key(name: str) -> tuple:
    """Sort key that compares runs of digits as numbers: ``frame_9.jpg`` < ``frame_10.jpg``.

    Text compares case-insensitively; the original string breaks ties so the order is total.
    """
    parts = _DIGITS.split(name.lower())
    # re.split with one group alternates text, digits, text, ...: odd positions are digits,
    # so two keys always compare str with str and int with int.
    return tuple(_int(p) if i % 2 else p for i, p in enumerate(parts)) + (name,)


def last_number(name: str) -> int | None:
    """The last run of digits in ``name`` as an int (``video_000000000012_keypoints`` -> 12);
    None when there is none (or it is too long to be a number)."""
    found = _DIGITS.findall(name)
    return int(found[-1]) if found and len(found[-1]) <= _MAX_DIGITS else None
