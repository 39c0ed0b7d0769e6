"""Finding every person in a frame, down to ~50 px tall: an SSDLite person detector over image windows.

The model (:mod:`gaitcli.pose.person_model`) sees a 300 x 300 RGB image in [-1, 1] (any window
stretched to that size, as it was trained) and finds people from about :data:`APPARENT_MIN_PX`
model pixels tall. One look at a whole 768 x 576 frame shrinks a 70-px person to 36 px and
misses them, so the frame is seen as a small pyramid of overlapping windows
(:func:`windows`):

* the whole frame (split into overlapping near-square windows when it is wider than
  :data:`MAX_ASPECT`) finds the large people;
* windows of :data:`APPARENT_MIN_PX` / ``min_height`` x 300 px find people down to
  ``min_height`` (default :data:`MIN_PERSON_PX`) at the size the model knows, with
  intermediate levels when the two are more than :data:`LEVEL_RATIO` apart;
* neighbouring windows overlap by :data:`OVERLAP` of their size, so a person cut by one
  window's edge is whole in the next.

The windows' boxes are merged (:func:`merge_boxes`): a box cut by an inner window edge yields to
the whole one, duplicates (IoU above :data:`NMS_IOU`) to the higher score, a box that holds
two other kept people side by side (a two-person box from a coarse level) is dropped, and so is
a part of a person (an upper body inside the whole body's box). A 640 x 360
frame takes one model run; 768 x 576 five; 1920 x 1080 about twenty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.errors import ModelError
from gaitcli.pose.litert import TfliteModel
from gaitcli.pose.person_model import INPUT_SIZE

MIN_PERSON_PX = 50  # the smallest person (pixels tall) the windows are sized for
APPARENT_MIN_PX = 50  # model pixels a person needs to be found reliably (recall 87 % at 50, 80 % at 40 on the labelled frames)
LEVEL_SLACK = 1.25  # a whole frame at most this much above the finest windows is looked at whole only
MAX_ASPECT = 1.8  # a whole frame up to this width/height is one window (16:9 included)
WINDOW_ASPECT = 4 / 3  # width/height of the finer windows
LEVEL_RATIO = 3.0  # most a window level may shrink from the one above
OVERLAP = 0.25  # of a window's size, shared with its neighbour
MIN_SCORE = 0.5  # a person; boxes down to LOW_SCORE are kept for the tracker's second pass
LOW_SCORE = 0.25
NMS_IOU = 0.45
CUT_MARGIN = 2.0  # pixels: a box this near an inner window edge is cut by it
CONTAINED = 0.7  # share of a box inside another that makes it "held" by the other
SIDE_BY_SIDE_HEIGHT = 0.6  # held boxes at least this share of the holder's height are people in it
PART_INSIDE = 0.85  # a box this much inside a kept box ...
PART_RATIO = 1.4  # ... that is this many times taller is a part of that person


@dataclass(frozen=True)
class PersonBox:
    """One person found: ``box`` (x0, y0, x1, y1) around the whole body, image pixels; ``score`` in [0, 1]."""

    box: tuple[float, float, float, float]
    score: float

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


def _positions(length: int, window: int) -> list[int]:
    """Window starts covering [0, length) with at least OVERLAP shared between neighbours."""
    if window >= length:
        return [0]
    count = math.ceil((length - window) / (window * (1 - OVERLAP))) + 1
    return [round(i * (length - window) / (count - 1)) for i in range(count)]


def _level(width: int, height: int, win_h: int, win_w: int) -> list[tuple[int, int, int, int]]:
    win_h, win_w = min(win_h, height), min(win_w, width)
    return [(x, y, x + win_w, y + win_h) for y in _positions(height, win_h) for x in _positions(width, win_w)]


def windows(width: int, height: int, min_height: float = MIN_PERSON_PX) -> list[tuple[int, int, int, int]]:
    """The image windows ``(x0, y0, x1, y1)`` the detector looks at, coarsest first (see the module docstring)."""
    if width <= 0 or height <= 0:
        return []
    found: list[tuple[int, int, int, int]] = []
    if width <= MAX_ASPECT * height and height <= MAX_ASPECT * width:
        found.append((0, 0, width, height))  # the whole frame in one look
        top = height
    else:  # a very wide (or tall) frame: near-square windows of its short side
        side = min(width, height)
        found += _level(width, height, side, round(side * WINDOW_ASPECT) if width > height else side)
        top = side
    finest = max(1, round(min_height * INPUT_SIZE / APPARENT_MIN_PX))
    levels = []
    if top > finest * LEVEL_SLACK:  # geometric steps of at most LEVEL_RATIO down to the finest windows
        n = math.ceil(math.log(top / finest) / math.log(LEVEL_RATIO))
        levels = [round(top / (top / finest) ** (k / n)) for k in range(1, n + 1)]
    for win_h in levels:
        found += _level(width, height, win_h, round(win_h * WINDOW_ASPECT))
    return list(dict.fromkeys(found))  # no window twice


def box_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union of boxes ``(x0, y0, x1, y1)``."""
    inter = _intersection(a, b)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    h = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def merge_boxes(boxes: np.ndarray, scores: np.ndarray, cut: np.ndarray) -> list[int]:
    """Indices of the boxes kept, best first (see the module docstring).

    ``cut`` marks boxes touching an inner edge of their window: they are considered after the
    whole ones and yield to any kept box that holds most of them. Of the boxes kept, one that
    holds two others side by side, each nearly its height, is a two-person box and goes; then a
    box held by a kept box at least ``PART_RATIO`` times its height is a part of that person
    (an upper body, legs) and goes.
    """
    if len(boxes) == 0:
        return []
    order = np.lexsort((-scores, cut))  # whole boxes first, then by score
    iou = box_iou_matrix(boxes, boxes)
    inter = _intersection(boxes, boxes)
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-9)
    inside = inter / area[:, None]  # inside[i, j]: share of box i inside box j
    height = boxes[:, 3] - boxes[:, 1]
    kept: list[int] = []
    for i in order:
        same = [k for k in kept if iou[i, k] > NMS_IOU]
        if same:
            k = same[0]
            if not cut[i] and height[i] >= PART_RATIO * height[k] and inside[k, i] > PART_INSIDE:
                kept[kept.index(k)] = int(i)  # the whole person, where a part of them scored higher
            continue
        if cut[i] and any(inside[i, k] > CONTAINED for k in kept):
            continue
        kept.append(int(i))
    drop = set()
    for j in kept:  # two people side by side inside one box
        people = [k for k in kept if k != j and inside[k, j] > CONTAINED and height[k] >= SIDE_BY_SIDE_HEIGHT * height[j]]
        for n, a in enumerate(people):
            for b in people[n + 1 :]:
                overlap = min(boxes[a, 2], boxes[b, 2]) - max(boxes[a, 0], boxes[b, 0])
                if overlap < 0.5 * min(boxes[a, 2] - boxes[a, 0], boxes[b, 2] - boxes[b, 0]):
                    drop.add(j)
    kept = [k for k in kept if k not in drop]
    parts = {i for i in kept for j in kept if i != j and inside[i, j] > PART_INSIDE and height[j] >= PART_RATIO * height[i]}
    return [k for k in kept if k not in parts]


class PersonDetector:
    """Every person in an RGB image, through the SSDLite person model over :func:`windows`."""

    def __init__(self, model_path: str | Path, num_threads: int = 2, min_height: float = MIN_PERSON_PX):
        self.model = TfliteModel(model_path, num_threads)
        shapes = sorted(tuple(s) for s in self.model.output_shapes)
        if self.model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3) or [s[-1] for s in shapes] != [2, 4]:
            raise ModelError(f"{model_path}: not the SSDLite person detector (unexpected tensor shapes)")
        self._box_out = [s[-1] for s in self.model.output_shapes].index(4)
        self.min_height = float(min_height)
        self.runs = 0  # model runs so far (for benchmarks)

    def detect(self, image: np.ndarray, min_score: float = LOW_SCORE) -> list[PersonBox]:
        """People in an RGB uint8 image scoring at least ``min_score``, best first."""
        import cv2

        h, w = image.shape[:2]
        all_boxes, all_scores, all_cut = [], [], []
        for x0, y0, x1, y1 in windows(w, h, self.min_height):
            patch = cv2.resize(image[y0:y1, x0:x1], (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)
            x = (patch.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0))[None]
            outputs = self.model.run(x)
            self.runs += 1
            raw = outputs[self._box_out][0]
            probs = outputs[1 - self._box_out][0, :, 1]
            keep = np.flatnonzero(probs >= min_score)
            if keep.size == 0:
                continue
            ymin, xmin, ymax, xmax = (np.clip(raw[keep, k], 0.0, 1.0) for k in range(4))
            boxes = np.stack([x0 + xmin * (x1 - x0), y0 + ymin * (y1 - y0), x0 + xmax * (x1 - x0), y0 + ymax * (y1 - y0)], axis=1)
            cut = np.zeros(len(keep), dtype=bool)
            for edge, inner in ((0, x0 > 0), (1, y0 > 0)):
                if inner:
                    cut |= boxes[:, edge] <= (x0, y0)[edge] + CUT_MARGIN
            for edge, inner in ((2, x1 < w), (3, y1 < h)):
                if inner:
                    cut |= boxes[:, edge] >= (x1, y1)[edge - 2] - CUT_MARGIN
            all_boxes.append(boxes)
            all_scores.append(probs[keep])
            all_cut.append(cut)
        if not all_boxes:
            return []
        boxes = np.concatenate(all_boxes).astype(np.float64)
        scores = np.concatenate(all_scores).astype(np.float64)
        cut = np.concatenate(all_cut)
        valid = (boxes[:, 2] - boxes[:, 0] > 1) & (boxes[:, 3] - boxes[:, 1] > 1)
        boxes, scores, cut = boxes[valid], scores[valid], cut[valid]
        return [PersonBox(tuple(float(v) for v in boxes[i]), float(scores[i])) for i in merge_boxes(boxes, scores, cut)]
