"""Pose engines over a stream of frames: find the people, follow them, keep the walker.

:func:`poses_over_frames` runs the BlazePose engine over a :class:`~gaitcli.io.video.FrameSource`
in one streaming pass. People are followed frame to frame with the ROI their landmarks
predict (:meth:`~gaitcli.pose.blazepose.BlazePoseEstimator.track`); the detector runs on the
first frame, whenever nobody is followed, and every ``detect_every`` frames to notice people
who walk in. Every followed person's joints go to the tracker (:mod:`gaitcli.tracking`), which
links them over time and picks the main walker (or the track the user asks for).

Engines without a detector (the seed's single-person HumanPoseIRNetwork) get one pose per frame
from :meth:`poses`.

With ``sample_fps`` the engine runs only on the frames nearest a grid of that rate
(:func:`sampled_frame`; every frame of a video at or below it): the gait pipeline resamples
walks to ``CANONICAL_FPS`` anyway, so ``gaitcli embed`` runs the engine on 60 % of a 25-fps
video's frames (50 % at 30 fps) and :func:`gaitcli.features.sequence.prepare_walk` fills the
frames between them.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from gaitcli.io.keypoint_frames import KeypointFrame
from gaitcli.io.keypoints import KeypointSequence, sequence_from_frames
from gaitcli.tracking import box_iou

DETECT_EVERY = 15  # frames between detector runs while somebody is followed
MAX_PEOPLE = 4  # people followed at once (the most prominent)
NEW_PERSON_DISTANCE = 0.2  # a detection whose hips lie this near a followed ROI's (in ROI sizes) is that person
SAME_PERSON_IOU = 0.6  # two followed ROIs whose poses overlap this much converged on one person


def sampled_frame(index: int, fps: float | None, sample_fps: float | None) -> bool:
    """Whether frame ``index`` of a ``fps`` video is the nearest frame to a point of a
    ``sample_fps`` grid (always true without both rates, or when ``fps <= sample_fps``)."""
    if not fps or not sample_fps or fps <= sample_fps:
        return True
    k = np.floor(index * sample_fps / fps + 0.5)
    return int(np.floor(k * fps / sample_fps + 0.5)) == index


def same_region(a, b) -> bool:
    """Whether two BlazePose ROIs (a detection's and a followed person's) frame one person:
    their hip centres lie within ``NEW_PERSON_DISTANCE`` of the smaller ROI's size.

    Both are the same kind of region (hip centre and body circle), so this compares like with
    like; the detector's own box surrounds only the head and shoulders and cannot be compared
    with a pose's whole-body box.
    """
    return float(np.hypot(a.cx - b.cx, a.cy - b.cy)) < NEW_PERSON_DISTANCE * min(a.size, b.size)


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
    follows = hasattr(estimator, "track") and hasattr(estimator, "detect")
    collected: list[KeypointFrame] = []
    followed: list = []  # ROIs of the people being followed
    read = 0
    for index, image in frames:
        read += 1
        if not sampled_frame(index, fps, sample_fps):
            if on_frame:
                on_frame(index)
            continue
        count = len(collected)  # frames the engine ran on before this one
        h, w = image.shape[:2]
        if not follows:
            people = estimator.poses(image, max_people=1)
        else:
            if not followed or count % max(1, detect_every) == 0:
                for det in sorted(estimator.detect(image), key=lambda d: d.roi.size, reverse=True):
                    if len(followed) >= max_people:
                        break
                    if not any(same_region(det.roi, roi) for roi in followed):
                        followed.append(det.roi)
            people, next_rois = [], []
            for roi in followed:
                pose, next_roi = estimator.track(image, roi)
                if pose is None or any(box_iou(pose.box, other.box) > SAME_PERSON_IOU for other in people):
                    continue
                people.append(pose)
                next_rois.append(next_roi)
            followed = next_rois
        collected.append(KeypointFrame(index, f"frame {index}", list(people), w, h))
        if on_frame:
            on_frame(index)
    seq = sequence_from_frames(collected, source_format="video", name=name, fps=fps, track_id=track_id)
    seq.frames_read = read
    return seq

