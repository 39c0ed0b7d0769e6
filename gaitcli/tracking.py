"""Following people from frame to frame, and choosing the main walker.

:class:`Tracker` links per-frame detections (person boxes, with or without 16-joint poses)
into :class:`Track` s. It works incrementally — call :meth:`Tracker.update` once per frame, as
a video is decoded — or over a whole keypoint file.

Association, per frame: every live track predicts its box at the new frame (constant
velocity, a least-squares fit to its last few boxes). A (track, detection) pair costs
``(1 - IoU) + d``, where ``d`` is the mean distance between the joints both poses see (the
track's last pose shifted by the predicted motion), or between box centres when either has no
pose, in units of the predicted box height. Pairs that neither overlap (IoU < ``min_iou``) nor
lie close (``d`` > ``max_distance``) are never linked; the rest are assigned by the Hungarian
method (:func:`scipy.optimize.linear_sum_assignment`: the cheapest assignment overall, not
greedily pair by pair). With a ``high_score``, detections below it get a second pass against
the tracks left unmatched that were seen last update, by IoU alone (ByteTrack's idea: a
person half hidden still continues their track, and a weak box never starts one). A confident
detection left over starts a new track, which counts once it has ``min_hits`` detections; a
track that matched nothing for more than ``max_gap`` consecutive updates ends, and until then
its predicted box lets it re-join after a short occlusion.

:func:`choose_main_track` picks the walker: the track with the highest
``frames x visibility x (MOTION_FLOOR + min(displacement, MOTION_CAP))``, where
*displacement* is how far the pelvis (box centre without a pose) travels horizontally, in body
heights. A person who stands, jumps or crouches in one place scores low however long they
are in view; someone crossing the image scores high.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import asdict, dataclass, field
from typing import Iterable, Sequence

import numpy as np

from gaitcli.constants import L_HIP, NUM_JOINTS, PELVIS, R_HIP
from gaitcli.errors import NoPersonError

#: Joints below this probability count as not seen (for boxes, distances and the pelvis).
VISIBLE = 0.1
#: Motion term of the main-track score, in body heights of horizontal displacement.
MOTION_FLOOR = 0.1
MOTION_CAP = 2.0
_VELOCITY_SPAN = 5  # observations used to estimate a track's velocity
_SMOOTH = 5  # median-filter width for the displacement of the pelvis


@dataclass(eq=False)
class Detection:
    """One person in one frame: a box ``(x0, y0, x1, y1)`` and optionally 16 joints (image pixels)."""

    box: np.ndarray
    score: float = 1.0
    coords_y: np.ndarray | None = None
    coords_x: np.ndarray | None = None
    probabilities: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.box = np.asarray(self.box, dtype=np.float64).reshape(4)
        if self.probabilities is not None:
            self.coords_y = np.asarray(self.coords_y, dtype=np.float64).reshape(NUM_JOINTS)
            self.coords_x = np.asarray(self.coords_x, dtype=np.float64).reshape(NUM_JOINTS)
            self.probabilities = np.asarray(self.probabilities, dtype=np.float64).reshape(NUM_JOINTS)

    @classmethod
    def from_joints(cls, coords_y, coords_x, probabilities, score: float = 1.0, box=None) -> "Detection":
        """A detection from 16 joints; without ``box`` the box bounds the visible joints.

        Raises ``ValueError`` when no box is given and no joint is visible.
        """
        ys, xs, ps = (np.asarray(a, dtype=np.float64).reshape(NUM_JOINTS) for a in (coords_y, coords_x, probabilities))
        if box is None:
            seen = ps >= VISIBLE
            if not seen.any():
                raise ValueError("a detection needs a box or at least one visible joint")
            box = (xs[seen].min(), ys[seen].min(), xs[seen].max(), ys[seen].max())
        return cls(box=np.asarray(box), score=float(score), coords_y=ys, coords_x=xs, probabilities=ps)

    @classmethod
    def from_pose(cls, pose) -> "Detection":
        """A detection from a :class:`gaitcli.pose.base.Pose` (its box, or its joints' box)."""
        return cls.from_joints(pose.coords_y, pose.coords_x, pose.probabilities, pose.score, pose.box)

    @property
    def has_pose(self) -> bool:
        return self.probabilities is not None

    @property
    def anchor_x(self) -> float:
        """Horizontal position of the body: the pelvis (or mid hips) if seen, else the box centre."""
        if self.has_pose:
            p = self.probabilities
            if p[PELVIS] >= VISIBLE:
                return float(self.coords_x[PELVIS])
            if p[R_HIP] >= VISIBLE and p[L_HIP] >= VISIBLE:
                return float((self.coords_x[R_HIP] + self.coords_x[L_HIP]) / 2.0)
        return float((self.box[0] + self.box[2]) / 2.0)

    @property
    def visibility(self) -> float:
        """Mean joint probability (the detection score for a box without a pose)."""
        return float(np.mean(self.probabilities)) if self.has_pose else float(self.score)


def _as_detection(item) -> Detection:
    """A Detection from a Detection, a Pose, or any object with ``box`` and ``score`` (a detector's)."""
    if isinstance(item, Detection):
        return item
    if getattr(item, "coords_y", None) is not None:
        return Detection.from_pose(item)
    return Detection(box=np.asarray(item.box, dtype=np.float64), score=float(item.score))


@dataclass(frozen=True)
class TrackSummary:
    """What ``--list-tracks`` shows of a track."""

    id: int
    first_frame: int
    last_frame: int
    frames: int  # frames in which the track was seen
    visibility: float  # mean joint probability over those frames
    displacement: float  # horizontal travel of the pelvis, pixels
    displacement_heights: float  # the same in body heights (median box height)
    score: float  # main-track score (see choose_main_track)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(eq=False)
class Track:
    """One person followed over frames: the frames where they were seen and their detections."""

    id: int
    frames: list[int] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list, repr=False)
    missed: int = 0  # consecutive updates without a match

    def add(self, frame_index: int, detection: Detection) -> None:
        self.frames.append(int(frame_index))
        self.detections.append(detection)
        self.missed = 0

    @property
    def first_frame(self) -> int:
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        return self.frames[-1]

    @property
    def boxes(self) -> np.ndarray:
        """(N, 4) boxes ``(x0, y0, x1, y1)``, one per frame in :attr:`frames`."""
        return np.array([d.box for d in self.detections]).reshape(-1, 4)

    def detection_at(self, frame_index: int) -> Detection | None:
        """The detection at ``frame_index``, or None where the track was not seen."""
        i = bisect_left(self.frames, frame_index)  # O(log n) on the list itself (called once per frame)
        return self.detections[i] if i < len(self.frames) and self.frames[i] == frame_index else None

    @property
    def visibility(self) -> float:
        return float(np.mean([d.visibility for d in self.detections])) if self.detections else 0.0

    @property
    def displacement(self) -> float:
        """Horizontal travel of the pelvis in pixels (range of its median-filtered x)."""
        x = np.array([d.anchor_x for d in self.detections])
        if len(x) >= _SMOOTH:  # a median filter removes one-frame jumps of a detector
            pad = _SMOOTH // 2
            padded = np.pad(x, pad, mode="edge")
            x = np.median(np.lib.stride_tricks.sliding_window_view(padded, _SMOOTH), axis=1)
        return float(x.max() - x.min()) if len(x) else 0.0

    @property
    def height(self) -> float:
        """Median box height in pixels (the unit of :attr:`displacement_heights`)."""
        return float(np.median(self.boxes[:, 3] - self.boxes[:, 1])) if self.detections else 0.0

    @property
    def displacement_heights(self) -> float:
        return self.displacement / max(self.height, 1.0)

    @property
    def score(self) -> float:
        """Main-track score: frames x visibility x (MOTION_FLOOR + min(displacement_heights, MOTION_CAP))."""
        motion = MOTION_FLOOR + min(self.displacement_heights, MOTION_CAP)
        return len(self.frames) * self.visibility * motion

    def predicted_box(self, frame_index: int) -> np.ndarray:
        """The box expected at ``frame_index`` (constant velocity from the last observations)."""
        return self.detections[-1].box + self._velocity() * (frame_index - self.last_frame)

    def _velocity(self) -> np.ndarray:
        """Box velocity (per frame): least-squares slope over the last observations."""
        k = min(len(self.frames), _VELOCITY_SPAN)
        if k < 2 or self.frames[-1] == self.frames[-k]:
            return np.zeros(4)
        t = np.asarray(self.frames[-k:], dtype=np.float64)
        t -= t.mean()
        boxes = np.array([d.box for d in self.detections[-k:]])
        return (t @ (boxes - boxes.mean(axis=0))) / float(t @ t)

    def fill_gaps(self, frame_indices: Sequence[int], max_gap: int) -> int:
        """Give the track a box, interpolated, on the frames of ``frame_indices`` (the frames a
        pose engine ran on) that fall between two of its sightings at most ``max_gap`` of those
        frames apart (a person seen only when the detector runs, or missed once). The boxes have no
        joints and the lower of the two sightings' scores. Returns the number of boxes added."""
        position = {int(f): k for k, f in enumerate(frame_indices)}
        frames, detections = [self.frames[0]], [self.detections[0]]
        added = 0
        for (fa, da), (fb, db) in zip(zip(self.frames, self.detections), zip(self.frames[1:], self.detections[1:])):
            ka, kb = position.get(fa), position.get(fb)
            if ka is not None and kb is not None and 1 < kb - ka <= max_gap + 1:
                for k in range(ka + 1, kb):
                    w = (k - ka) / (kb - ka)
                    frames.append(int(frame_indices[k]))
                    detections.append(Detection(box=(1 - w) * da.box + w * db.box, score=min(da.score, db.score)))
                    added += 1
            frames.append(fb)
            detections.append(db)
        self.frames, self.detections = frames, detections
        return added

    def summary(self) -> TrackSummary:
        return TrackSummary(
            id=self.id,
            first_frame=self.first_frame,
            last_frame=self.last_frame,
            frames=len(self.frames),
            visibility=round(self.visibility, 4),
            displacement=round(self.displacement, 2),
            displacement_heights=round(self.displacement_heights, 3),
            score=round(self.score, 3),
        )


#: Two poses in one frame are the same person reported twice (a pose tool's duplicate) when their
#: boxes overlap this much (IoU) and their joints lie this close (mean distance over the joints both
#: see, in heights of the larger box): two real people never do both.
DUPLICATE_IOU = 0.85
DUPLICATE_DISTANCE = 0.05


def without_duplicates(detections: Sequence[Detection]) -> list[Detection]:
    """``detections`` (one frame's, with poses) less those that repeat a higher-scored one (see
    :data:`DUPLICATE_IOU`), in their order. Pose tools without a final pose NMS (AlphaPose, say)
    sometimes report one person twice; followed as two people, the copies take frames from each other."""
    order = sorted(range(len(detections)), key=lambda i: -detections[i].score)
    kept: list[int] = []
    for i in order:
        if not any(_same_person(detections[k], detections[i]) for k in kept):
            kept.append(i)
    return [detections[i] for i in sorted(kept)]


def _same_person(a: Detection, b: Detection) -> bool:
    if not (a.has_pose and b.has_pose) or box_iou(a.box, b.box) < DUPLICATE_IOU:
        return False
    both = (a.probabilities >= VISIBLE) & (b.probabilities >= VISIBLE)
    if both.sum() < 3:
        return False
    height = max(a.box[3] - a.box[1], b.box[3] - b.box[1], 1.0)
    return float(np.mean(np.hypot(a.coords_x[both] - b.coords_x[both], a.coords_y[both] - b.coords_y[both]))) / height < DUPLICATE_DISTANCE


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes ``(x0, y0, x1, y1)``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class Tracker:
    """Incremental multi-person tracker: call :meth:`update` once per frame, in frame order.

    ``max_gap``: updates a track may go unmatched before it ends (occlusions, missed
    detections); until then its box is predicted at constant velocity and a detection there
    re-joins it. ``min_iou`` / ``max_distance``: the gate of a link (see the module docstring).
    ``high_score``: with it, detections scoring less only continue tracks that were matched in
    the previous update (ByteTrack's second pass) and never start one; without it every
    detection counts as high. ``min_hits``: detections a new track needs before it counts
    (gets an id and appears in :attr:`tracks`); one-frame false detections never do. Until
    then it ends after more than ``tentative_gap`` updates without a match.
    """

    def __init__(self, *, max_gap: int = 15, min_iou: float = 0.1, max_distance: float = 0.5,
                 high_score: float | None = None, low_iou: float = 0.3, min_hits: int = 1, tentative_gap: int = 0):
        self.max_gap = max_gap
        self.min_iou = min_iou
        self.max_distance = max_distance
        self.high_score = high_score
        self.low_iou = low_iou
        self.min_hits = max(1, int(min_hits))
        self.tentative_gap = max(0, int(tentative_gap))
        self._tracks: list[Track] = []  # every confirmed track, by id
        self._live: list[Track] = []  # those not ended, confirmed or not: an update costs what is alive, not every track so far
        self._next_id = 1
        self._last_frame: int | None = None

    @property
    def tracks(self) -> list[Track]:
        """Every confirmed track so far (ended ones included), by id."""
        return list(self._tracks)

    def alive(self) -> list[Track]:
        """Tracks that may still be continued by the next update (unconfirmed ones included)."""
        return list(self._live)

    def get(self, track_id: int) -> Track:
        """The track with ``track_id`` (``KeyError`` when there is none)."""
        for t in self._tracks:
            if t.id and t.id == track_id:
                return t
        raise KeyError(track_id)

    def update(self, frame_index: int, detections: Sequence) -> list[int]:
        """Link this frame's detections to tracks.

        Detections are :class:`Detection` s, :class:`gaitcli.pose.base.Pose` s, or any object
        with ``box`` and ``score`` (such as the person detector's boxes).

        Returns the track id given to each detection, in order; 0 for a detection that joined
        no confirmed track (a low-score box left over, or a new track not yet confirmed).
        """
        if self._last_frame is not None and frame_index <= self._last_frame:
            raise ValueError(f"frames must come in increasing order ({frame_index} after {self._last_frame})")
        self._last_frame = frame_index
        dets = [_as_detection(d) for d in detections]
        live = self.alive()
        high = [i for i, d in enumerate(dets) if self.high_score is None or d.score >= self.high_score]
        low = sorted(set(range(len(dets))) - set(high))
        owner: dict[int, Track] = {}  # detection index -> track
        # pass 1: every live track (lost ones too, at their predicted box) against the confident detections
        matched = self._assign(live, high, dets, frame_index, owner, iou_only=False)
        # pass 2 (ByteTrack): tracks seen last update, still unmatched, against the low-score boxes
        recent = [t for t in live if t not in matched and t.missed == 0]
        matched |= self._assign(recent, low, dets, frame_index, owner, iou_only=True)
        for track in live:
            if track not in matched:
                track.missed += 1
                if not track.id and track.missed > self.tentative_gap:  # an unconfirmed track ends sooner
                    track.missed = self.max_gap + 1
        self._live = [t for t in live if t.missed <= self.max_gap]  # failed candidates are forgotten here
        for i in high:
            if i not in owner:
                track = Track(id=0)
                track.add(frame_index, dets[i])
                self._live.append(track)
                owner[i] = track
        for i in sorted(owner):  # confirmed in detection order: ids follow the order people are listed
            track = owner[i]
            if not track.id and len(track.frames) >= self.min_hits:
                track.id = self._next_id
                self._next_id += 1
                self._tracks.append(track)
        return [owner[i].id if i in owner else 0 for i in range(len(dets))]

    def _assign(self, tracks: list[Track], indices: list[int], dets: list[Detection], frame_index: int,
                owner: dict[int, Track], *, iou_only: bool) -> set[Track]:
        """Hungarian assignment of ``dets[indices]`` to ``tracks`` by :meth:`_cost`; returns the tracks matched."""
        if not tracks or not indices:
            return set()
        blocked = 1e6
        cost = np.full((len(tracks), len(indices)), blocked)
        for ti, track in enumerate(tracks):
            predicted = track.predicted_box(frame_index)
            last = track.detections[-1]
            shift = predicted - last.box
            for k, di in enumerate(indices):
                c = self._cost(predicted, last, shift, dets[di], iou_only=iou_only)
                if c is not None:
                    cost[ti, k] = c
        rows, cols = assignment(cost)
        matched = set()
        for ti, k in zip(rows, cols):
            if cost[ti, k] < blocked:
                tracks[ti].add(frame_index, dets[indices[k]])
                owner[indices[k]] = tracks[ti]
                matched.add(tracks[ti])
        return matched

    def _cost(self, predicted: np.ndarray, last: Detection, shift: np.ndarray, det: Detection,
              iou_only: bool = False) -> float | None:
        iou = box_iou(predicted, det.box)
        if iou_only:
            return None if iou < self.low_iou else 1.0 - iou
        height = max(predicted[3] - predicted[1], 1.0)
        distance = None
        if last.has_pose and det.has_pose:
            both = (last.probabilities >= VISIBLE) & (det.probabilities >= VISIBLE)
            if both.sum() >= 3:
                dx = det.coords_x[both] - (last.coords_x[both] + (shift[0] + shift[2]) / 2.0)
                dy = det.coords_y[both] - (last.coords_y[both] + (shift[1] + shift[3]) / 2.0)
                distance = float(np.mean(np.hypot(dx, dy))) / height
        if distance is None:
            dc = (det.box[:2] + det.box[2:]) / 2.0 - (predicted[:2] + predicted[2:]) / 2.0
            distance = float(np.hypot(*dc)) / height
        if iou < self.min_iou and distance > self.max_distance:
            return None
        return (1.0 - iou) + distance


def assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest one-to-one assignment of rows to columns of ``cost`` (the Hungarian method,
    :func:`scipy.optimize.linear_sum_assignment`); a single row or column needs no solver, and
    no import of it (one person in view, the usual case, starts faster)."""
    cost = np.asarray(cost, dtype=np.float64)
    if cost.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if cost.shape[0] == 1:
        return np.array([0]), np.array([int(np.argmin(cost[0]))])
    if cost.shape[1] == 1:
        return np.array([int(np.argmin(cost[:, 0]))]), np.array([0])
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment(cost)


def track_frames(frames: Iterable[tuple[int, Sequence]], **tracker_options) -> list[Track]:
    """Track a whole sequence of ``(frame_index, detections)``; returns every track, by id."""
    tracker = Tracker(**tracker_options)
    for frame_index, detections in frames:
        tracker.update(frame_index, detections)
    return tracker.tracks


def choose_main_track(tracks: Sequence[Track]) -> Track:
    """The main walker: the longest, most visible, most *moving* track (highest :attr:`Track.score`).

    Raises :class:`~gaitcli.errors.NoPersonError` when there is no track at all.
    """
    if not tracks:
        raise NoPersonError("no person was found in the input; use a clip where someone walks through the view")
    return max(tracks, key=lambda t: (t.score, len(t.frames), -t.id))
