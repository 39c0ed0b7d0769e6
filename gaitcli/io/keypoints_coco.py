"""COCO-17 keypoint files (AlphaPose, MMPose, Detectron2) -> frames of 16-joint detections.

Two layouts are read:

* **keypoint results** — a list of ``{"image_id", "category_id", "keypoints": [x, y, score] x 17,
  "score"}``, optionally with a box (``"bbox"`` or AlphaPose's ``"box"``, both ``[x, y, w, h]``);
* a **COCO dataset** — ``{"images": [{"id", "file_name", "width", "height"}], "annotations": [...]}``
  whose annotations carry the same fields (visibility flags 1 and 2 read as seen, 0 as missing).

Frames are ordered by ``image_id`` (or file name) with numeric-aware sorting, so
``"frame_9.jpg"`` comes before ``"frame_10.jpg"``; entries whose ``category_id`` is not 1
(person) are ignored. Joints are mapped by :func:`gaitcli.io.skeletons.from_coco17`.

Whole-body results are read too, by their first 17 keypoints, which are COCO's in COCO's order:
AlphaPose's Halpe-26 (78 values) and Halpe-136 (408), and COCO-WholeBody (133 keypoints, 399
values; MMPose's whole-body models). Their extra keypoints (feet, face, hands) are not used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gaitcli.constants import MAX_KEYPOINT_COORDINATE, MAX_KEYPOINT_RESULTS
from gaitcli.errors import InputError
from gaitcli.io.keypoint_frames import KeypointFrame, box_values, frame_indices, keypoint_arrays, number
from gaitcli.io.natsort import natural_key
from gaitcli.io.skeletons import from_coco17
from gaitcli.tracking import Detection

FORMAT = "coco17"
_PERSON = 1
_WHOLE_BODY_VALUES = (3 * 26, 3 * 133, 3 * 136)  # Halpe-26, COCO-WholeBody, Halpe-136: COCO-17 first


def _body(values: Any) -> Any:
    """The COCO-17 part of a whole-body result: Halpe-26 and Halpe-136 (AlphaPose) and COCO-WholeBody
    (133 keypoints) begin with COCO's 17 keypoints in COCO's order; other lists are returned as they are."""
    if isinstance(values, list) and len(values) in _WHOLE_BODY_VALUES:
        return values[:51]
    return values


def is_coco(data: Any) -> bool:
    """Whether parsed JSON looks like COCO keypoints (results list or dataset with annotations)."""
    if isinstance(data, dict):
        data = data.get("annotations")
    return isinstance(data, list) and bool(data) and all(isinstance(e, dict) and "keypoints" in e for e in data[:10])


def read_coco(data: Any, name: str) -> list[KeypointFrame]:
    """Frames (in image order) of the person detections in parsed COCO keypoint JSON."""
    images: dict[Any, dict] = {}
    if isinstance(data, dict):
        listed = data.get("images")
        images = {im.get("id"): im for im in (listed if isinstance(listed, list) else [])
                  if isinstance(im, dict) and isinstance(im.get("id"), (int, str))}
        data = data.get("annotations")
    if not isinstance(data, list):
        raise InputError(f"{name} is not a list of COCO keypoint results")

    if len(data) > MAX_KEYPOINT_RESULTS:
        raise InputError(f"{name} holds {len(data)} results; gaitcli reads up to {MAX_KEYPOINT_RESULTS:,}: split it into shorter walks")
    by_image: dict[Any, list[int]] = {}  # image id -> rows of the entries kept
    lists, entry_numbers, scores, boxes = [], [], [], []
    for n, entry in enumerate(data):
        where = f"{name}: entry {n}"
        if not isinstance(entry, dict) or "image_id" not in entry or "keypoints" not in entry:
            raise InputError(f"{where} is not a COCO keypoint result (it needs image_id and keypoints)")
        if entry.get("category_id", _PERSON) != _PERSON:
            continue
        image_id = entry["image_id"]
        if not isinstance(image_id, (int, str)) or isinstance(image_id, bool):
            raise InputError(f"{where} has image_id {image_id!r}; expected a number or a string")
        by_image.setdefault(image_id, []).append(len(lists))
        lists.append(_body(entry["keypoints"]))
        entry_numbers.append(n)
        scores.append(number(entry.get("score", 1.0), f"{where}: score"))
        boxes.append(entry.get("bbox", entry.get("box")))
    if not by_image:
        raise InputError(f"{name} holds no person keypoints (category_id 1)")

    def image_name(image_id: Any) -> str:
        return str(images.get(image_id, {}).get("file_name", image_id))

    ids = sorted(by_image, key=lambda i: natural_key(image_name(i)))
    indices = frame_indices([i if isinstance(i, int) and not images else image_name(i) for i in ids], name)
    keypoints = keypoint_arrays(lists, 17, lambda i: f"{name}: entry {entry_numbers[i]}", "COCO-17")
    ys, xs, ps = from_coco17(keypoints)  # every entry at once: (N, 16) each
    del keypoints, lists
    frames = []
    for index, image_id in zip(indices, ids):
        detections = []
        for k in by_image[image_id]:
            box = _xywh_box(boxes[k], f"{name}: image {image_id!r}")
            try:
                detections.append(Detection.from_joints(ys[k], xs[k], ps[k], score=scores[k], box=box))
            except ValueError:  # no box and no joint seen: this entry holds no person
                continue
        image = images.get(image_id, {})
        frames.append(KeypointFrame(index, image_name(image_id), detections, _size(image.get("width")), _size(image.get("height"))))
    return frames


def _xywh_box(box: Any, where: str) -> np.ndarray | None:
    if box is None:
        return None
    x, y, w, h = box_values(box, where, "[x, y, width, height]")
    return np.array([x, y, x + w, y + h])


def _size(value: Any) -> int | None:
    usable = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= MAX_KEYPOINT_COORDINATE
    return int(value) if usable else None
