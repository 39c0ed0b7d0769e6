"""Pose engines over a stream of frames: find every person, follow them, keep the walker.

:func:`follow_people` runs the BlazePose engine over a :class:`~gaitcli.io.video.FrameSource`
in one streaming pass and returns every person's track (:class:`People`):

* **finding**: on the first frame and every ``detect_every`` frames after (half as many
  while ``CROWD`` people or more are followed), BlazePose's own
  detector (its ROIs fit large, near people best) and the whole-body person detector
  (:mod:`gaitcli.pose.person_detector`: every person down to ~50 px tall, turned away too);
* **following**: between detections each person is followed with the ROI their landmarks
  predict (:meth:`~gaitcli.pose.blazepose.BlazePoseEstimator.track`), so the landmark model
  both finds the joints and carries the person to the next frame; a detector box that no
  followed person explains starts following someone new (the landmark model on an upright
  ROI around the box; a weak box only when the landmark model is sure of a person there:
  presence >= ``WEAK_BOX_POSE_SCORE``, the "landmark consistency" check). Two followed ROIs that converge on one person (their poses overlap by
  more than ``SAME_PERSON_IOU``) become one; a followed pose that neither detector confirms
  (a box, however weak, or BlazePose's hip point inside it) for ``STALE_DETECTIONS`` runs in a
  row is let go (landmarks stuck on a background shape). When a followed pose and the detector's
  box of that person overlap by less than ``REANCHOR_IOU`` (the ROI drifted, or spread over
  two people; not when the box is only a part of the person, their legs say) the landmark model
  starts again from the box; a followed pose whose box suddenly grows or shrinks by more than
  ``MAX_GROWTH`` (spreading over a second person, or onto a part) is dropped until the next
  detection;
* **linking**: every frame's poses, and the boxes of people too small for the landmark model,
  go to the :class:`~gaitcli.tracking.Tracker` (Hungarian assignment, constant-velocity
  prediction, ByteTrack's second pass for weak boxes, re-joining within ``max_gap``), which
  gives each person their track id. A track counts once it holds ``MIN_HITS`` detections, so
  a one-off false box never becomes a person. Frames between two sightings of a person at
  most ``detect_every`` frames apart (someone too small for the landmark model is seen only
  when the detector runs) get an interpolated box (:meth:`~gaitcli.tracking.Track.fill_gaps`).

:func:`poses_over_frames` keeps one of those tracks: the main walker
(:func:`gaitcli.tracking.choose_main_track`) or the one asked for. Engines without a detector
(the seed's single-person HumanPoseIRNetwork) get one pose per frame from :meth:`poses`.

With ``sample_fps`` the engine runs only on the frames nearest a grid of that rate
(:func:`sampled_frame`; every frame of a video at or below it): the gait pipeline resamples
walks to ``CANONICAL_FPS`` anyway, so ``gaitcli embed`` runs the engine on 60 % of a 25-fps
video's frames (50 % at 30 fps) and :func:`gaitcli.features.sequence.prepare_walk` fills the
frames between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from gaitcli.io.keypoints import KeypointSequence, sequence_from_tracks
from gaitcli.tracking import Detection, Track, Tracker, assignment, box_iou

DETECT_EVERY = 4  # engine frames between person-detector runs
CROWD = 3  # with this many people followed, the detectors run twice as often (people cross and hide each other)
MAX_PEOPLE = 32  # people followed with the landmark model at once (the largest)
SAME_PERSON_IOU = 0.6  # two followed poses overlapping this much converged on one person
EXPLAINED_IOU = 0.3  # a detector box overlapping a followed pose this much is that person
REANCHOR_IOU = 0.5  # ... and overlapping it less than this puts the landmark ROI back on the box
MAX_GROWTH = 1.3  # most a followed pose's box height may change from one engine frame to the next
STALE_DETECTIONS = 2  # detector runs a followed pose may go unconfirmed before it is let go
MIN_HITS = 2  # detections a track needs to count
WEAK_BOX_POSE_SCORE = 0.9  # landmark presence that makes a weak detector box (score < MIN_SCORE) a person
MAX_GAP_SECONDS = 1.5  # a person unseen this long ends their track (shorter occlusions re-join it)


def sampled_frame(index: int, fps: float | None, sample_fps: float | None) -> bool:
    """Whether frame ``index`` of a ``fps`` video is the nearest frame to a point of a
    ``sample_fps`` grid (always true without both rates, or when ``fps <= sample_fps``)."""
    if not fps or not sample_fps or fps <= sample_fps:
        return True
    k = np.floor(index * sample_fps / fps + 0.5)
    return int(np.floor(k * fps / sample_fps + 0.5)) == index


@dataclass
class People:
    """Everyone found in a video: their tracks and the frames the engine ran on."""

    tracks: list[Track]
    frame_indices: list[int]  # frames the engine ran on, in order
    frames_read: int
    fps: float | None = None
    image_size: tuple[int, int] | None = None  # (width, height)
    detector_runs: int = 0  # frames the person detector ran on
    sources: list[str] = field(default_factory=list, repr=False)

    def sequence(self, *, name: str, track_id: int | None = None) -> KeypointSequence:
        """One person's joints (``track_id``, or else the main walker), one row per engine frame."""
        seq = sequence_from_tracks(self.tracks, self.frame_indices, source_format="video", name=name, fps=self.fps,
                                   track_id=track_id, image_size=self.image_size)
        seq.frames_read = self.frames_read
        return seq


@dataclass(eq=False)
class _Followed:
    """A person followed with the landmark model: the ROI for the next frame, and how the
    detector's box of them sits around their pose's box (learnt when both are seen)."""

    roi: object
    unconfirmed: int = 0  # detector runs in a row without a box that explains this person
    height: float | None = None  # the person's pose-box height last frame

    def plausible(self, pose) -> bool:
        """Whether ``pose`` is still this person: its box did not suddenly grow or shrink by more
        than ``MAX_GROWTH`` (a ROI spreading over two people, or onto a part of one)."""
        height = pose.box[3] - pose.box[1]
        ok = self.height is None or 1 / MAX_GROWTH <= height / max(self.height, 1.0) <= MAX_GROWTH
        if ok:
            self.height = height
        return ok


def follow_people(
    estimator,
    frames,
    *,
    fps: float | None,
    sample_fps: float | None = None,
    detect_every: int = DETECT_EVERY,
    max_people: int = MAX_PEOPLE,
    on_frame: Callable[[int], None] | None = None,
) -> People:
    """Every person over ``frames`` ((index, RGB) pairs); see the module docstring."""
    from gaitcli.pose.person_detector import MIN_SCORE

    follows = hasattr(estimator, "track") and hasattr(estimator, "find_people")
    engine_rate = min(fps, sample_fps) if fps and sample_fps else (fps or sample_fps or 15.0)
    tracker = Tracker(
        max_gap=max(2, round(MAX_GAP_SECONDS * engine_rate)),
        high_score=MIN_SCORE if follows else None,
        min_hits=MIN_HITS if follows else 1,
        tentative_gap=max(1, detect_every) if follows else 0,
    )
    followed: list[_Followed] = []
    indices: list[int] = []
    size = None
    read = detector_runs = last_detection = 0
    for index, image in frames:
        read += 1
        if not sampled_frame(index, fps, sample_fps):
            if on_frame:
                on_frame(index)
            continue
        count = len(indices)  # frames the engine ran on before this one
        size = (image.shape[1], image.shape[0])
        if not follows:
            detections = [Detection.from_pose(p) for p in estimator.poses(image, max_people=1)]
        else:
            every = max(1, detect_every // 2 if len(followed) >= CROWD else detect_every)
            detect = count - last_detection >= every or not indices
            if detect:
                last_detection = count
            boxes = estimator.find_people(image) if detect else []
            detector_runs += detect
            detections, followed = _poses_and_boxes(estimator, image, followed, boxes, detect, max_people)
        tracker.update(index, detections)
        indices.append(index)
        if on_frame:
            on_frame(index)
    tracks = tracker.tracks
    if follows:  # people seen only when the detector runs (or missed once) keep a box in between
        for track in tracks:
            track.fill_gaps(indices, max(1, detect_every) - 1)
    return People(tracks, indices, read, fps, size, detector_runs)


def _poses_and_boxes(estimator, image, followed: list[_Followed], boxes, detect: bool, max_people: int):
    """This frame's detections (followed people's poses, new people's poses, weak or tiny
    people's boxes) and the people to follow into the next frame."""
    from gaitcli.pose.person_detector import MIN_SCORE

    poses, kept = [], []
    for person in followed:
        pose, next_roi = estimator.track(image, person.roi)
        if pose is None or _duplicate(pose, poses) or not person.plausible(pose):
            continue
        person.roi = next_roi
        poses.append(pose)
        kept.append(person)
    if not detect:
        return [Detection.from_pose(pose) for pose in poses], kept
    confirmed = [False] * len(kept)

    def start(pose, next_roi) -> None:  # somebody new to follow
        poses.append(pose)
        kept.append(_Followed(next_roi, height=pose.box[3] - pose.box[1]))
        confirmed.append(True)

    # BlazePose's own detector first: its ROIs fit large, near people best
    for found in sorted(estimator.detect(image), key=lambda d: d.roi.size, reverse=True):
        hip = found.keypoints[0]
        same = [k for k, p in enumerate(poses) if p.box[0] <= hip[0] <= p.box[2] and p.box[1] <= hip[1] <= p.box[3]]
        for k in same:
            confirmed[k] = True
        if not same and len(kept) < max_people:
            pose, next_roi = estimator.track(image, found.roi)
            if pose is not None and not _duplicate(pose, poses):
                start(pose, next_roi)
    # then the whole-body boxes, which find the small and turned-away people too
    explained = _explain(poses, boxes)
    for k, box_index in enumerate(explained):
        if box_index is None:
            continue
        confirmed[k] = True
        box = boxes[box_index].box
        if box_iou(np.asarray(poses[k].box), np.asarray(box)) < REANCHOR_IOU and not _part_of(poses[k], box_index, boxes):
            pose, next_roi = estimator.pose_in_box(image, box)
            others = poses[:k] + poses[k + 1 :]
            if pose is not None and not _duplicate(pose, others):
                poses[k], kept[k].roi, kept[k].height = pose, next_roi, pose.box[3] - pose.box[1]
    extra = []
    taken = {i for i in explained if i is not None}
    for i, box in sorted(enumerate(boxes), key=lambda ib: -(ib[1].box[3] - ib[1].box[1])):
        if i in taken:
            continue
        if len(kept) < max_people:  # the landmark model checks a weak box: a clear pose makes it a person
            pose, next_roi = estimator.pose_in_box(image, box.box)
            if pose is not None and (box.score >= MIN_SCORE or pose.score >= WEAK_BOX_POSE_SCORE):
                if not _duplicate(pose, poses):
                    start(pose, next_roi)
                continue  # a person followed now, or the landmarks went to somebody already followed
        # too small or weak for landmarks: the box alone
        extra.append(Detection(box=np.asarray(box.box), score=box.score))
    for k, person in enumerate(kept):
        person.unconfirmed = 0 if confirmed[k] else person.unconfirmed + 1
    keep = [k for k, person in enumerate(kept) if person.unconfirmed < STALE_DETECTIONS]
    return [Detection.from_pose(poses[k]) for k in keep] + extra, [kept[k] for k in keep]


def _part_of(pose, index: int, boxes) -> bool:
    """Whether detector box ``index`` is only a part of the person ``pose`` (it lies inside the
    pose's box and no other box does: legs, an upper body), rather than one of two people the
    pose's box spreads over."""
    inside = [i for i, b in enumerate(boxes) if _share_inside(b.box, pose.box) > 0.85]
    return inside == [index]


def _share_inside(box, outer) -> float:
    w = min(box[2], outer[2]) - max(box[0], outer[0])
    h = min(box[3], outer[3]) - max(box[1], outer[1])
    area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
    return max(w, 0.0) * max(h, 0.0) / area


def _duplicate(pose, poses) -> bool:
    """Whether ``pose`` is somebody in ``poses`` again (two ROIs converged on one person)."""
    return any(box_iou(pose.box, other.box) > SAME_PERSON_IOU for other in poses)


def _explain(poses, boxes) -> list[int | None]:
    """For each pose, the detector box that is the same person (Hungarian on IoU), or None."""
    if not poses or not boxes:
        return [None] * len(poses)
    iou = np.array([[box_iou(np.asarray(p.box), np.asarray(b.box)) for b in boxes] for p in poses])
    rows, cols = assignment(-iou)
    out: list[int | None] = [None] * len(poses)
    for r, c in zip(rows, cols):
        if iou[r, c] >= EXPLAINED_IOU:
            out[r] = int(c)
    return out


def poses_over_frames(
    estimator,
    frames,
    *,
    name: str,
    fps: float | None,
    sample_fps: float | None = None,
    track_id: int | None = None,
    detect_every: int = DETECT_EVERY,
    max_people: int = MAX_PEOPLE,
    on_frame: Callable[[int], None] | None = None,
) -> KeypointSequence:
    """Joints of the main walker (or track ``track_id``) over ``frames`` ((index, RGB) pairs),
    one row per frame the engine ran on (all, or those :func:`sampled_frame` picks).

    ``on_frame`` is called with every frame's index, run or not. Raises :class:`~gaitcli.errors.NoPersonError` when nobody is found in any frame.
    """
    people = follow_people(estimator, frames, fps=fps, sample_fps=sample_fps, detect_every=detect_every,
                           max_people=max_people, on_frame=on_frame)
    return people.sequence(name=name, track_id=track_id)
