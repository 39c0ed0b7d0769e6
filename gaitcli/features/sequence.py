"""From a walk's joints to the gait network's input: one code path for training and inference.

A walk arrives as per-frame joints ``(coords_y, coords_x, probabilities)`` shaped (T, 16), in
image pixels, from any source (a pose engine on a video, a keypoint file, the synthetic
generator). :func:`prepare_walk` turns it into spatial-feature segments:

0. **Frames not run**: when the rows are only some of the source's frames (``frame_indices``;
   the embed pipeline runs the pose engine only on the frames nearest a ``CANONICAL_FPS``
   grid), the frames between them are filled by linear interpolation (:func:`fill_frames`),
   so that everything below sees one row per source frame. Rows more than ``MAX_GAP_SECONDS``
   apart are not filled: the walk is split there (as step 2 splits at longer unusable gaps).
1. **Usable frames**: a frame is usable when its pelvis and thorax have probability
   >= ``MIN_TORSO_PROBABILITY`` and its six leg joints average >= ``MIN_LEG_PROBABILITY``.
   Other frames are skipped (and counted).
2. **Segments**: gaps of up to ``MAX_GAP_SECONDS`` are bridged by linear interpolation of the
   joints (their probabilities too); longer gaps split the walk. Segments shorter than
   ``MIN_SEGMENT_SECONDS`` are dropped.
3. **Time**: every segment is resampled to ``CANONICAL_FPS`` so the network sees the same
   time scale whatever the camera's frame rate.
   **Confidence scale**: pose tools score their joints on scales of their own (and one tool
   scores a blurred or dimly lit clip lower throughout), while the network reads the
   probabilities (they weight its joint maps) and was trained on walks whose best-seen joints
   score about 1. So when the 90th percentile of a walk's joint probabilities (over its usable
   frames, missing joints left out) is below ``CONFIDENCE_FLOOR``, every probability of the walk
   is multiplied by ``CONFIDENCE_FLOOR`` over it (capped at 1): the walk is read on the network's
   scale, whatever the tool's. Which frames are usable is decided before, on the tool's own
   numbers; BlazePose walks and the training walks (percentile 0.96-1) are left as they are.
4. **Direction**: a walk whose pelvis moves leftwards in the image (by more than half a torso
   length) is mirrored so that every walk goes left-to-right.
5. **Features**: :func:`gaitcli.features.joint_maps` per frame, with the reference centre
   smoothed per segment and one median scale (:func:`smooth_references`), rendered on demand
   by :meth:`PreparedWalk.render`.

:func:`windows` then cuts segments into the fixed-length windows the gait network was trained
on; the identification vector is the mean over windows (see :mod:`gaitcli.gait`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaitcli.constants import (
    CANONICAL_FPS,
    L_ANKLE,
    L_HIP,
    L_KNEE,
    MAX_WALK_FRAMES,
    MIRROR_JOINTS,
    NUM_JOINTS,
    PELVIS,
    R_ANKLE,
    R_HIP,
    R_KNEE,
    THORAX,
    WINDOW_FRAMES,
    WINDOW_STRIDE,
)
from gaitcli.features.joint_maps import joint_maps, person_reference, smooth_references

MIN_TORSO_PROBABILITY = 0.3
MIN_LEG_PROBABILITY = 0.3
MAX_GAP_SECONDS = 0.2  # shorter runs of unusable frames are interpolated
MIN_SEGMENT_SECONDS = 0.5  # shorter usable runs are dropped
MIRROR_MIN_TRAVEL = 0.5  # torso lengths of leftward travel before a walk is mirrored
MIN_WALK_SECONDS = 0.5  # less usable walk than this is refused (about half a gait cycle: one step)
SHORT_WALK_SECONDS = 1.0  # less than this holds no whole gait cycle: embedded, with a warning (accuracy falls)
CONFIDENCE_FLOOR = 0.9  # a walk's 90th-percentile joint probability is raised to this when below it

_LEGS = [R_HIP, R_KNEE, R_ANKLE, L_HIP, L_KNEE, L_ANKLE]


class TooFewFramesError(ValueError):
    """The walk has too few usable frames to hold a gait cycle."""


class WalkTooLongError(ValueError):
    """The walk covers more frames than :data:`~gaitcli.constants.MAX_WALK_FRAMES`."""


@dataclass
class PreparedWalk:
    """A walk ready for the gait network: resampled joint segments and their references.

    Features are rendered on demand (:meth:`render`), so a long walk or a training set of
    thousands of walks holds only joints in memory.
    """

    joints: list[np.ndarray]  # each (T_k, 16, 3): y, x, probability at CANONICAL_FPS
    references: list[np.ndarray]  # each (T_k, 3): smoothed (cy, cx, scale)
    mirrored: bool  # the walk went right-to-left and is mirrored
    frames_total: int  # frames given
    frames_used: int  # usable frames that went into the segments

    @property
    def frames_skipped(self) -> int:
        return self.frames_total - self.frames_used

    @property
    def lengths(self) -> list[int]:
        return [len(j) for j in self.joints]

    @property
    def seconds(self) -> float:
        """Usable walk, in seconds (what the gait network sees)."""
        return sum(self.lengths) / CANONICAL_FPS

    @property
    def warning(self) -> str | None:
        """Why this walk's vector is less reliable than most, or None."""
        if self.seconds < SHORT_WALK_SECONDS:
            return (f"only {self.seconds:.2f} s of usable walk, shorter than a gait cycle (~{SHORT_WALK_SECONDS:g} s): "
                    "identification from it is less reliable")
        return None

    @property
    def lateral_speed(self) -> float:
        """How fast the walker moves across the image: the path of the smoothed body centre along
        x, either way (a walk across and back counts all of it), in torso lengths per second; about
        1.8 for a walk past a side camera, near 0.1 toward or away from the camera or on the spot."""
        path = sum(float(np.abs(np.diff(ref[:, 1])).sum()) for ref in self.references)
        scale = float(np.median(np.concatenate([ref[:, 2] for ref in self.references])))
        return path / max(scale, 1e-9) / max(self.seconds, 1e-9)

    def mirror_image(self) -> "PreparedWalk":
        """The same walk reflected left to right, every joint keeping its label: what a camera
        behind the walker sees of a walk toward the camera (and the reverse). Left and right are
        swapped in the stored joints and the walk's mirroring is reversed, so its features are
        this walk's features reflected."""
        swap = np.asarray(MIRROR_JOINTS, dtype=np.int64)
        return PreparedWalk([j[:, swap] for j in self.joints], [ref.copy() for ref in self.references], not self.mirrored,
                            self.frames_total, self.frames_used)

    def render(self, k: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Spatial features (stop - start, 17, 17, 32) of frames [start, stop) of segment ``k``."""
        j, ref = self.joints[k][start:stop], self.references[k][start:stop]
        return joint_maps(j[..., 0], j[..., 1], j[..., 2], reference=ref, mirror=self.mirrored)

    @property
    def segments(self) -> list[np.ndarray]:
        """Every segment's spatial features, each (T_k, 17, 17, 32) float32."""
        return [self.render(k) for k in range(len(self.joints))]


def usable_frames(probabilities: np.ndarray) -> np.ndarray:
    """Boolean (T,) mask of frames with a confident torso and legs."""
    p = np.asarray(probabilities, dtype=np.float64)
    torso = (p[:, PELVIS] >= MIN_TORSO_PROBABILITY) & (p[:, THORAX] >= MIN_TORSO_PROBABILITY)
    legs = p[:, _LEGS].mean(axis=1) >= MIN_LEG_PROBABILITY
    return torso & legs


def _runs(mask: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """[start, stop) runs of True in ``mask``, bridging False gaps of at most ``max_gap``."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    runs, start, prev = [], idx[0], idx[0]
    for i in idx[1:]:
        if i - prev - 1 > max_gap:
            runs.append((int(start), int(prev) + 1))
            start = i
        prev = i
    runs.append((int(start), int(prev) + 1))
    return runs


def _resample(values: np.ndarray, valid: np.ndarray, fps: float) -> np.ndarray:
    """Interpolate (T, ...) ``values`` over invalid frames and resample to CANONICAL_FPS."""
    t = np.arange(len(values)) / fps
    n_out = max(1, int(round((len(values) - 1) * CANONICAL_FPS / fps)) + 1)
    t_out = np.arange(n_out) / CANONICAL_FPS
    t_out = t_out[t_out <= t[-1] + 1e-9]
    flat = values.reshape(len(values), -1)
    out = np.empty((len(t_out), flat.shape[1]))
    for k in range(flat.shape[1]):
        out[:, k] = np.interp(t_out, t[valid], flat[valid, k])
    return out.reshape(len(t_out), *values.shape[1:])


def fill_frames(frame_indices, coords_y, coords_x, probabilities) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joints on every frame from the first to the last of ``frame_indices`` (increasing frame
    numbers of the rows): rows are placed at their frames and the frames between them filled
    by linear interpolation of coordinates and probabilities (a row without a pose counts
    with probability 0). Rows already on consecutive frames come back unchanged."""
    idx = np.asarray(frame_indices, dtype=np.int64)
    ys, xs, ps = (np.asarray(a, dtype=np.float64) for a in (coords_y, coords_x, probabilities))
    if len(idx) != len(ys):
        raise ValueError(f"{len(idx)} frame indices for {len(ys)} rows of joints")
    if len(idx) < 2 or (np.diff(idx) == 1).all():
        return ys, xs, ps
    if (np.diff(idx) <= 0).any():
        raise ValueError("frame indices must increase")
    grid = np.arange(idx[0], idx[-1] + 1)

    def fill(values: np.ndarray, known: np.ndarray) -> np.ndarray:  # per joint, from the rows where it is known
        return np.stack([np.interp(grid, idx[known[:, j]], values[known[:, j], j]) if known[:, j].any()
                         else np.full(len(grid), np.nan) for j in range(values.shape[1])], axis=1)

    placed = np.isfinite(ys) & np.isfinite(xs) & (ps > 0)  # coordinates count where a pose was seen
    ys_f, xs_f, ps_f = fill(ys, placed), fill(xs, placed), fill(ps, np.ones_like(placed))
    ps_f[~(np.isfinite(ys_f) & np.isfinite(xs_f))] = 0.0
    return ys_f, xs_f, ps_f


def prepare_walk(coords_y, coords_x, probabilities, fps: float, *, frame_indices=None,
                 min_seconds: float = MIN_WALK_SECONDS) -> PreparedWalk:
    """Turn a walk's per-frame joints into spatial-feature segments (see the module docstring).

    ``frame_indices`` (default: consecutive) are the rows' frame numbers at ``fps``; frames
    between them are filled (:func:`fill_frames`) where they are at most ``MAX_GAP_SECONDS``
    apart, and the walk is split where they are further apart (nothing is invented over a longer
    gap, and memory follows the rows, not their frame numbers). Raises :class:`TooFewFramesError`
    when less than ``min_seconds`` of usable walk remains and :class:`WalkTooLongError` when the
    rows cover more than :data:`~gaitcli.constants.MAX_WALK_FRAMES` frames.
    """
    ys = np.asarray(coords_y, dtype=np.float64)
    xs = np.asarray(coords_x, dtype=np.float64)
    ps = np.asarray(probabilities, dtype=np.float64)
    if ys.ndim != 2 or ys.shape[1] != NUM_JOINTS or ys.shape != xs.shape or ys.shape != ps.shape:
        raise ValueError(f"joints must be shaped (T, {NUM_JOINTS}); got {ys.shape}, {xs.shape}, {ps.shape}")
    if not fps or fps <= 0 or not np.isfinite(fps):
        raise ValueError(f"fps must be positive, not {fps!r}")
    max_gap = int(round(MAX_GAP_SECONDS * fps))
    if frame_indices is None:
        pieces = [(np.arange(len(ys)), None)] if len(ys) else []
    else:
        idx = np.asarray(frame_indices, dtype=np.int64)
        if idx.shape != (len(ys),):
            raise ValueError(f"{len(idx)} frame indices for {len(ys)} rows of joints")
        if (np.diff(idx) <= 0).any():
            raise ValueError("frame indices must increase")
        breaks = np.flatnonzero(np.diff(idx) - 1 > max_gap) + 1
        pieces = [(rows, idx[rows]) for rows in np.split(np.arange(len(ys)), breaks)] if len(ys) else []
    spans = [len(rows) if at is None else int(at[-1] - at[0]) + 1 for rows, at in pieces]
    if sum(spans) > MAX_WALK_FRAMES:
        raise WalkTooLongError(
            f"the walk covers {sum(spans)} frames; gaitcli reads walks of up to {MAX_WALK_FRAMES} frames "
            f"({MAX_WALK_FRAMES / fps / 60:.0f} min at {fps:g} fps); cut it into shorter walks"
        )
    frames_total = confident = used_total = 0
    resampled = []
    for (rows, at), span in zip(pieces, spans):
        frames_total += span
        if span / fps < MIN_SEGMENT_SECONDS:  # too short to hold a segment: only counted
            p_rows = np.clip(np.nan_to_num(ps[rows]), 0.0, 1.0)
            confident += int((usable_frames(p_rows) & np.isfinite(ys[rows]).all(axis=1) & np.isfinite(xs[rows]).all(axis=1)).sum())
            continue
        py, px, pp = ys[rows], xs[rows], ps[rows]
        if at is not None:
            py, px, pp = fill_frames(at, py, px, np.nan_to_num(pp))
        pp = np.clip(np.nan_to_num(pp), 0.0, 1.0)
        finite = np.isfinite(py).all(axis=1) & np.isfinite(px).all(axis=1)
        mask = usable_frames(pp) & finite
        confident += int(mask.sum())
        for a, b in _runs(mask, max_gap=max_gap):
            if (b - a) / fps < MIN_SEGMENT_SECONDS:
                continue
            used_total += int(mask[a:b].sum())
            joints = np.stack([py[a:b], px[a:b], pp[a:b]], axis=-1)  # (t, 16, 3)
            resampled.append(_resample(joints, mask[a:b], fps))
    if sum(len(r) for r in resampled) < min_seconds * CANONICAL_FPS:
        raise TooFewFramesError(
            f"{_confident(confident, frames_total)} ({used_total} in runs of at "
            f"least {MIN_SEGMENT_SECONDS:g} s); a walk needs at least {min_seconds:g} s (about half a gait cycle) "
            f"({int(np.ceil(min_seconds * fps))} frames at {fps:g} fps)"
        )
    _raise_confidence_scale(resampled)
    references = [smooth_references(person_reference(r[..., 0], r[..., 1], r[..., 2])) for r in resampled]
    travel = sum(ref[-1, 1] - ref[0, 1] for ref in references)
    scale = float(np.median(np.concatenate([ref[:, 2] for ref in references])))
    mirrored = bool(travel < -MIRROR_MIN_TRAVEL * scale)
    return PreparedWalk(resampled, references, mirrored, frames_total, used_total)


def _raise_confidence_scale(segments: list[np.ndarray], floor: float = CONFIDENCE_FLOOR) -> None:
    """Multiply the probabilities of ``segments`` (each (t, 16, 3): y, x, p), in place, by ``floor``
    over their 90th percentile (probabilities 0 left out) when that is below ``floor``; capped at 1."""
    probabilities = np.concatenate([r[..., 2].ravel() for r in segments])
    seen = probabilities[probabilities > 0]
    if not len(seen):
        return
    level = float(np.percentile(seen, 90))
    if level < floor:
        for r in segments:
            r[..., 2] = np.minimum(r[..., 2] * (floor / level), 1.0)


def window_spans(lengths: list[int], length: int = WINDOW_FRAMES, stride: int = WINDOW_STRIDE) -> list[tuple[int, int, int]]:
    """``(segment, start, stop)`` of the fixed-length windows over segments of these lengths
    (a shorter segment is one window of its own; the last window of a longer one ends at its end)."""
    out = []
    for k, n in enumerate(lengths):
        if n <= length:
            out.append((k, 0, n))
            continue
        starts = list(range(0, n - length + 1, stride))
        if starts[-1] != n - length:
            starts.append(n - length)  # cover the tail
        out.extend((k, s, s + length) for s in starts)
    return out


def windows(segments: list[np.ndarray], length: int = WINDOW_FRAMES, stride: int = WINDOW_STRIDE) -> list[np.ndarray]:
    """Fixed-length windows over the segments (a shorter segment is one window of its own)."""
    return [segments[k][a:b] for k, a, b in window_spans([len(s) for s in segments], length, stride)]


def _confident(confident: int, total: int) -> str:
    """How many of a walk's frames have a confident pose, for messages."""
    if confident == total:
        return f"all {total} frame(s) have a confident pose"
    return f"only {confident} of {total} frames have a confident pose"
