"""BlazePose's region of interest: a rotated square around one person, in image pixels.

Both BlazePose stages describe a person by two points: the centre of the hips and a point
at the distance of the body's enclosing circle (the detector's keypoints 0 and 1, the
landmark model's auxiliary landmarks 33 and 34). The ROI is the square centred on the hips,
``2 * |scale_point - centre| * 1.25`` wide, rotated so that the direction from the hips to
the scale point becomes "up" in the crop (MediaPipe's alignment and rect transformation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Enlargement of the body circle's square, as in MediaPipe's pose graphs.
ROI_SCALE = 1.25


@dataclass(frozen=True)
class Roi:
    """A rotated square: centre ``(cx, cy)`` and side ``size`` in pixels, ``rotation`` in radians.

    A positive rotation turns the crop clockwise on the image (image y grows downwards); at
    rotation 0 the crop is axis-aligned with the person upright.
    """

    cx: float
    cy: float
    size: float
    rotation: float

    @classmethod
    def from_points(cls, centre: np.ndarray, scale_point: np.ndarray) -> "Roi":
        """The ROI from the hip centre and the body-circle point, both (x, y) in pixels."""
        dx = float(scale_point[0] - centre[0])
        dy = float(scale_point[1] - centre[1])
        rotation = math.pi / 2 - math.atan2(-dy, dx)
        rotation = rotation - 2 * math.pi * math.floor((rotation + math.pi) / (2 * math.pi))  # to [-pi, pi)
        return cls(float(centre[0]), float(centre[1]), 2.0 * math.hypot(dx, dy) * ROI_SCALE, rotation)

    def crop_to_image(self, crop_size: int) -> np.ndarray:
        """2x3 affine matrix taking crop pixel (u, v) of a ``crop_size`` crop to image (x, y)."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        k = self.size / crop_size
        half = self.size / 2.0
        return np.array(
            [
                [k * c, -k * s, self.cx - half * (c - s)],
                [k * s, k * c, self.cy - half * (s + c)],
            ],
            dtype=np.float64,
        )

    def to_image(self, points: np.ndarray, crop_size: int) -> np.ndarray:
        """Map (N, 2) crop pixel coordinates to (N, 2) image pixels."""
        m = self.crop_to_image(crop_size)
        return points @ m[:, :2].T + m[:, 2]

    def corners(self) -> np.ndarray:
        """The four corners (4, 2) in image pixels (top-left, top-right, bottom-right, bottom-left)."""
        unit = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        return self.to_image(unit, 1)
