"""Drawing the 16-joint skeleton (gaitcli.constants.SKELETON_EDGES) on RGB images."""

from __future__ import annotations

from typing import Iterable

import numpy as np

from gaitcli.constants import L_ANKLE, L_ELBOW, L_HIP, L_KNEE, L_SHOULDER, L_WRIST, SKELETON_EDGES
from gaitcli.pose.base import Pose

RIGHT_COLOR = (255, 140, 0)  # orange: the person's right side
LEFT_COLOR = (30, 144, 255)  # blue: the person's left side
CENTRE_COLOR = (50, 205, 50)  # green: pelvis, thorax, neck, head
_LEFT = {L_ANKLE, L_KNEE, L_HIP, L_SHOULDER, L_ELBOW, L_WRIST}
_CENTRE = set(range(6, 10))


def _joint_color(joint: int) -> tuple[int, int, int]:
    if joint in _CENTRE:
        return CENTRE_COLOR
    return LEFT_COLOR if joint in _LEFT else RIGHT_COLOR


def draw_poses(image: np.ndarray, poses: Iterable[Pose], min_probability: float = 0.2) -> np.ndarray:
    """A copy of the RGB uint8 ``image`` with each pose's skeleton drawn on it.

    Bones are coloured by the side of their outer joint (right orange, left blue, centre
    green); joints and bones whose probability is below ``min_probability`` are left out.
    Line widths scale with the image size.
    """
    import cv2

    out = np.ascontiguousarray(image, dtype=np.uint8).copy()
    thickness = max(1, round(min(out.shape[:2]) / 200))
    shift = 4  # sub-pixel precision for cv2 drawing (coordinates * 16)
    for pose in poses:
        xy = np.stack([pose.coords_x, pose.coords_y], axis=1)
        ok = (np.asarray(pose.probabilities) >= min_probability) & np.isfinite(xy).all(axis=1)
        pts = np.round(np.nan_to_num(xy) * (1 << shift)).astype(np.int64)
        for a, b in SKELETON_EDGES:
            if ok[a] and ok[b]:
                cv2.line(out, tuple(map(int, pts[a])), tuple(map(int, pts[b])), _joint_color(b), thickness, cv2.LINE_AA, shift)
        for j in np.flatnonzero(ok):
            cv2.circle(out, tuple(map(int, pts[j])), (thickness + 1) << shift, _joint_color(int(j)), -1, cv2.LINE_AA, shift)
    return out


def draw_pose(image: np.ndarray, pose: Pose, min_probability: float = 0.2) -> np.ndarray:
    """A copy of ``image`` with one pose drawn on it (see :func:`draw_poses`)."""
    return draw_poses(image, [pose], min_probability)


def track_color(track_id: int) -> tuple[int, int, int]:
    """A distinct, stable RGB colour per track id (golden-angle hues)."""
    import colorsys

    r, g, b = colorsys.hsv_to_rgb((track_id * 0.618033988749895) % 1.0, 0.85, 1.0)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_tracks(image: np.ndarray, people: Iterable[tuple[int, object]], min_probability: float = 0.2) -> np.ndarray:
    """A copy of ``image`` with each ``(track id, detection)``'s box and id in the track's colour
    and, where the detection has joints, its skeleton (:func:`draw_poses`)."""
    import cv2

    people = list(people)
    out = draw_poses(image, [d for _, d in people if getattr(d, "probabilities", None) is not None], min_probability)
    thickness = max(1, round(min(out.shape[:2]) / 300))
    scale = max(0.4, min(out.shape[:2]) / 900)
    for track_id, det in people:
        x0, y0, x1, y1 = (int(round(float(v))) for v in det.box)
        color = track_color(track_id)
        cv2.rectangle(out, (x0, y0), (x1, y1), color, thickness, cv2.LINE_AA)
        label = str(track_id)
        (w, h), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        top = max(0, y0 - h - base - 2)
        cv2.rectangle(out, (x0, top), (x0 + w + 4, top + h + base + 2), color, -1)
        cv2.putText(out, label, (x0 + 2, top + h + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness, cv2.LINE_AA)
    return out
