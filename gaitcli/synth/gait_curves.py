"""Personal gait: joint-angle curves over the gait cycle, fitted to real walks, varied per person.

The population model (:data:`gaitcli.synth.gait_model_data.MODEL`, fitted to the CMU walks by
:func:`gaitcli.synth.mocap.fit_gait_model`) gives each curve as Fourier coefficients (6
harmonics) at a reference walking speed, how they change with speed (Froude number
``v / sqrt(g * leg)``, measured within subjects), how the real subjects deviate from the mean
(``subject_dev``), how their two sides differ (``asym_sd``) and how one subject's trials differ
(``trial_sd``).

A person (:class:`GaitStyle`, :func:`sample_style`) is the population mean plus a personal
deviation drawn to match the real subjects' spread: half of its variance along the real
subjects' own deviations (so curves that go together in people go together here), half
independently per coefficient (so people are not confined to the few real subjects' span);
plus left/right asymmetry, a preferred speed, step width, the left leg's phase and head
carriage. A walk (:func:`walk_curves`) adds the speed effect and trial-to-trial variation.

Curves (degrees; see :mod:`gaitcli.synth.gait_analysis` for the exact definitions):
side curves ``thigh, knee, ankle, arm, elbow, abduction`` (right; the left runs the same model
half a cycle later) and centre curves ``pelvis_rotation, pelvis_obliquity, thorax_rotation,
trunk_pitch, trunk_roll, pelvis_lateral`` (the last in leg lengths).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaitcli.synth.gait_analysis import fourier_basis
from gaitcli.synth.gait_model_data import MODEL

SIDE_CURVES: tuple[str, ...] = ("thigh", "knee", "ankle", "arm", "elbow", "abduction")
CENTRE_CURVES: tuple[str, ...] = ("pelvis_rotation", "pelvis_obliquity", "thorax_rotation", "trunk_pitch", "trunk_roll", "pelvis_lateral", "pelvis_surge")
GRAVITY = 9.81

_CURVES = MODEL["curves"]
_NCOEF = 1 + 2 * MODEL["harmonics"]
FROUDE_REF: float = MODEL["froude_ref"]


def _arr(name: str, key: str) -> np.ndarray:
    return np.asarray(_CURVES[name][key], dtype=np.float64)


@dataclass(frozen=True)
class GaitStyle:
    """How one person walks (all fixed for life, independent of any camera).

    ``side_dev[curve]`` (2, ncoef): personal Fourier deviations of the right and left side;
    ``centre_dev[curve]`` (ncoef,); ``froude``: preferred speed as a Froude number;
    ``left_phase``: where in the right leg's cycle the left heel strikes (≈ 0.5);
    ``step_width`` (m) between the feet; ``neck_pitch``/``head_pitch`` (deg, + forward):
    head carriage relative to the trunk; ``speed_sd``: how much this person's pace varies;
    ``stride_gain``: scales the thigh swing (see :func:`sample_style`).
    """

    side_dev: dict[str, np.ndarray]
    centre_dev: dict[str, np.ndarray]
    froude: float
    left_phase: float
    step_width: float
    neck_pitch: float
    head_pitch: float
    speed_sd: float = 0.06
    stride_gain: float = 1.0


@dataclass
class WalkCurves:
    """One walk's Fourier coefficients: ``side[curve]`` (2, ncoef) right/left, ``centre[curve]``
    (ncoef,); evaluate them with :meth:`all_at` at right-leg phases (cycles)."""

    side: dict[str, np.ndarray]
    centre: dict[str, np.ndarray]
    left_phase: float

    def all_at(self, phase: np.ndarray) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
        """Every curve at right-leg ``phase``: ``({side curve: (right, left)}, {centre curve: values})``."""
        phase = np.asarray(phase, dtype=np.float64)
        harmonics = (_NCOEF - 1) // 2
        right = fourier_basis(phase, harmonics)
        left = fourier_basis(phase - self.left_phase, harmonics)
        side = {name: (right @ c[0], left @ c[1]) for name, c in self.side.items()}
        centre = {name: right @ c for name, c in self.centre.items()}
        return side, centre


def _subject_matrix() -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """The real subjects' deviations of all curves side by side: (n_subjects, n_total)."""
    blocks, layout, start = [], [], 0
    for name in SIDE_CURVES + CENTRE_CURVES:
        dev = _arr(name, "subject_dev")
        blocks.append(dev)
        layout.append((name, start, start + dev.shape[1]))
        start += dev.shape[1]
    return np.concatenate(blocks, axis=1), layout


_SUBJECTS, _LAYOUT = _subject_matrix()
_SUBJECT_SD = _SUBJECTS.std(axis=0, ddof=1)


def sample_style(rng: np.random.Generator, *, spread: float = 1.0) -> GaitStyle:
    """Draw one person's gait style; ``spread`` scales the between-person variation (1.0: as
    between the real CMU subjects)."""
    n_subj = _SUBJECTS.shape[0]
    shared = _SUBJECTS.T @ rng.normal(0.0, 1.0 / np.sqrt(n_subj - 1), n_subj)
    own = _SUBJECT_SD * rng.standard_normal(_SUBJECTS.shape[1])
    dev = spread * (np.sqrt(0.5) * shared + np.sqrt(0.5) * own)
    side_dev, centre_dev = {}, {}
    for name, a, b in _LAYOUT:
        if name in SIDE_CURVES:
            asym = spread * _arr(name, "asym_sd") * rng.standard_normal(_NCOEF)
            side_dev[name] = np.stack([dev[a:b] + asym, dev[a:b] - asym])
        else:
            centre_dev[name] = dev[a:b]
    return GaitStyle(
        side_dev=side_dev,
        centre_dev=centre_dev,
        froude=float(np.clip(rng.normal(FROUDE_REF, 0.05 * spread), 0.25, 0.6)),
        left_phase=float(0.5 + np.clip(rng.normal(0.0, 0.01 * spread), -0.03, 0.03)),
        step_width=float(np.clip(rng.normal(0.10, 0.03), 0.02, 0.2)),
        neck_pitch=float(rng.normal(12.0, 6.0)),
        head_pitch=float(rng.normal(0.0, 5.0)),
        speed_sd=float(rng.uniform(0.03, 0.09)),
        # averaging the real subjects' curves narrows the thigh swing a little: the average
        # curves walk ~8 % shorter strides than the subjects do (scripts/synth_realism.py)
        stride_gain=float(np.clip(rng.normal(1.07, 0.04 * spread), 0.95, 1.2)),
    )


def walk_curves(style: GaitStyle, froude: float, rng: np.random.Generator, *, trial_variation: float = 1.0) -> WalkCurves:
    """One walk's curves for ``style`` at speed ``froude``: population mean + speed effect +
    personal deviation + trial-to-trial variation (``trial_variation`` scales the real one)."""
    df = froude - FROUDE_REF
    side, centre = {}, {}
    for name in SIDE_CURVES:
        base = _arr(name, "mean") + _arr(name, "slope") * df
        noise = trial_variation * _arr(name, "trial_sd") * rng.standard_normal((2, _NCOEF))
        side[name] = base[None, :] + style.side_dev[name] + noise
    side["thigh"][:, 1:] *= style.stride_gain
    for name in CENTRE_CURVES:
        base = _arr(name, "mean") + _arr(name, "slope") * df
        noise = trial_variation * _arr(name, "trial_sd") * rng.standard_normal(_NCOEF)
        centre[name] = base + style.centre_dev[name] + noise
    return WalkCurves(side=side, centre=centre, left_phase=style.left_phase)


#: Lowest correlation over the cycle between a person's curve and the population mean that real
#: people show (the CMU subjects' lowest: thigh 0.99, knee 0.95, ankle 0.82, arm 0.82, elbow 0.76,
#: less a margin); styles below are redrawn -- a random deviation must not invert an arm swing.
MIN_CORRELATION: dict[str, float] = {"thigh": 0.95, "knee": 0.92, "ankle": 0.75, "arm": 0.75, "elbow": 0.65}


def plausible(style: GaitStyle) -> bool:
    """Whether every curve of ``style`` (both sides, at its preferred speed) keeps the shape of
    real gait: correlation with the population mean of at least :data:`MIN_CORRELATION`."""
    phase = np.arange(100) / 100.0
    basis = fourier_basis(phase, (_NCOEF - 1) // 2)
    df = style.froude - FROUDE_REF
    for name, threshold in MIN_CORRELATION.items():
        base = _arr(name, "mean") + _arr(name, "slope") * df
        ref = basis @ base
        for dev in style.side_dev[name]:
            if np.corrcoef(ref, basis @ (base + dev))[0, 1] < threshold:
                return False
    return True
