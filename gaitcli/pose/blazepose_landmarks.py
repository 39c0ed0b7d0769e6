"""BlazePose's landmark model (``pose_landmark_full.tflite``): one person's ROI -> 39 landmarks.

The model sees a 256 x 256 RGB crop in [0, 1] of a rotated square ROI (see
:mod:`gaitcli.pose.blazepose_roi`; pixels outside the image repeat the border) and returns
39 landmarks x (x, y, z, visibility logit, presence logit) in 256-px crop units, a pose
presence score in [0, 1], 64 x 64 x 39 heat maps and a segmentation mask (not used here).
Landmarks 0-32 are BlazePose's body landmarks; 33 (hip centre) and 34 (body-circle point)
give the next frame's ROI; 35-38 are unused.

**Flip averaging** (``flip_average=True``, the default): the model also sees the crop
mirrored left to right; that answer is mirrored back (x -> 256 - x, left and right landmarks
exchanged), its legs and its arms are each matched to the first answer's (kept, or exchanged
as a whole limb when that puts them nearer: in profile the model often swaps them), and the
two answers' body landmarks are averaged (coordinates and logits). The model's errors in
profile depend on which way the person faces; the average cancels much of that. On 120
rendered walks of known joints (`scripts/engine_walks.py --truth`) it halves the error:
the fixed offset of a joint over a walk 7.4 -> 4.6 px, the rest 16.1 -> 8.7 px. It costs a
second landmark run per frame; the embed pipeline pays for it by running the engine only on the
frames the gait network needs (:func:`gaitcli.pose.video.sampled_frame`). ``flip_average=False``
is BlazePose's single pass. The next ROI comes from the first answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.errors import ModelError
from gaitcli.pose.blazepose_map import ARM_PAIRS, LEG_PAIRS, MIRROR_LANDMARKS
from gaitcli.pose.blazepose_roi import Roi
from gaitcli.pose.litert import TfliteModel

INPUT_SIZE = 256
NUM_LANDMARKS = 39
NUM_BODY_LANDMARKS = 33
ROI_CENTRE, ROI_SCALE_POINT = 33, 34  # auxiliary landmarks that place the next ROI
FLIP_AVERAGE = True  # also run the mirrored crop and average (see the module docstring)


@dataclass(frozen=True)
class LandmarkResult:
    """The landmark model's answer for one ROI, mapped into image pixels.

    ``landmarks`` is (39, 5): x, y (image pixels), z (pixels, relative depth, smaller is
    nearer the camera), visibility and presence probabilities (sigmoids of the model's logits).
    ``score`` is the pose presence score; ``next_roi`` is the ROI for the next frame.
    """

    landmarks: np.ndarray
    score: float
    roi: Roi
    next_roi: Roi


class LandmarkModel:
    """The BlazePose landmark model, run on a ROI of one image."""

    def __init__(self, model_path: str | Path, num_threads: int = 2, flip_average: bool = FLIP_AVERAGE):
        self.model = TfliteModel(model_path, num_threads)
        self.flip_average = flip_average
        shapes = self.model.output_shapes
        if self.model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3) or (1, NUM_LANDMARKS * 5) not in shapes or (1, 1) not in shapes:
            raise ModelError(f"{model_path}: not BlazePose's full landmark model (unexpected tensor shapes)")
        #: positions of the outputs used: landmarks and pose presence (not heat maps, mask)
        self.used_outputs = (shapes.index((1, NUM_LANDMARKS * 5)), shapes.index((1, 1)))

    def crop(self, image: np.ndarray, roi: Roi) -> np.ndarray:
        """The model input (1, 256, 256, 3) float32 in [0, 1] for ``roi`` of an RGB uint8 image."""
        import cv2

        m = roi.crop_to_image(INPUT_SIZE)
        patch = cv2.warpAffine(
            image,
            m,
            (INPUT_SIZE, INPUT_SIZE),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,  # m maps crop -> image
            borderMode=cv2.BORDER_REPLICATE,
        )
        return (patch * np.float32(1 / 255.0))[None]

    def run(self, image: np.ndarray, roi: Roi) -> LandmarkResult:
        """Landmarks of the person in ``roi`` of an RGB uint8 image."""
        patch = self.crop(image, roi)
        raw, flag = self.model.run(patch, self.used_outputs)
        raw = raw.reshape(NUM_LANDMARKS, 5).astype(np.float64)
        if self.flip_average:
            mirrored, _ = self.model.run(np.ascontiguousarray(patch[:, :, ::-1]), self.used_outputs)
            raw = flip_averaged(raw, mirrored.reshape(NUM_LANDMARKS, 5).astype(np.float64))
        landmarks = np.empty_like(raw)
        landmarks[:, :2] = roi.to_image(raw[:, :2], INPUT_SIZE)
        landmarks[:, 2] = raw[:, 2] * (roi.size / INPUT_SIZE)
        landmarks[:, 3:] = 1.0 / (1.0 + np.exp(-np.clip(raw[:, 3:], -80.0, 80.0)))
        next_roi = Roi.from_points(landmarks[ROI_CENTRE, :2], landmarks[ROI_SCALE_POINT, :2])
        return LandmarkResult(landmarks=landmarks, score=float(flag.ravel()[0]), roi=roi, next_roi=next_roi)


_MIRROR = np.arange(NUM_LANDMARKS)
_MIRROR[:NUM_BODY_LANDMARKS] = MIRROR_LANDMARKS


def flip_averaged(raw: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """The average of the model's raw (39, 5) answer for a crop and, mapped back, for the
    mirrored crop (see the module docstring); the auxiliary landmarks stay the first answer's."""
    back = mirrored[_MIRROR].copy()
    back[:, 0] = INPUT_SIZE - back[:, 0]
    for pairs in (LEG_PAIRS, ARM_PAIRS):
        left, right = [a for a, _ in pairs], [b for _, b in pairs]
        kept = np.sum((back[left, :2] - raw[left, :2]) ** 2) + np.sum((back[right, :2] - raw[right, :2]) ** 2)
        exchanged = np.sum((back[right, :2] - raw[left, :2]) ** 2) + np.sum((back[left, :2] - raw[right, :2]) ** 2)
        if exchanged < kept:
            back[left + right] = back[right + left]
    out = raw.copy()
    out[:NUM_BODY_LANDMARKS] = (raw[:NUM_BODY_LANDMARKS] + back[:NUM_BODY_LANDMARKS]) / 2.0
    return out
