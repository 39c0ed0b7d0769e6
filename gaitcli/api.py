"""gaitcli's Python API: walks in, identification vectors out.

>>> from gaitcli.api import Embedder
>>> embedder = Embedder()                     # default pose engine + default gait model
>>> result = embedder.embed("walk.mp4")       # video, frame folder or keypoint file
>>> result.vector.shape, result.info["track"]

The walk follows the data's path: input (:mod:`gaitcli.io`) -> pose engine and tracking
(:mod:`gaitcli.pose`, :mod:`gaitcli.tracking`) -> spatial features (:mod:`gaitcli.features`)
-> gait network (:mod:`gaitcli.gait`). With ``pose_checkpoint`` and ``gait_checkpoint`` the
seed's own pipeline runs instead: BlazePose finds and follows the walker, the seed's
HumanPoseIRNetwork computes its learned features on person-centred crops, and the seed's
GaitNetwork turns them into the vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from gaitcli.constants import CANONICAL_FPS, FEATURE_SPACE_JOINT_MAPS, FEATURE_SPACE_SEED_IR
from gaitcli.errors import InputError, NoPersonError

#: Called with (frames done, frames total or None) while a video is read.
ProgressCallback = Callable[[int, "int | None"], None]


@dataclass
class EmbedResult:
    """One walk's identification vector and what went into it."""

    vector: np.ndarray  # (D,) float32, unit length
    source: str
    model_fingerprint: str
    feature_space: str
    info: dict[str, Any] = field(default_factory=dict)
    open_set_threshold: float | None = None  # the gait model's threshold for one-walk galleries, if it has one
    pose_engine: str | None = None  # what found the joints (Embedder.pose_engine); None for a keypoint file


class Embedder:
    """Loads the models once and embeds any number of walks.

    ``gait_checkpoint``: a gaitcli ``.npz`` or seed TF-1 gait checkpoint (default: the
    packaged model). ``pose_checkpoint``: a seed HumanPoseIRNetwork checkpoint; its learned
    features need a gait model trained on them (the seed's), and mixing feature spaces is a
    :class:`~gaitcli.errors.ModelError`. ``fps`` overrides the frame rate of inputs that lack
    one (frame folders, keypoint files). ``flip_average`` (default on with BlazePose) runs
    BlazePose's landmark model on the mirrored crop too and averages: about half the pose error,
    twice the landmark work (:mod:`gaitcli.pose.blazepose_landmarks`). ``sample_fps`` (default
    ``CANONICAL_FPS``; None for every frame) runs the pose engine only on the video frames
    nearest a grid of that rate, the rate the gait network sees anyway
    (:func:`gaitcli.pose.video.sampled_frame`).
    """

    def __init__(
        self,
        *,
        gait_checkpoint: str | Path | None = None,
        pose_checkpoint: str | Path | None = None,
        fps: float | None = None,
        num_threads: int = 2,
        flip_average: bool | None = None,
        sample_fps: float | None = CANONICAL_FPS,
    ):
        from gaitcli.gait.model import load_gait_model
        from gaitcli.pose.blazepose_landmarks import FLIP_AVERAGE

        if flip_average and pose_checkpoint:
            raise InputError("--flip-average is for the BlazePose engine; the seed's pose network (--pose-checkpoint) has none")
        from gaitcli.io.video import check_fps

        flip_average = FLIP_AVERAGE if flip_average is None else flip_average
        fps = check_fps(fps, "the frame rate given (--fps)")
        self.gait = load_gait_model(gait_checkpoint)
        self.feature_space = FEATURE_SPACE_SEED_IR if pose_checkpoint else FEATURE_SPACE_JOINT_MAPS
        self.gait.require(self.feature_space)
        self.fps = fps
        self.num_threads = num_threads
        self.flip_average = flip_average
        self.sample_fps = sample_fps
        self._pose_checkpoint = pose_checkpoint
        self._blazepose = None
        self._ir = None

    @property
    def pose_engine(self) -> str:
        """What finds the joints: ``"blazepose"``, ``"blazepose, flip-averaged"`` or ``"seed-ir"``."""
        if self._pose_checkpoint:
            return "seed-ir"
        return "blazepose, flip-averaged" if self.flip_average else "blazepose"

    # --- engines, loaded on first use -------------------------------------------------

    @property
    def blazepose(self):
        if self._blazepose is None:
            from gaitcli.pose.blazepose import BlazePoseEstimator

            self._blazepose = BlazePoseEstimator(num_threads=self.num_threads, flip_average=self.flip_average)
        return self._blazepose

    @property
    def ir(self):
        if self._ir is None:
            from gaitcli.pose.ir_engine import IREstimator

            self._ir = IREstimator(str(self._pose_checkpoint))
        return self._ir

    # --- joints of the walker -------------------------------------------------------------

    def walker_joints(self, path: str | Path, *, track: int | None = None, progress: ProgressCallback | None = None):
        """The walker's joints over the input (a :class:`~gaitcli.io.keypoints.KeypointSequence`)."""
        from gaitcli.io.keypoints import load_keypoints, looks_like_keypoints

        path = Path(path)
        if looks_like_keypoints(path):
            seq = load_keypoints(path, track_id=track)
            if not seq.fps and self.fps:
                seq.fps = self.fps
            return seq
        from gaitcli.io.video import open_frames

        source = open_frames(path, fps=self.fps if path.is_dir() else None)  # a video knows its rate
        total = source.num_frames
        done = [0]

        def on_frame(_index: int) -> None:
            done[0] += 1
            if progress:
                progress(done[0], total)

        return self.source_joints(source, name=str(path), track=track, on_frame=on_frame)

    def source_joints(self, source, *, name: str, track: int | None = None, on_frame: Callable[[int], None] | None = None):
        """The walker's joints over an opened :class:`~gaitcli.io.video.FrameSource`, found by
        BlazePose as this embedder runs it (flip averaging, the frames it runs on)."""
        from gaitcli.pose.video import poses_over_frames

        return poses_over_frames(self.blazepose, source, name=name, fps=source.fps, sample_fps=self.sample_fps,
                                 track_id=track, on_frame=on_frame)

    def prepared_walk(self, seq):
        """``seq``'s joints prepared for the gait network (:func:`~gaitcli.features.sequence.prepare_walk`,
        frames the engine did not run filled) and the frame rate used; ``TooFewFramesError`` as it raises."""
        from gaitcli.features.sequence import prepare_walk

        fps = float(seq.fps or self.fps or 30.0)
        return prepare_walk(seq.coords_y, seq.coords_x, seq.probs, fps, frame_indices=seq.frame_indices), fps

    # --- vectors ---------------------------------------------------------------------------

    def embed(self, path: str | Path, *, track: int | None = None, progress: ProgressCallback | None = None) -> EmbedResult:
        """The identification vector of the walk in ``path`` (video, frame folder or keypoint file)."""
        from gaitcli.features.sequence import TooFewFramesError, WalkTooLongError

        seq = self.walker_joints(path, track=track, progress=progress)
        try:
            walk, fps = self.prepared_walk(seq)
        except TooFewFramesError as exc:
            raise NoPersonError(f"{path}: {exc}") from None
        except WalkTooLongError as exc:
            raise InputError(f"{path}: {exc}") from None
        info: dict[str, Any] = {
            "frames_read": int(seq.frames_read or seq.num_frames),
            "frames_posed": int(seq.num_frames),
            "frames_with_pose": int(seq.present.sum()),
            "frames_used": int(walk.frames_used),
            "frames_skipped": int(walk.frames_skipped),
            "fps": fps,
            "track": seq.track_id,
            "tracks": len(seq.tracks),
            "mirrored": walk.mirrored,
            "source_format": seq.source_format,
            "pose_engine": self.pose_engine if seq.source_format == "video" else None,
            "walk_seconds": round(walk.seconds, 3),
            **({"warning": walk.warning} if walk.warning else {}),
        }
        if self.feature_space == FEATURE_SPACE_SEED_IR:
            if seq.source_format != "video":
                raise InputError(f"{path}: the seed's pose network needs video frames, not a keypoint file")
            vector = self.gait.embed_features(self._seed_features(Path(path), seq, fps))
        else:
            vector = self.gait.embed_walk(walk)
            info["feature_frames"] = int(sum(walk.lengths))
            info["canonical_fps"] = CANONICAL_FPS
        return EmbedResult(vector.astype(np.float32), str(path), self.gait.fingerprint, self.feature_space, info,
                           self.gait.open_set_threshold, info["pose_engine"])

    def _seed_features(self, path: Path, seq, fps: float) -> np.ndarray:
        """The seed's learned features on person-centred crops of the walker's usable frames."""
        from gaitcli.features.sequence import usable_frames
        from gaitcli.io.video import open_frames

        usable = usable_frames(seq.probs)
        span = max(1, int(seq.frame_indices[-1] - seq.frame_indices[0] + 1))
        posed_fps = fps * seq.num_frames / span  # the rate the engine ran at
        keep = set(seq.frame_indices[usable][:: max(1, int(round(posed_fps / CANONICAL_FPS)))].tolist())
        boxes = {int(i): b for i, b in zip(seq.frame_indices, seq.boxes)}
        crops = []
        for index, image in open_frames(path):
            if index in keep:
                crops.append(_centred_crop(image, boxes[index]))
        if not crops:
            raise NoPersonError(f"{path}: no frame with a confident pose for the seed's pose network")
        return np.concatenate([self.ir.feed_forward_features(crops[i : i + 8]) for i in range(0, len(crops), 8)])

    def list_tracks(self, path: str | Path, *, progress: ProgressCallback | None = None) -> list[dict[str, Any]]:
        """Every person found in the input, as dicts (id, frames, visibility, travel, score)."""
        seq = self.walker_joints(path, progress=progress)
        return [dict(t.as_dict(), chosen=t.id == seq.track_id) for t in seq.tracks]


def _centred_crop(image: np.ndarray, box, margin: float = 1.25) -> np.ndarray:
    """A square crop centred on ``box`` (x0, y0, x1, y1), ``margin`` times its larger side."""
    x0, y0, x1, y1 = (float(v) for v in box)
    side = max(x1 - x0, y1 - y0, 8.0) * margin
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    h, w = image.shape[:2]
    a, b = int(round(cx - side / 2)), int(round(cy - side / 2))
    s = int(round(side))
    canvas = np.zeros((s, s, 3), np.uint8)
    sx0, sy0, sx1, sy1 = max(a, 0), max(b, 0), min(a + s, w), min(b + s, h)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0 - b : sy1 - b, sx0 - a : sx1 - a] = image[sy0:sy1, sx0:sx1]
    return canvas


_EMBEDDERS: dict[tuple, Embedder] = {}


def shared_embedder(**options: Any) -> Embedder:
    """The Embedder for these options (:class:`Embedder`'s arguments), made once and kept, so that
    repeated calls reuse the loaded models."""
    key = tuple(sorted((k, str(v)) for k, v in options.items()))
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = Embedder(**options)
    return _EMBEDDERS[key]


def model_fingerprint(**options: Any) -> str:
    """The fingerprint of the gait model :func:`embed_inputs` would use with ``options``."""
    return shared_embedder(**options).gait.fingerprint


def embed_inputs(paths: Iterable[str | Path], **options: Any) -> list[EmbedResult]:
    """Embed several walks (options: :class:`Embedder`'s arguments, plus ``track`` and ``progress``).

    Models are loaded once per set of options and reused by later calls.
    """
    track = options.pop("track", None)
    progress = options.pop("progress", None)
    embedder = shared_embedder(**options)
    return [embedder.embed(p, track=track, progress=progress) for p in paths]


__all__ = ["EmbedResult", "Embedder", "embed_inputs", "model_fingerprint", "shared_embedder"]
