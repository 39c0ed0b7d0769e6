"""One walk's spatial-feature segments -> its L2-normalised identification vector.

The gait network was trained on fixed-length windows (:data:`~gaitcli.features.sequence.
WINDOW_FRAMES` frames at :data:`~gaitcli.features.sequence.CANONICAL_FPS`), so a walk of any
length is cut into overlapping windows (:func:`gaitcli.features.sequence.windows`), each window
becomes a vector, and the walk's vector is their length-weighted mean, L2-normalised.
Training validation and inference both call :func:`identification_vector`. Given a
:class:`~gaitcli.features.sequence.PreparedWalk`, windows are rendered a batch at a time, so a
long walk never holds all its features (37 KB a frame) at once, and a walk of more than
:data:`~gaitcli.constants.MAX_WALK_WINDOWS` windows (about 3.5 minutes) is represented by that
many windows spread evenly over it, so that its cost stops growing with its length.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from gaitcli.constants import MAX_WALK_WINDOWS
from gaitcli.features.sequence import WINDOW_FRAMES, WINDOW_STRIDE, PreparedWalk, window_spans, windows

#: Maps a list of (T_i, 17, 17, 32) windows to their vectors (N, D), e.g.
#: :meth:`gaitcli.gait.numpy_forward.NumpyGaitNetwork.feed_forward_batch`.
ForwardBatch = Callable[[Sequence[np.ndarray]], np.ndarray]


def l2_normalise(vectors: np.ndarray, axis: int = -1) -> np.ndarray:
    """Vectors scaled to unit length along ``axis`` (zero vectors stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    norm = np.linalg.norm(v, axis=axis, keepdims=True)
    return v / np.maximum(norm, 1e-12)


def identification_vector(
    forward_batch: ForwardBatch,
    segments: Sequence[np.ndarray] | PreparedWalk,
    *,
    window: int = WINDOW_FRAMES,
    stride: int = WINDOW_STRIDE,
    max_windows_per_call: int = 64,
) -> np.ndarray:
    """The walk's unit-length identification vector (D,) from its feature segments (or a prepared
    walk, whose windows are rendered only as they are fed to the network)."""
    if isinstance(segments, PreparedWalk):
        walk = segments
        spans = window_spans(walk.lengths, window, stride)
        if len(spans) > MAX_WALK_WINDOWS:  # a long walk: windows spread evenly over it
            spans = [spans[i] for i in np.unique(np.linspace(0, len(spans) - 1, MAX_WALK_WINDOWS).round().astype(int))]

        def batch(i: int, j: int) -> list[np.ndarray]:
            return [walk.render(k, a, b) for k, a, b in spans[i:j]]
    else:
        wins = windows(list(segments), window, stride)
        spans = [(0, 0, len(w)) for w in wins]

        def batch(i: int, j: int) -> list[np.ndarray]:
            return wins[i:j]
    if not spans:
        raise ValueError("a walk needs at least one feature segment")
    vectors = []
    for start in range(0, len(spans), max_windows_per_call):
        vectors.append(np.asarray(forward_batch(batch(start, start + max_windows_per_call)), dtype=np.float32))
    vecs = np.concatenate(vectors)
    weights = np.array([b - a for _, a, b in spans], dtype=np.float32)
    mean = (l2_normalise(vecs) * weights[:, None]).sum(axis=0) / weights.sum()
    return l2_normalise(mean)
