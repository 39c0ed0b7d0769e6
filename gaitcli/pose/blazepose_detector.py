"""BlazePose's person detector (``pose_detection.tflite``): image -> person detections.

The model sees the whole image letterboxed into 224 x 224 (aspect kept, black padding, RGB
scaled to [-1, 1]) and scores 2254 SSD anchors: strides 8, 16, 32, 32, 32 with 2 anchors per
cell, all anchors of fixed size 1 (so 28*28*2 + 14*14*2 + 7*7*6 = 2254). Each anchor regresses
12 values in 224-px units relative to its centre: box centre x, y, width, height and four
keypoints (x, y) -- 0: hip centre, 1: a point on the body's enclosing circle, 2: shoulder
centre, 3: a point on the upper body's circle. Scores are logits (clipped to +-100, then a
sigmoid). Detections above :data:`MIN_SCORE` are merged by weighted non-maximum suppression
(IoU above :data:`NMS_IOU`), as in MediaPipe's pose detection graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.errors import ModelError
from gaitcli.pose.blazepose_roi import Roi
from gaitcli.pose.litert import TfliteModel

INPUT_SIZE = 224
MIN_SCORE = 0.5  # sigmoid score a detection needs
NMS_IOU = 0.3  # detections overlapping more than this are merged
_STRIDES = (8, 16, 32, 32, 32)
_ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus the interpolated scale


@dataclass(frozen=True)
class Detection:
    """One detected person, in image pixels.

    ``box`` is the detector's own box (x0, y0, x1, y1), around the head and shoulders rather
    than the whole body; ``keypoints`` is (4, 2) (x, y): hip centre, body-circle point,
    shoulder centre, upper-body-circle point; ``roi`` is the body's square for the landmark model.
    """

    score: float
    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    roi: Roi


def ssd_anchors() -> np.ndarray:
    """Anchor centres (2254, 2) as (x, y) in [0, 1], in the model's output order."""
    centres = []
    i = 0
    while i < len(_STRIDES):
        # consecutive layers with the same stride share one feature map
        j = i
        while j < len(_STRIDES) and _STRIDES[j] == _STRIDES[i]:
            j += 1
        cells = -(-INPUT_SIZE // _STRIDES[i])  # ceil
        per_cell = _ANCHORS_PER_LAYER * (j - i)
        grid = (np.arange(cells, dtype=np.float64) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell_centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell_centres, per_cell, axis=0))
        i = j
    return np.concatenate(centres, axis=0)


class PoseDetector:
    """The BlazePose person detector on one image at a time."""

    def __init__(self, model_path: str | Path, num_threads: int = 2):
        self.model = TfliteModel(model_path, num_threads)
        self.anchors = ssd_anchors()
        if self.model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3) or sorted(s[-1] for s in self.model.output_shapes) != [1, 12]:
            raise ModelError(f"{model_path}: not BlazePose's pose detector (unexpected tensor shapes)")
        self._box_out = [s[-1] for s in self.model.output_shapes].index(12)

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        """Letterboxed model input (1, 224, 224, 3) in [-1, 1], and (scale, pad_x, pad_y)."""
        import cv2

        h, w = image.shape[:2]
        scale = INPUT_SIZE / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        # bilinear, as MediaPipe's own pre-processing (area averaging costs ~10 ms on a
        # 1768x994 frame and found fewer people on the test video)
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
        pad_x, pad_y = (INPUT_SIZE - nw) // 2, (INPUT_SIZE - nh) // 2
        canvas = np.full((INPUT_SIZE, INPUT_SIZE, 3), -1.0, dtype=np.float32)  # black padding
        canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = resized * np.float32(1 / 127.5) - np.float32(1.0)
        return canvas[None], scale, float(pad_x), float(pad_y)

    def detect(self, image: np.ndarray) -> list[Detection]:
        """People in an RGB uint8 image, highest score first."""
        x, scale, pad_x, pad_y = self.preprocess(image)
        outputs = self.model.run(x)
        raw = outputs[self._box_out][0].astype(np.float64)
        logits = outputs[1 - self._box_out][0, :, 0].astype(np.float64)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -100.0, 100.0)))
        keep = np.flatnonzero(scores >= MIN_SCORE)
        if keep.size == 0:
            return []
        raw, scores = raw[keep], scores[keep]
        anchors = self.anchors[keep] * INPUT_SIZE  # anchor centres in 224-px units
        # all values in 224-px letterbox pixels: box centre/size and 4 keypoints, (x, y) pairs
        points = raw[:, [0, 1, 4, 5, 6, 7, 8, 9, 10, 11]].reshape(-1, 5, 2) + anchors[:, None, :]
        half = raw[:, 2:4] / 2.0
        boxes = np.concatenate([points[:, 0] - half, points[:, 0] + half], axis=1)
        merged = _weighted_nms(boxes, points[:, 1:].reshape(len(keep), -1), scores)
        offset = np.array([pad_x, pad_y])
        detections = []
        for score, box, kps in merged:
            box_px = (box.reshape(2, 2) - offset) / scale
            kps_px = (kps.reshape(4, 2) - offset) / scale
            detections.append(
                Detection(
                    score=float(score),
                    box=tuple(float(v) for v in box_px.ravel()),
                    keypoints=kps_px,
                    roi=Roi.from_points(kps_px[0], kps_px[1]),
                )
            )
        return detections


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def _weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray):
    """Merge overlapping detections: each cluster's box and keypoints are score-weighted means,
    its score the best one's. Returns [(score, box, keypoints)], best first."""
    order = np.argsort(-scores)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    remaining = np.ones(len(scores), dtype=bool)
    merged = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        cluster = remaining & (_iou(boxes[i], boxes) > NMS_IOU)
        cluster[i] = True
        w = scores[cluster][:, None]
        merged.append(
            (
                scores[i],
                (boxes[cluster] * w).sum(0) / w.sum(),
                (keypoints[cluster] * w).sum(0) / w.sum(),
            )
        )
        remaining &= ~cluster
    return merged
