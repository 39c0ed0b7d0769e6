"""The default pose engine: MediaPipe's BlazePose (detector + full landmark model) on LiteRT.

Per image: the detector (:mod:`~gaitcli.pose.blazepose_detector`) finds people and gives
each a rotated ROI; the landmark model (:mod:`~gaitcli.pose.blazepose_landmarks`) turns a ROI
into 33 landmarks, mapped onto the seed's 16 joints (:mod:`~gaitcli.pose.blazepose_map`).
For video, :meth:`BlazePoseEstimator.track` follows a person from frame to frame with the
ROI its landmarks predict, so the detector only runs again when the person is lost.

Spatial features are the joint maps of :mod:`gaitcli.features.joint_maps` (feature space
``"joint-maps-v2"``), rendered from the joints with each frame's own reference.
"""

from __future__ import annotations

import sys
from typing import Sequence

import numpy as np

from gaitcli.constants import FEATURE_SPACE_JOINT_MAPS, NUM_JOINTS, PELVIS, THORAX
from gaitcli.features.joint_maps import joint_maps
from gaitcli.pose.base import Pose
from gaitcli.pose.blazepose_detector import Detection, PoseDetector
from gaitcli.pose.blazepose_landmarks import FLIP_AVERAGE, NUM_BODY_LANDMARKS, LandmarkModel
from gaitcli.pose.blazepose_map import to_seed_joints
from gaitcli.pose.blazepose_roi import Roi
from gaitcli.pose.person_detector import LOW_SCORE, MIN_PERSON_PX, MIN_SCORE as PERSON_SCORE, PersonBox, PersonDetector

MIN_POSE_SCORE = 0.5  # landmark model's presence score below which the person is lost
MIN_ROI_SIZE = 8.0  # pixels; a ROI that collapses below this is a lost track
DUPLICATE_DISTANCE = 0.2  # mean joint distance (torso lengths) under which two poses are one person
DUPLICATE_IOU = 0.6  # whole-body box overlap above which two poses are one person
HEATMAP_SIGMA = 0.1  # heat-map Gaussian std, in torso lengths (at least HEATMAP_MIN_SIGMA px)
HEATMAP_MIN_SIGMA = 2.0
#: A pose's whole-body box: the landmarks' extent grown by these shares of its height (median
#: offsets of hand-drawn whole-body boxes from it, 112 people of the two real videos).
BOX_TOP, BOX_BOTTOM, BOX_SIDES = 0.09, 0.045, 0.045
ROI_PER_BOX_HEIGHT = 1.3  # the landmark ROI's side for a standing person's whole-body box (median on real frames)


class BlazePoseEstimator:
    """BlazePose on the seed's 16 joints; implements :class:`gaitcli.pose.base.PoseEstimator`.

    The model files are found or downloaded by :mod:`gaitcli.pose.assets` (``download=False``
    raises :class:`~gaitcli.errors.ModelError` instead of downloading). Images are RGB uint8
    (H, W, 3); coordinates are image pixels. ``flip_average`` (default off) also runs the
    landmark model on the mirrored crop and averages (:mod:`gaitcli.pose.blazepose_landmarks`).
    """

    feature_space = FEATURE_SPACE_JOINT_MAPS

    def __init__(self, num_threads: int = 2, min_pose_score: float = MIN_POSE_SCORE, download: bool = True,
                 flip_average: bool = FLIP_AVERAGE, min_person_height: float = MIN_PERSON_PX):
        from gaitcli.pose.assets import ensure_models

        files = ensure_models(download=download)
        self.detector = PoseDetector(files["detector"].path, num_threads)
        self.landmarks = LandmarkModel(files["landmarks"].path, num_threads, flip_average=flip_average)
        self.min_pose_score = min_pose_score
        self.num_threads = num_threads
        self.download = download
        self.min_person_height = float(min_person_height)
        self._people: PersonDetector | None = None
        self.people_unavailable: str | None = None  # why the person detector could not be loaded

    @property
    def people(self) -> PersonDetector | None:
        """The whole-body person detector for every person down to ``min_person_height`` px
        (:mod:`gaitcli.pose.person_detector`), loaded on first use; None where it cannot be had
        (no network and no cache, or no TensorFlow for its one-time conversion): then people are
        found by BlazePose's own detector alone, and :attr:`people_unavailable` says why (a
        warning on stderr, once)."""
        if self._people is None and self.people_unavailable is None:
            from gaitcli.errors import GaitcliError
            from gaitcli.pose.person_model import ensure_model

            try:
                self._people = PersonDetector(ensure_model(download=self.download), self.num_threads, self.min_person_height)
            except GaitcliError as exc:
                self.people_unavailable = str(exc)
                sys.stderr.write(f"gaitcli: warning: small and turned-away people are not looked for: {exc}\n")
        return self._people

    def find_people(self, image: np.ndarray, min_score: float = LOW_SCORE) -> list[PersonBox]:
        """Whole-body boxes of every person (see :class:`~gaitcli.pose.person_detector.PersonDetector`);
        none where the person detector is unavailable (see :attr:`people`)."""
        image = _check_image(image)
        return [] if self.people is None else self.people.detect(image, min_score=min_score)

    def pose_in_box(self, image: np.ndarray, box) -> tuple[Pose | None, Roi | None]:
        """:meth:`track` from a whole-body box ``(x0, y0, x1, y1)``: an upright ROI on its centre."""
        return self.track(image, roi_from_box(box))

    # --- tracking-friendly building blocks ---------------------------------------------

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Person detections (score, box, keypoints, ROI), highest score first."""
        return self.detector.detect(_check_image(image))

    def track(self, image: np.ndarray, roi: Roi) -> tuple[Pose | None, Roi | None]:
        """The pose inside ``roi`` (a detection's or the previous frame's) and the next ROI.

        Returns ``(None, None)`` when the presence score says the person is lost; the caller
        then runs :meth:`detect` again.
        """
        image = _check_image(image)
        result = self.landmarks.run(image, roi)
        if result.score < self.min_pose_score or result.next_roi.size < MIN_ROI_SIZE:
            return None, None
        body = result.landmarks[:NUM_BODY_LANDMARKS]
        ys, xs, ps = to_seed_joints(body[:, :2], body[:, 3], result.score)
        h, w = image.shape[:2]
        (x0, y0), (x1, y1) = body[:, :2].min(0), body[:, :2].max(0)
        extent = y1 - y0  # the landmarks stop at the eyes and the heels: grow to the whole body
        x0, y0 = np.clip([x0 - BOX_SIDES * extent, y0 - BOX_TOP * extent], 0, [w, h])
        x1, y1 = np.clip([x1 + BOX_SIDES * extent, y1 + BOX_BOTTOM * extent], 0, [w, h])
        pose = Pose(
            coords_y=ys,
            coords_x=xs,
            probabilities=ps,
            score=result.score,
            box=(float(x0), float(y0), float(x1), float(y1)),
            extras={"landmarks": body, "roi": roi},
        )
        return pose, result.next_roi

    # --- the seed's interface -------------------------------------------------------------

    def poses(self, image: np.ndarray, max_people: int | None = 1) -> list[Pose]:
        """People in one image, most prominent first (all of them when ``max_people`` is None).

        Prominence is the size of the detector's ROI (the body's extent), so the person
        nearest the camera comes first; detections whose landmarks are not a person, or
        repeat a person already found, are dropped. Asked for more than one person, the
        whole-body person detector's boxes are tried too (BlazePose's own detector looks for a
        face and misses people who are small or turned away).
        """
        image = _check_image(image)
        rois = [d.roi for d in self.detector.detect(image)]
        if max_people is None or max_people > 1:  # small and turned-away people too: the person detector's
            rois += [roi_from_box(p.box) for p in self.find_people(image, min_score=PERSON_SCORE)]
        found: list[Pose] = []
        for roi in sorted(rois, key=lambda r: r.size, reverse=True):
            if max_people is not None and len(found) >= max_people:
                break
            pose, _ = self.track(image, roi)
            if pose is not None and not any(_same_person(pose, other) for other in found):
                found.append(pose)
        return found

    def joint_positions(self, images: Sequence[np.ndarray] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(coords_y, coords_x, probabilities), each (B, 16), of each image's most prominent
        person; an image without a person gets NaN coordinates and zero probabilities."""
        batch = len(images)
        ys = np.full((batch, NUM_JOINTS), np.nan)
        xs = np.full((batch, NUM_JOINTS), np.nan)
        ps = np.zeros((batch, NUM_JOINTS))
        for i, image in enumerate(images):
            found = self.poses(image, max_people=1)
            if found:
                ys[i], xs[i], ps[i] = found[0].coords_y, found[0].coords_x, found[0].probabilities
        return ys, xs, ps

    def heat_maps(self, images: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, H, W, 16) float32 joint heat maps at the images' resolution (all the same size).

        BlazePose regresses coordinates, so each map is rendered: a Gaussian at the joint with
        a standard deviation of ``HEATMAP_SIGMA`` torso lengths (at least 2 px), peaking at the
        joint's probability. Images without a person give all-zero maps.
        """
        sizes = {np.shape(image)[:2] for image in images}
        if len(sizes) > 1:
            raise ValueError(f"heat_maps needs images of one size; got {sorted(sizes)}")
        ys, xs, ps = self.joint_positions(images)
        h, w = sizes.pop() if sizes else (0, 0)
        maps = np.zeros((len(ys), h, w, NUM_JOINTS), dtype=np.float32)
        rows, cols = np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64)
        for i in range(len(ys)):
            if not np.isfinite(ys[i]).all():
                continue
            torso = float(np.hypot(ys[i, THORAX] - ys[i, PELVIS], xs[i, THORAX] - xs[i, PELVIS]))
            sigma = max(HEATMAP_MIN_SIGMA, HEATMAP_SIGMA * torso)
            gy = np.exp(-((rows[:, None] - ys[i]) ** 2) / (2 * sigma**2))  # (H, 16)
            gx = np.exp(-((cols[:, None] - xs[i]) ** 2) / (2 * sigma**2))  # (W, 16)
            maps[i] = gy[:, None, :] * gx[None, :, :] * ps[i]
        return maps

    def feed_forward_features(self, frames: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """(B, 17, 17, 32) joint maps (:func:`gaitcli.features.joint_maps`) of each frame's
        most prominent person, each frame with its own reference; empty frames are all zeros."""
        ys, xs, ps = self.joint_positions(frames)
        return joint_maps(ys, xs, ps)


def roi_from_box(box) -> Roi:
    """An upright landmark ROI for a whole-body box: centred on it, ``ROI_PER_BOX_HEIGHT`` x its height.

    Measured on 86 people of the two real videos (44-150 px tall): the ROI the landmark model
    settles on is centred 0.48 box heights below the top and 1.31 heights wide (median).
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    return Roi((x0 + x1) / 2.0, (y0 + y1) / 2.0, max(y1 - y0, x1 - x0, MIN_ROI_SIZE) * ROI_PER_BOX_HEIGHT, 0.0)


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
        raise ValueError(f"expected an RGB uint8 image shaped (H, W, 3); got {image.dtype} {image.shape}")
    return image


def _same_person(a: Pose, b: Pose) -> bool:
    """Whether two poses are one person found twice: joints within DUPLICATE_DISTANCE torsos, or
    whole-body boxes overlapping by more than DUPLICATE_IOU (the same body, its limbs read differently)."""
    from gaitcli.tracking import box_iou

    if a.box is not None and b.box is not None and box_iou(np.asarray(a.box), np.asarray(b.box)) > DUPLICATE_IOU:
        return True
    torso = max(
        np.hypot(p.coords_y[THORAX] - p.coords_y[PELVIS], p.coords_x[THORAX] - p.coords_x[PELVIS]) for p in (a, b)
    )
    mean_distance = np.mean(np.hypot(a.coords_y - b.coords_y, a.coords_x - b.coords_x))
    return bool(mean_distance < DUPLICATE_DISTANCE * max(torso, 1e-6))
