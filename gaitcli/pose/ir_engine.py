"""The ``ir`` pose engine: the seed's HumanPoseIRNetwork on images of any size.

The network takes 299x299 RGB images.  Each image is **letterboxed** (scaled to fit, aspect
ratio kept, centred on a black square) or, with ``fit="stretch"``, resized to 299x299 as
the seed's demo did; coordinates and heat maps are mapped back to the input image's pixels.
The network sees one person per image: :meth:`IREstimator.poses` gives at most one Pose.

It always needs trained weights (a seed TF-1 checkpoint or gaitcli's ``*.weights.h5``):
random weights are never used.  TensorFlow is imported when an estimator is created.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from gaitcli.constants import FEATURE_SPACE_SEED_IR, IR_INPUT_SIZE
from gaitcli.errors import InputError
from gaitcli.pose.base import Pose

FITS = ("letterbox", "stretch")
#: The network finds "a pose" in anything; below this mean joint probability it is no person.
MIN_PERSON_SCORE = 0.2


@dataclass(frozen=True)
class Letterbox:
    """Where an image of ``width`` x ``height`` lies inside the square network input."""

    width: int
    height: int
    scale_x: float  # input pixels per image pixel
    scale_y: float
    pad_x: int  # offset of the image inside the input
    pad_y: int
    size: int = IR_INPUT_SIZE

    @property
    def content(self) -> tuple[int, int]:
        """(width, height) of the image inside the input, in input pixels."""
        return round(self.width * self.scale_x), round(self.height * self.scale_y)

    def to_input(self, ys, xs) -> tuple[np.ndarray, np.ndarray]:
        """Image pixel coordinates -> network-input pixel coordinates."""
        ys, xs = np.asarray(ys, dtype=np.float64), np.asarray(xs, dtype=np.float64)
        return (ys + 0.5) * self.scale_y - 0.5 + self.pad_y, (xs + 0.5) * self.scale_x - 0.5 + self.pad_x

    def to_image(self, ys, xs) -> tuple[np.ndarray, np.ndarray]:
        """Network-input pixel coordinates -> image pixel coordinates (inverse of :meth:`to_input`)."""
        ys, xs = np.asarray(ys, dtype=np.float64), np.asarray(xs, dtype=np.float64)
        return (ys - self.pad_y + 0.5) / self.scale_y - 0.5, (xs - self.pad_x + 0.5) / self.scale_x - 0.5


def letterbox(image: np.ndarray, fit: str = "letterbox", size: int = IR_INPUT_SIZE) -> tuple[np.ndarray, Letterbox]:
    """The (size, size, 3) network input for an RGB image, and where the image lies in it."""
    image = _as_image(image)
    h, w = image.shape[:2]
    if fit == "stretch":
        box = Letterbox(w, h, size / w, size / h, 0, 0, size)
    elif fit == "letterbox":
        s = size / max(h, w)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        box = Letterbox(w, h, nw / w, nh / h, (size - nw) // 2, (size - nh) // 2, size)
    else:
        raise InputError(f"unknown fit '{fit}'; choose one of: {', '.join(FITS)}")
    nw, nh = box.content
    shrink = nw < w or nh < h
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    canvas = np.zeros((size, size, 3), dtype=np.uint8)
    canvas[box.pad_y : box.pad_y + nh, box.pad_x : box.pad_x + nw] = resized
    return canvas, box


def _as_image(image) -> np.ndarray:
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(f"expected an RGB image shaped (H, W, 3); got shape {tuple(arr.shape)}")
    if arr.dtype != np.uint8:
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    return arr


def _as_images(images) -> list[np.ndarray]:
    if isinstance(images, np.ndarray) and images.ndim == 3:
        raise InputError("pass a batch of images (a list, or an array shaped (B, H, W, 3))")
    return [_as_image(im) for im in images]


class IREstimator:
    """The seed's HumanPoseIRNetwork as a :class:`~gaitcli.pose.base.PoseEstimator`.

    ``checkpoint``: a seed TF-1 checkpoint (e.g. ``MPII+LSP.ckpt``) or native
    ``*.weights.h5``.  ``fit``: ``"letterbox"`` (default) or ``"stretch"``.
    """

    feature_space = FEATURE_SPACE_SEED_IR

    def __init__(self, checkpoint: str, *, fit: str = "letterbox", batch_size: int = 8, min_score: float = MIN_PERSON_SCORE):
        if fit not in FITS:
            raise InputError(f"unknown fit '{fit}'; choose one of: {', '.join(FITS)}")
        from gaitcli.pose.ir_checkpoint import open_pose_checkpoint
        from gaitcli.pose.ir_network import HumanPoseIRNetwork

        # fail fast, before the (slow) network is built
        if str(checkpoint).endswith(".h5"):
            if not Path(checkpoint).is_file():
                raise InputError(f"weights file not found: {checkpoint}")
        else:
            open_pose_checkpoint(checkpoint)
        self.fit = fit
        self.min_score = float(min_score)
        self.network = HumanPoseIRNetwork(batch_size=batch_size)
        self.network.restore(checkpoint)
        self.checkpoint = str(checkpoint)

    def _inputs(self, images) -> tuple[np.ndarray, list[Letterbox]]:
        prepared = [letterbox(im, self.fit) for im in _as_images(images)]
        batch = np.stack([p[0] for p in prepared]) if prepared else np.zeros((0, IR_INPUT_SIZE, IR_INPUT_SIZE, 3), np.uint8)
        return batch, [p[1] for p in prepared]

    def joint_positions(self, images: Sequence[np.ndarray] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(coords_y, coords_x, probabilities), each (B, 16); coordinates in each image's pixels."""
        batch, boxes = self._inputs(images)
        out = self.network.infer(batch)
        ys, xs = self._to_images(out["coords_y"], out["coords_x"], boxes)
        return ys, xs, out["probabilities"]

    def heat_maps(self, images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, H, W, 16) heat maps at the images' resolution (the images must share one size)."""
        images = _as_images(images)
        sizes = {im.shape[:2] for im in images}
        if len(sizes) > 1:
            raise InputError(f"heat_maps needs images of one size; got {sorted(sizes)}")
        batch, boxes = self._inputs(images)
        maps = self.network.heat_maps(batch)
        return np.stack([_maps_to_image(m, box) for m, box in zip(maps, boxes)]) if len(maps) else maps

    def feed_forward_features(self, frames: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, 17, 17, 32) spatial features: the network's ``Scoring_layer``."""
        batch, _ = self._inputs(frames)
        return self.network.feed_forward_features(batch)

    def poses(self, image: np.ndarray, max_people: int | None = 1) -> list[Pose]:
        """The one person the network sees (an empty list when its mean joint probability is
        below ``min_score``, or when ``max_people`` is 0)."""
        if max_people is not None and max_people < 1:
            return []
        batch, boxes = self._inputs([image])
        out = self.network.infer(batch)
        ys, xs = self._to_images(out["coords_y"], out["coords_x"], boxes)
        probs = out["probabilities"][0].astype(np.float64)
        score = float(probs.mean())
        if score < self.min_score:
            return []
        y, x = ys[0], xs[0]
        h, w = boxes[0].height, boxes[0].width
        box = (
            float(np.clip(x.min(), 0, w - 1)),
            float(np.clip(y.min(), 0, h - 1)),
            float(np.clip(x.max(), 0, w - 1)),
            float(np.clip(y.max(), 0, h - 1)),
        )
        return [Pose(coords_y=y, coords_x=x, probabilities=probs, score=score, box=box)]

    @staticmethod
    def _to_images(ys: np.ndarray, xs: np.ndarray, boxes: list[Letterbox]) -> tuple[np.ndarray, np.ndarray]:
        out_y, out_x = np.empty(ys.shape, np.float64), np.empty(xs.shape, np.float64)
        for i, box in enumerate(boxes):
            out_y[i], out_x[i] = box.to_image(ys[i], xs[i])
        return out_y, out_x


def _maps_to_image(maps: np.ndarray, box: Letterbox) -> np.ndarray:
    """A (289, 289, 16) heat map of the network input -> (H, W, 16) over the image."""
    maps = cv2.resize(maps, (box.size, box.size), interpolation=cv2.INTER_LINEAR)
    nw, nh = box.content
    crop = maps[box.pad_y : box.pad_y + nh, box.pad_x : box.pad_x + nw]
    return cv2.resize(crop, (box.width, box.height), interpolation=cv2.INTER_LINEAR).reshape(box.height, box.width, -1)

