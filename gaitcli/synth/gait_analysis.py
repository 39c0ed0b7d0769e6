"""Measure gait from 3D seed joints: walking frame, joint angles, gait cycles, normalised curves.

The same measurements run on the real CMU walks (to fit the generator) and on synthetic walks
(to check them), so the two are compared like with like.

Angles are in degrees, in the walker's own frame: ``forward`` (horizontal direction of travel,
from the smoothed pelvis path), ``up`` (+y) and ``right`` = forward × up. A *sagittal angle* of a
segment vector is its inclination from straight down, positive when its far end is ahead:
``atan2(v·forward, -v·up)``.

=================  =====================================================================
``r_thigh``        thigh (hip -> knee) sagittal angle: + knee ahead of hip
``r_knee``         knee flexion: thigh angle minus shank angle (0 straight, + flexed)
``r_hip``          hip flexion: thigh angle minus trunk pitch (thigh against the trunk)
``r_ankle``        ankle dorsiflexion (needs the balls of the feet; cycle curves only): sole
                   pitch minus shank angle (0: foot flat under a vertical shank), where the sole
                   pitch is the ankle -> ball pitch relative to its mid-stance value (foot flat)
``r_arm``          upper arm (shoulder -> elbow) sagittal angle minus trunk pitch
``r_elbow``        elbow flexion: forearm angle minus upper-arm angle (+ forearm forward)
``r_abduction``    upper arm out of the sagittal plane, away from the body (+ outwards)
``pelvis_rotation``  hip line about the vertical: + right hip ahead
``pelvis_obliquity`` hip line against the horizontal: + right hip higher
``thorax_rotation``  shoulder line about the vertical: + right shoulder ahead
``trunk_pitch``    pelvis -> thorax inclination from vertical: + leaning forward
``trunk_roll``     pelvis -> thorax inclination sideways: + leaning right
``pelvis_height``  pelvis height above its walk median, in leg lengths
``pelvis_lateral`` pelvis sideways from its smoothed path, in leg lengths (+ right)
``pelvis_surge``   pelvis ahead of its smoothed path (steady progress), in leg lengths
=================  =====================================================================

(the same for ``l_...``; for the left side "outwards" is to the left).
"""

from __future__ import annotations

import numpy as np

from gaitcli.constants import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    PELVIS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    THORAX,
)

UP = np.array([0.0, 1.0, 0.0])
_SIDES = {"r": (R_HIP, R_KNEE, R_ANKLE, R_SHOULDER, R_ELBOW, R_WRIST, 0, 1.0), "l": (L_HIP, L_KNEE, L_ANKLE, L_SHOULDER, L_ELBOW, L_WRIST, 1, -1.0)}


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average along axis 0 with edge padding (``width`` frames, odd)."""
    width = max(1, min(int(width) | 1, len(x) - (1 - len(x) % 2)))
    if width <= 1:
        return np.array(x, dtype=np.float64)
    pad = width // 2
    padded = np.concatenate([np.repeat(x[:1], pad, axis=0), x, np.repeat(x[-1:], pad, axis=0)])
    c = np.cumsum(np.concatenate([np.zeros((1,) + x.shape[1:]), padded]), axis=0)
    return (c[width:] - c[:-width]) / width


def walking_frame(joints: np.ndarray, fps: float, window_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame unit ``forward`` and ``right`` vectors (T, 3) from the pelvis path smoothed over
    ``window_s`` seconds (about one stride, which cancels the body's own sway)."""
    pelvis = np.asarray(joints, dtype=np.float64)[:, PELVIS]
    path = _smooth(pelvis, int(round(window_s * fps)))
    vel = np.gradient(path, axis=0)
    vel[:, 1] = 0.0
    norm = np.linalg.norm(vel, axis=1, keepdims=True)
    if not (norm > 1e-9).any():
        raise ValueError("the pelvis does not move: not a walk")
    # frames where the walker stands still keep the direction of the nearest moving frame
    good = norm[:, 0] > 1e-9
    idx = np.arange(len(vel))
    nearest = idx[good][np.clip(np.searchsorted(idx[good], idx), 0, good.sum() - 1)]
    forward = vel[nearest] / norm[nearest]
    right = np.cross(forward, UP)
    return forward, right


def _sag(v: np.ndarray, forward: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2((v * forward).sum(-1), -v[..., 1]))


def gait_angles(joints: np.ndarray, fps: float, feet: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """All the angles and body motions of the module table, each (T,). ``feet`` (T, 2, 3) are
    the balls of the right and left foot (the ankle angle needs them)."""
    j = np.asarray(joints, dtype=np.float64)
    forward, right = walking_frame(j, fps)
    out: dict[str, np.ndarray] = {}
    trunk = j[:, THORAX] - j[:, PELVIS]
    out["trunk_pitch"] = np.degrees(np.arctan2((trunk * forward).sum(-1), trunk[:, 1]))
    out["trunk_roll"] = np.degrees(np.arctan2((trunk * right).sum(-1), trunk[:, 1]))
    for name, a, b in (("pelvis", R_HIP, L_HIP), ("thorax", R_SHOULDER, L_SHOULDER)):
        line = j[:, a] - j[:, b]
        out[f"{name}_rotation"] = np.degrees(np.arctan2((line * forward).sum(-1), (line * right).sum(-1)))
        if name == "pelvis":
            horizontal = np.hypot((line * forward).sum(-1), (line * right).sum(-1))
            out["pelvis_obliquity"] = np.degrees(np.arctan2(line[:, 1], horizontal))
    for side, (hip, knee, ankle, shoulder, elbow, wrist, foot, outward) in _SIDES.items():
        thigh = _sag(j[:, knee] - j[:, hip], forward)
        shank = _sag(j[:, ankle] - j[:, knee], forward)
        upper = _sag(j[:, elbow] - j[:, shoulder], forward)
        lower = _sag(j[:, wrist] - j[:, elbow], forward)
        out[f"{side}_thigh"] = thigh
        out[f"{side}_knee"] = thigh - shank
        out[f"{side}_hip"] = thigh - out["trunk_pitch"]
        out[f"{side}_arm"] = upper - out["trunk_pitch"]
        out[f"{side}_elbow"] = lower - upper
        v = j[:, elbow] - j[:, shoulder]
        out[f"{side}_abduction"] = np.degrees(np.arctan2(outward * (v * right).sum(-1), -v[:, 1]))
        if feet is not None:
            ball = np.asarray(feet, dtype=np.float64)[:, foot] - j[:, ankle]
            out[f"{side}_ball_pitch"] = np.degrees(np.arctan2(ball[:, 1], (ball * forward).sum(-1)))
    leg = float(np.median(np.linalg.norm(j[:, R_HIP] - j[:, R_KNEE], axis=1) + np.linalg.norm(j[:, R_KNEE] - j[:, R_ANKLE], axis=1)))
    out["pelvis_height"] = (j[:, PELVIS, 1] - np.median(j[:, PELVIS, 1])) / leg
    path = _smooth(j[:, PELVIS], int(round(fps)))
    out["pelvis_lateral"] = ((j[:, PELVIS] - path) * right).sum(-1) / leg
    out["pelvis_surge"] = ((j[:, PELVIS] - path) * forward).sum(-1) / leg
    return out


def heel_strikes(joints: np.ndarray, fps: float, side: str = "r") -> np.ndarray:
    """Frames of heel strike on one side: the ankle furthest ahead of the pelvis (Zeni et al.'s
    foot-forward rule), at least 0.6 s apart."""
    j = np.asarray(joints, dtype=np.float64)
    forward, _ = walking_frame(j, fps)
    ankle = R_ANKLE if side == "r" else L_ANKLE
    a = ((j[:, ankle] - j[:, PELVIS]) * forward).sum(-1)
    a = _smooth(a, max(1, int(round(0.04 * fps))))
    peaks = [i for i in range(1, len(a) - 1) if a[i] >= a[i - 1] and a[i] > a[i + 1] and a[i] > 0]
    gap = 0.6 * fps
    kept: list[int] = []
    for p in sorted(peaks, key=lambda i: -a[i]):
        if all(abs(p - q) >= gap for q in kept):
            kept.append(p)
    return np.array(sorted(kept), dtype=int)


def cycles(strikes: np.ndarray, fps: float, min_s: float = 0.7, max_s: float = 2.0) -> list[tuple[int, int]]:
    """Consecutive strike pairs that make a plausible stride (``min_s`` .. ``max_s`` long)."""
    return [(int(a), int(b)) for a, b in zip(strikes[:-1], strikes[1:]) if min_s * fps <= b - a <= max_s * fps]


def normalise_cycles(signal: np.ndarray, spans: list[tuple[int, int]], n: int = 100) -> np.ndarray:
    """Each stride of ``signal`` (T,) resampled to ``n`` points over phase [0, 1): (k, n)."""
    signal = np.asarray(signal, dtype=np.float64)
    out = []
    for a, b in spans:
        t = a + (b - a) * np.arange(n) / n
        out.append(np.interp(t, np.arange(len(signal)), signal))
    return np.array(out).reshape(len(out), n)


def cycle_curves(joints: np.ndarray, fps: float, feet: np.ndarray | None = None, n: int = 100) -> dict[str, np.ndarray]:
    """Mean curve over the right-side gait cycles for every angle of :func:`gait_angles`, each (n,).

    Left-side curves (``l_...``) are aligned to the *right* heel strike as well (so a symmetric
    walker's left curve is its right curve shifted by half a cycle). Adds ``stride_s`` (the mean
    stride duration) and ``n_cycles``. Raises ``ValueError`` when no full stride is found.
    """
    spans = cycles(heel_strikes(joints, fps, "r"), fps)
    if not spans:
        raise ValueError("no complete gait cycle found")
    angles = gait_angles(joints, fps, feet)
    out = {k: normalise_cycles(v, spans, n).mean(axis=0) for k, v in angles.items()}
    for side in ("r", "l"):
        pitch = out.pop(f"{side}_ball_pitch", None)
        if pitch is not None:
            # sole pitch: relative to mid-stance, when the foot is flat (see the module table)
            stance = slice(int(0.15 * n), int(0.40 * n)) if side == "r" else slice(int(0.65 * n), int(0.90 * n))
            sole = pitch - np.median(pitch[stance])
            out[f"{side}_ankle"] = sole - (out[f"{side}_thigh"] - out[f"{side}_knee"])
    out["stride_s"] = np.array(float(np.mean([b - a for a, b in spans])) / fps)
    out["n_cycles"] = np.array(len(spans))
    return out


def stride_frequency(joints: np.ndarray, fps: float) -> float:
    """Strides per second from the autocorrelation of the ankles' fore-aft separation.

    The separation (right minus left ankle along the walking direction) repeats once per stride;
    the first autocorrelation peak after zero lag between 0.5 and 2.0 s gives the period.
    """
    j = np.asarray(joints, dtype=np.float64)
    forward, _ = walking_frame(j, fps)
    sep = ((j[:, R_ANKLE] - j[:, L_ANKLE]) * forward).sum(-1)
    sep = sep - sep.mean()
    n = len(sep)
    ac = np.correlate(sep, sep, mode="full")[n - 1 :]
    ac = ac / (ac[0] + 1e-12)  # biased: long lags weigh less, so a double period cannot win
    lo, hi = int(0.5 * fps), min(int(2.0 * fps), n - 2)
    if hi <= lo:
        raise ValueError("too short to measure a stride")
    lag = lo + int(np.argmax(ac[lo : hi + 1]))
    if 0 < lag < n - 1:  # parabolic refinement
        y0, y1, y2 = ac[lag - 1], ac[lag], ac[lag + 1]
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if abs(denom) > 1e-12 else 0.0
    else:
        shift = 0.0
    return float(fps / (lag + shift))


def fourier_fit(curve: np.ndarray, harmonics: int) -> np.ndarray:
    """Least-squares Fourier coefficients ``[a0, a1, b1, a2, b2, ...]`` of a cyclic curve sampled
    at phases ``k / n``; :func:`fourier_eval` inverts it."""
    curve = np.asarray(curve, dtype=np.float64)
    n = len(curve)
    phase = np.arange(n) / n
    return np.linalg.lstsq(fourier_basis(phase, harmonics), curve, rcond=None)[0]


def fourier_eval(coeffs: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Evaluate Fourier coefficients (..., 1 + 2H) at ``phase`` (any shape, in cycles)."""
    coeffs = np.asarray(coeffs, dtype=np.float64)
    harmonics = (coeffs.shape[-1] - 1) // 2
    return fourier_basis(np.asarray(phase, dtype=np.float64), harmonics) @ coeffs


def fourier_basis(phase: np.ndarray, harmonics: int) -> np.ndarray:
    """The design matrix (..., 1 + 2H) of :func:`fourier_fit` at ``phase`` (cycles)."""
    k = np.arange(1, harmonics + 1)
    ang = 2.0 * np.pi * phase[..., None] * k
    cols = np.empty(phase.shape + (1 + 2 * harmonics,))
    cols[..., 0] = 1.0
    cols[..., 1::2] = np.cos(ang)
    cols[..., 2::2] = np.sin(ang)
    return cols


def walk_speed(joints: np.ndarray, fps: float, spans: list[tuple[int, int]] | None = None) -> float:
    """Mean walking speed (m/s): horizontal pelvis travel over whole strides (first to last right
    heel strike) divided by their duration; the whole sequence when no stride is found."""
    j = np.asarray(joints, dtype=np.float64)
    if spans is None:
        spans = cycles(heel_strikes(j, fps, "r"), fps)
    a, b = (spans[0][0], spans[-1][1]) if spans else (0, len(j) - 1)
    pelvis = j[a : b + 1, PELVIS][:, [0, 2]]
    travel = np.linalg.norm(np.diff(pelvis, axis=0), axis=1).sum()
    return float(travel / max((b - a) / fps, 1e-9))


def leg_length(joints: np.ndarray) -> float:
    """Standing hip height (m) from the leg bones: thigh + shank (median lengths, both sides)
    scaled by 0.530 / 0.491, the stature fractions of hip height and of thigh + shank."""
    j = np.asarray(joints, dtype=np.float64)
    total = 0.0
    for a, b in ((R_HIP, R_KNEE), (R_KNEE, R_ANKLE), (L_HIP, L_KNEE), (L_KNEE, L_ANKLE)):
        total += float(np.median(np.linalg.norm(j[:, a] - j[:, b], axis=1)))
    return total / 2.0 * (0.530 / 0.491)
