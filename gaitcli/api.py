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

from gaitcli.constants import CANONICAL_FPS, FEATURE_SPACE_JOINT_MAPS, FEATURE_SPACE_SEED_IR, POSE_ENGINE_SETTINGS
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
    pose_engine: str | None = None  # what found the joints (Embedder.pose_engine); None for another tool's keypoint file
    #: with ``Embedder(keep_joints=True)``: the person's joints the vector was made from (a
    #: :class:`~gaitcli.io.keypoints.KeypointSequence`; :func:`gaitcli.io.keypoints.write_pose_json`
    #: writes them as a keypoint file that embeds the same); None otherwise
    joints: Any = None
    #: the blocks of the vector a gallery scores apart (the gait model's; None: the whole vector)
    score_blocks: Any = None


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
    (:func:`gaitcli.pose.video.sampled_frame`). ``cache`` (default on) keeps everyone's poses in a
    video on disk (:mod:`gaitcli.pose.cache`), so that listing its tracks and then embedding one,
    or all of them, runs the pose engine once. ``min_person_height`` (default
    :data:`~gaitcli.pose.person_detector.MIN_PERSON_PX`, 50 px): the smallest person the person
    detector's windows are sized for; larger means fewer windows on large frames.
    ``keep_joints`` (default off, so that a batch's results hold only vectors): each result also
    holds the person's joints it was made from (:attr:`EmbedResult.joints`).
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
        cache: bool = True,
        min_person_height: float | None = None,
        keep_joints: bool = False,
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
        self.cache = cache
        self.min_person_height = min_person_height
        self.keep_joints = keep_joints
        self._pose_checkpoint = pose_checkpoint
        self._blazepose = None
        self._ir = None

    @property
    def pose_engine(self) -> str:
        """What finds the joints: ``"blazepose"``, ``"blazepose, flip-averaged"`` or ``"seed-ir"``."""
        single, flip_averaged, seed = POSE_ENGINE_SETTINGS
        if self._pose_checkpoint:
            return seed
        return flip_averaged if self.flip_average else single

    # --- engines, loaded on first use -------------------------------------------------

    @property
    def blazepose(self):
        if self._blazepose is None:
            from gaitcli.pose.blazepose import BlazePoseEstimator

            extra = {} if self.min_person_height is None else {"min_person_height": self.min_person_height}
            self._blazepose = BlazePoseEstimator(num_threads=self.num_threads, flip_average=self.flip_average, **extra)
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
        return self.people(path, progress=progress).sequence(name=str(path), track_id=track)

    def people(self, path: str | Path, *, progress: ProgressCallback | None = None):
        """Everyone in a video or frame folder, followed over its frames (a
        :class:`~gaitcli.pose.video.People`); a video's are computed once and then read from the
        pose cache (:mod:`gaitcli.pose.cache`)."""
        from gaitcli.io.video import open_frames
        from gaitcli.pose import cache

        path = Path(path)
        source = open_frames(path, fps=self.fps if path.is_dir() else None)  # a video knows its rate
        total = source.num_frames
        key = None
        if self.cache and path.is_file() and cache.enabled():
            key = cache.cache_key(path, self._pose_settings())
            found = cache.load(key)
            if found is not None:
                if progress:
                    progress(found.frames_read, found.frames_read)
                return found
        done = [0]

        def on_frame(_index: int) -> None:
            done[0] += 1
            if progress:
                progress(done[0], total)

        found = self._follow(source, on_frame=on_frame)
        if key is not None:
            cache.save(key, found)
        return found

    def _pose_settings(self) -> dict[str, Any]:
        """What decides a video's poses besides the video and the code (the pose cache's key)."""
        from gaitcli.pose import person_model, video
        from gaitcli.pose.assets import MODEL_FILES

        return {"engine": self.pose_engine, "sample_fps": self.sample_fps, "detect_every": video.DETECT_EVERY,
                "max_people": video.MAX_PEOPLE, "min_person_height": self.blazepose.min_person_height,
                "person_detector": self.blazepose.people is not None,
                "models": sorted(sha for _, sha in MODEL_FILES.values()) + [person_model.GRAPH_SHA256]}

    def _follow(self, source, on_frame: Callable[[int], None] | None = None):
        from gaitcli.pose.video import follow_people

        return follow_people(self.blazepose, source, fps=source.fps, sample_fps=self.sample_fps, on_frame=on_frame)

    def source_joints(self, source, *, name: str, track: int | None = None, on_frame: Callable[[int], None] | None = None):
        """The walker's joints over an opened :class:`~gaitcli.io.video.FrameSource`, found by
        BlazePose as this embedder runs it (flip averaging, the frames it runs on)."""
        return self._follow(source, on_frame=on_frame).sequence(name=name, track_id=track)

    def prepared_walk(self, seq):
        """``seq``'s joints prepared for the gait network (:func:`~gaitcli.features.sequence.prepare_walk`,
        frames the engine did not run filled) and the frame rate used; ``TooFewFramesError`` as it raises."""
        from gaitcli.features.sequence import prepare_walk

        fps = float(seq.fps or self.fps or 30.0)
        return prepare_walk(seq.coords_y, seq.coords_x, seq.probs, fps, frame_indices=seq.frame_indices), fps

    # --- vectors ---------------------------------------------------------------------------

    def embed(self, path: str | Path, *, track: int | None = None, progress: ProgressCallback | None = None) -> EmbedResult:
        """The identification vector of the walk in ``path`` (video, frame folder or keypoint file)."""
        return self.embed_sequence(path, self.walker_joints(path, track=track, progress=progress))

    def embed_sequence(self, path: str | Path, seq) -> EmbedResult:
        """The identification vector of one person's joints ``seq`` found in ``path``."""
        from gaitcli.features.sequence import TooFewFramesError, WalkTooLongError

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
            "pose_engine": self.pose_engine if seq.source_format == "video" else seq.pose_engine,  # a pose file may name it
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
            info["lateral_speed"] = round(walk.lateral_speed, 3)
            info["mirror_image_weight"] = round(self.gait.mirror_image_weight(walk), 3)
        return EmbedResult(vector.astype(np.float32), str(path), self.gait.fingerprint, self.feature_space, info,
                           self.gait.open_set_threshold, info["pose_engine"], joints=seq if self.keep_joints else None,
                           score_blocks=self.gait.score_blocks)

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

    def list_tracks(self, path: str | Path, *, progress: ProgressCallback | None = None, people=None) -> list[dict[str, Any]]:
        """Every person found in the input, as dicts: ``id``, ``first_frame``, ``last_frame``,
        ``frames`` (seen in), ``visibility``, travel (``displacement``, ``displacement_heights``),
        main-walker ``score``, ``chosen`` (the walker :meth:`embed` takes by default),
        ``confident_seconds`` (of usable walk: torso and legs seen), ``embeddable`` (enough of it
        for a vector) and ``boxes``: ``[{"frame": i, "box": [x0, y0, x1, y1]}, ...]``, one per
        frame the engine ran on where the person was seen. ``people``: :meth:`people` of a video
        or frame folder already at hand."""
        from gaitcli.io.keypoints import looks_like_keypoints

        if people is None and looks_like_keypoints(path):
            seq = self.walker_joints(path)
            tracks = None
        else:
            people = people if people is not None else self.people(path, progress=progress)
            seq = people.sequence(name=str(path))
            tracks = {t.id: t for t in people.tracks}
        listed = []
        for summary in seq.tracks:
            entry = dict(summary.as_dict(), chosen=summary.id == seq.track_id)
            one = seq if summary.id == seq.track_id else (
                people.sequence(name=str(path), track_id=summary.id) if tracks is not None else self.walker_joints(path, track=summary.id))
            entry["confident_seconds"], entry["embeddable"] = self._walk_extent(one)
            if tracks is not None:
                entry["boxes"] = [{"frame": int(f), "box": [round(float(v), 1) for v in d.box]}
                                  for f, d in zip(tracks[summary.id].frames, tracks[summary.id].detections)]
            listed.append(entry)
        return listed

    def save_tracks_video(self, path: str | Path, out: str | Path, *, people=None,
                          progress: ProgressCallback | None = None) -> Path:
        """Write the video ``path`` to ``out`` (.mp4 or .avi) with every track's box, id and skeleton
        drawn (:func:`gaitcli.draw.draw_tracks`); frames the engine did not run on show the last
        drawing. ``people``: :meth:`people` of the video already at hand."""
        from gaitcli.draw import draw_tracks
        from gaitcli.io.video import open_frames
        from gaitcli.io.video_out import write_video

        people = people if people is not None else self.people(path)
        by_frame: dict[int, list] = {}
        for track in people.tracks:
            for frame, det in zip(track.frames, track.detections):
                by_frame.setdefault(frame, []).append((track.id, det))
        source = open_frames(path, fps=self.fps if Path(path).is_dir() else None)

        def frames():
            shown: list = []
            for index, image in source:
                if index in by_frame or index in engine_frames:
                    shown = by_frame.get(index, [])
                yield draw_tracks(image, shown)

        engine_frames = set(people.frame_indices)
        total = source.num_frames
        write_video(out, frames(), source.fps, source.size, on_frame=(lambda n: progress(n, total)) if progress else None)
        return Path(out)

    def _walk_extent(self, seq) -> tuple[float, bool]:
        """(seconds of usable walk, whether it is enough for a vector) of one person's joints."""
        from gaitcli.features.sequence import TooFewFramesError, WalkTooLongError, fill_frames, usable_frames

        try:
            walk, fps = self.prepared_walk(seq)
            return round(walk.frames_used / fps, 2), True
        except (TooFewFramesError, WalkTooLongError):
            fps = float(seq.fps or self.fps or 30.0)
            if seq.num_frames == 0:
                return 0.0, False
            _, _, ps = fill_frames(seq.frame_indices, seq.coords_y, seq.coords_x, seq.probs)
            return round(float(usable_frames(ps).sum()) / fps, 2), False

    def embed_tracks(self, path: str | Path, *, progress: ProgressCallback | None = None) -> list[EmbedResult]:
        """A vector for every person in the input long enough to embed (see :meth:`list_tracks`), by track id."""
        from gaitcli.io.keypoints import looks_like_keypoints

        people = None if looks_like_keypoints(path) else self.people(path, progress=progress)  # the engine runs once
        listed = self.list_tracks(path, people=people)
        results = []
        for t in listed:
            if t["embeddable"]:
                seq = self.walker_joints(path, track=t["id"]) if people is None else people.sequence(name=str(path), track_id=t["id"])
                results.append(self.embed_sequence(path, seq))
        return results


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
