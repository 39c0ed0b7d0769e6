"""Real motion-capture walks (CMU Graphics Lab database, ``../shared/data/mocap``) as seed joints.

Readers for the two formats there, each run through its own forward kinematics to world
positions of every joint:

* **BVH** (:func:`read_bvh`): any hierarchy and channel order; both CMU conversions present
  (the cgspeed conversion with CMU's per-subject skeleton, and the Przestr retarget onto one
  generic figure in cm, whose bone lengths carry *no* identity).
* **ASF/AMC** (:func:`read_asf_amc`): CMU's original skeleton + motion files (subject 35).

Units are found from the legs (hip to ankle ≈ 0.85 m) among cm, CMU's ASF unit (1/0.45 inch),
inches and metres; output is metres with ``y`` up.

**Seed-joint mapping** (:func:`to_seed_joints`): hips, knees, ankles, shoulders, elbows and wrists
are the skeleton's joint centres; ``pelvis`` = midpoint of the hips and ``thorax`` = midpoint of
the shoulders (as the pose engines define them); ``upper_neck`` = the joint at the top of the
neck (cgspeed ``Head``, Przestr ``head``, ASF start of ``head``); ``head_top`` = upper neck plus
0.125 × stature along the head's axis (cgspeed/ASF: the head bone; Przestr: the neck), stature
estimated as hip-to-floor height / 0.53. The balls of the feet (toe base) come along as
``feet`` for ground contact and the ankle curve.

The first frame of the CMU BVH conversions is a rest pose, not part of the walk; leading frames
that jump away from the rest of the motion are dropped (:func:`_drop_rest_frames`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gaitcli.constants import (
    HEAD_TOP,
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NUM_JOINTS,
    PELVIS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
    THORAX,
    UPPER_NECK,
)
from gaitcli.errors import InputError

#: Where the real walks live, relative to the project checkout.
DEFAULT_MOCAP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mocap"

#: Candidate units (metres per file unit): cm, CMU's ASF unit (1/0.45 inch), inch, metre.
_UNITS = (0.01, 0.0254 / 0.45, 0.0254, 1.0)
_TYPICAL_LEG = 0.85  # hip joint to ankle joint, metres (adults 0.75 .. 0.95)
_HEAD_FRACTION = 0.125  # upper neck -> head top, as a fraction of stature
_HIP_FRACTION = 0.53  # hip joint height, as a fraction of stature

#: Skeleton joint names per role, in the naming of each supported skeleton
#: (cgspeed CMU BVH, Przestr retargeted BVH, CMU ASF bone *starts*).
_ROLES: dict[str, tuple[str, ...]] = {
    "r_hip": ("RightUpLeg", "rThigh", "rfemur"),
    "r_knee": ("RightLeg", "rShin", "rtibia"),
    "r_ankle": ("RightFoot", "rFoot", "rfoot"),
    "r_ball": ("RightToeBase", "rFoot_End", "rtoes"),
    "l_hip": ("LeftUpLeg", "lThigh", "lfemur"),
    "l_knee": ("LeftLeg", "lShin", "ltibia"),
    "l_ankle": ("LeftFoot", "lFoot", "lfoot"),
    "l_ball": ("LeftToeBase", "lFoot_End", "ltoes"),
    "r_shoulder": ("RightArm", "rShldr", "rhumerus"),
    "r_elbow": ("RightForeArm", "rForeArm", "rradius"),
    "r_wrist": ("RightHand", "rHand", "rwrist"),
    "l_shoulder": ("LeftArm", "lShldr", "lhumerus"),
    "l_elbow": ("LeftForeArm", "lForeArm", "lradius"),
    "l_wrist": ("LeftHand", "lHand", "lwrist"),
    "neck_base": ("Neck", "neck", "lowerneck"),
    "upper_neck": ("Head", "head", "head"),
    "head_end": ("Head_End", "", "head_End"),
}


@dataclass
class Motion:
    """Global joint positions of one capture: ``positions`` (T, J, 3) metres, y up."""

    names: list[str]
    parents: list[int]
    positions: np.ndarray
    fps: float

    def joint(self, name: str) -> np.ndarray:
        """(T, 3) positions of the joint called ``name``."""
        return self.positions[:, self.names.index(name)]


@dataclass
class MocapWalk:
    """One real walk as seed joints.

    ``joints`` (T, 16, 3) metres, y up, seed order; ``feet`` (T, 2, 3) the balls of the right
    and left foot; ``identity_bones`` is False where the skeleton is a generic retarget (bone
    lengths say nothing about the person).
    """

    subject: int
    trial: int
    path: Path
    fps: float
    joints: np.ndarray
    feet: np.ndarray
    identity_bones: bool
    description: str = ""


# --- rotations -------------------------------------------------------------------------


def _axis_rotation(axis: str, degrees: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices about x, y or z by ``degrees`` (right-handed)."""
    a = np.radians(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    if axis == "x":
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == "y":
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    elif axis == "z":
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    else:
        raise ValueError(f"unknown rotation axis {axis!r}")
    return np.moveaxis(np.array(m), (0, 1), (-2, -1))


def _euler(order: str, angles: np.ndarray) -> np.ndarray:
    """Rotation for Euler ``angles`` (..., len(order)) in degrees applied as ``R = R_o0 @ R_o1 @ ...``."""
    angles = np.asarray(angles, dtype=np.float64)
    rot = np.broadcast_to(np.eye(3), angles.shape[:-1] + (3, 3)).copy()
    for k, axis in enumerate(order.lower()):
        rot = rot @ _axis_rotation(axis, angles[..., k])
    return rot


def _asf_euler(order: str, angles: np.ndarray) -> np.ndarray:
    """ASF/AMC Euler angles: the first axis of ``order`` is applied first (``XYZ``: Rz Ry Rx)."""
    angles = np.asarray(angles, dtype=np.float64)
    return _euler(order[::-1], angles[..., ::-1])


def _choose_unit(leg_length_in_file_units: float) -> float:
    """Metres per file unit: the candidate that makes the legs most human-sized."""
    if not leg_length_in_file_units > 0:
        raise InputError("motion file has legs of zero length; cannot tell its units")
    return min(_UNITS, key=lambda u: abs(np.log(u * leg_length_in_file_units / _TYPICAL_LEG)))


# --- BVH -----------------------------------------------------------------------------------


def read_bvh(path: str | Path) -> Motion:
    """Read a BVH file and run its forward kinematics; positions in metres.

    End sites become joints named ``<parent>_End``. Raises :class:`InputError` for a file that
    is not a well-formed BVH.
    """
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    head, sep, motion = text.partition("MOTION")
    if not sep or "HIERARCHY" not in head:
        raise InputError(f"{path} is not a BVH file (no HIERARCHY/MOTION sections)")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    stack: list[int] = []
    pending: int | None = None
    try:
        for raw in head.splitlines():
            tok = raw.split()
            if not tok:
                continue
            key = tok[0]
            if key in ("ROOT", "JOINT") or (key == "End" and tok[1:2] == ["Site"]):
                parent = stack[-1] if stack else -1
                name = tok[1] if key != "End" else f"{names[parent]}_End"
                names.append(name)
                parents.append(parent)
                offsets.append([0.0, 0.0, 0.0])
                channels.append([])
                pending = len(names) - 1
            elif key == "{":
                if pending is None:
                    raise ValueError("'{' without a joint")
                stack.append(pending)
                pending = None
            elif key == "}":
                stack.pop()
            elif key == "OFFSET":
                offsets[stack[-1]] = [float(v) for v in tok[1:4]]
            elif key == "CHANNELS":
                channels[stack[-1]] = tok[2 : 2 + int(tok[1])]
        lines = motion.strip().splitlines()
        n_frames = int(lines[0].split(":")[1])
        frame_time = float(lines[1].split(":")[1])
        data = np.array([[float(v) for v in line.split()] for line in lines[2 : 2 + n_frames] if line.strip()])
    except (ValueError, IndexError) as exc:
        raise InputError(f"{path} is not a well-formed BVH file ({exc})") from exc
    n_channels = sum(len(c) for c in channels)
    if data.ndim != 2 or data.shape[1] != n_channels or len(data) < 2 or frame_time <= 0:
        raise InputError(f"{path}: BVH motion data do not match its hierarchy ({n_channels} channels)")

    offsets_arr = np.asarray(offsets)
    leg = _bvh_leg_length(names, parents, offsets_arr)
    unit = _choose_unit(leg)
    n = len(data)
    rot = np.zeros((n, len(names), 3, 3))
    pos = np.zeros((n, len(names), 3))
    col = 0
    for j, chans in enumerate(channels):
        values = data[:, col : col + len(chans)]
        col += len(chans)
        local_t = offsets_arr[j] * unit
        translation = np.zeros((n, 3))
        rot_axes, rot_cols = "", []
        for k, ch in enumerate(chans):
            axis = ch[0].lower()
            if ch.lower().endswith("position"):
                translation[:, "xyz".index(axis)] = values[:, k] * unit
            else:
                rot_axes += axis
                rot_cols.append(k)
        local_r = _euler(rot_axes, values[:, rot_cols]) if rot_axes else np.broadcast_to(np.eye(3), (n, 3, 3))
        p = parents[j]
        if p < 0:
            rot[:, j] = local_r
            pos[:, j] = local_t + translation
        else:
            rot[:, j] = rot[:, p] @ local_r
            pos[:, j] = pos[:, p] + np.einsum("tij,j->ti", rot[:, p], local_t) + translation
    return Motion(names, parents, pos, 1.0 / frame_time)


def _bvh_leg_length(names, parents, offsets) -> float:
    """Hip-to-ankle length of a BVH skeleton in file units (thigh + shank offsets)."""
    for knee_names, ankle_names in (("RightLeg", "RightFoot"), ("rShin", "rFoot"), ("LeftLeg", "LeftFoot"), ("lShin", "lFoot")):
        if knee_names in names and ankle_names in names:
            return float(np.linalg.norm(offsets[names.index(knee_names)]) + np.linalg.norm(offsets[names.index(ankle_names)]))
    # unknown naming: the longest chain of three offsets below the root, a rough leg
    lengths = np.linalg.norm(offsets, axis=1)
    return float(np.sort(lengths)[-2:].sum())


# --- ASF / AMC --------------------------------------------------------------------------------


def read_asf_amc(asf_path: str | Path, amc_path: str | Path, fps: float = 120.0) -> Motion:
    """Read a CMU ASF skeleton and an AMC motion; positions in metres.

    Each bone becomes a joint at its *start* (named like the bone) and its end is added as
    ``<bone>_End``; the root is ``root``. CMU's AMC files are captured at 120 fps.
    """
    asf_path, amc_path = Path(asf_path), Path(amc_path)
    try:
        asf = asf_path.read_text(errors="replace")
        amc = amc_path.read_text(errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc
    try:
        bones, hierarchy, root_order, root_axis, degrees = _parse_asf(asf)
        frames = _parse_amc(amc)
    except (ValueError, IndexError, KeyError) as exc:
        raise InputError(f"{asf_path.name}/{amc_path.name} are not a well-formed ASF/AMC pair ({exc})") from exc
    if not frames:
        raise InputError(f"{amc_path} holds no frames")
    n = len(frames)
    leg = sum(bones[b]["length"] for b in ("rfemur", "rtibia") if b in bones)
    unit = _choose_unit(leg)
    to_deg = 1.0 if degrees else np.degrees(1.0)

    root_vals = np.array([f["root"] for f in frames])
    t_idx = [root_order.index(a) for a in ("TX", "TY", "TZ")]
    r_axes = "".join(a[1].lower() for a in root_order if a.startswith("R"))
    r_idx = [root_order.index(a) for a in root_order if a.startswith("R")]
    root_c = _asf_euler(root_axis, np.zeros(3))
    root_r = root_c @ _asf_euler(r_axes, root_vals[:, r_idx] * to_deg) @ root_c.T
    positions = {"root": root_vals[:, t_idx] * unit}
    rotations = {"root": root_r}
    ends = {"root": positions["root"]}
    order = []
    queue = list(hierarchy.get("root", []))
    while queue:  # breadth-first so parents come first
        bone = queue.pop(0)
        order.append(bone)
        queue.extend(hierarchy.get(bone, []))
    parent_of = {c: p for p, cs in hierarchy.items() for c in cs}
    out_pos, out_names, out_parents = [positions["root"]], ["root"], [-1]
    for bone in order:
        info = bones[bone]
        parent = parent_of[bone]
        c = _asf_euler(info["axis_order"], np.asarray(info["axis"]))
        dof = info["dof"]
        angles = np.zeros((n, 3))
        if dof:
            vals = np.array([f.get(bone, [0.0] * len(dof)) for f in frames]) * to_deg
            for k, d in enumerate(dof):
                angles[:, "xyz".index(d[1])] = vals[:, k]
        m = _asf_euler("xyz", angles)
        local = c @ m @ c.T
        rotations[bone] = rotations[parent] @ local
        start = ends[parent]
        vec = np.asarray(info["direction"]) * info["length"] * unit
        ends[bone] = start + np.einsum("tij,j->ti", rotations[bone], vec)
        out_names.append(bone)
        out_parents.append(out_names.index(parent) if parent != "root" else 0)
        out_pos.append(start)
    for bone in order:  # end points after all starts, so indices above stay simple
        out_names.append(f"{bone}_End")
        out_parents.append(out_names.index(bone))
        out_pos.append(ends[bone])
    return Motion(out_names, out_parents, np.stack(out_pos, axis=1), float(fps))


def _parse_asf(text: str):
    units_deg = True
    m = re.search(r":units(.*?)(?=\n:)", text, re.S)
    if m and re.search(r"angle\s+rad", m.group(1)):
        units_deg = False
    root = re.search(r":root(.*?)(?=\n:)", text, re.S).group(1)
    root_order = re.search(r"order\s+(.*)", root).group(1).split()
    root_axis = re.search(r"axis\s+(\w+)", root).group(1)
    bones: dict[str, dict] = {}
    bonedata = re.search(r":bonedata(.*?)(?=\n:hierarchy)", text, re.S).group(1)
    for block in re.findall(r"begin(.*?)end", bonedata, re.S):
        info: dict = {"dof": []}
        for line in block.strip().splitlines():
            tok = line.split()
            if not tok:
                continue
            if tok[0] == "name":
                info["name"] = tok[1]
            elif tok[0] == "direction":
                info["direction"] = [float(v) for v in tok[1:4]]
            elif tok[0] == "length":
                info["length"] = float(tok[1])
            elif tok[0] == "axis":
                info["axis"] = [float(v) for v in tok[1:4]]
                info["axis_order"] = tok[4]
            elif tok[0] == "dof":
                info["dof"] = tok[1:]
        bones[info["name"]] = info
    hier_text = re.search(r":hierarchy\s*begin(.*?)end", text, re.S).group(1)
    hierarchy: dict[str, list[str]] = {}
    for line in hier_text.strip().splitlines():
        tok = line.split()
        if tok:
            hierarchy.setdefault(tok[0], []).extend(tok[1:])
    return bones, hierarchy, root_order, root_axis, units_deg


def _parse_amc(text: str) -> list[dict[str, list[float]]]:
    frames: list[dict[str, list[float]]] = []
    for line in text.splitlines():
        tok = line.split()
        if not tok or tok[0].startswith(("#", ":")):
            continue
        if len(tok) == 1 and tok[0].isdigit():
            frames.append({})
        elif frames:
            frames[-1][tok[0]] = [float(v) for v in tok[1:]]
    return frames


# --- mapping onto the seed joints -------------------------------------------------------------


def to_seed_joints(motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """Map a CMU skeleton onto the 16 seed joints: ``(joints (T, 16, 3), feet (T, 2, 3))``.

    See the module docstring for the rules; raises :class:`InputError` when a needed joint is
    missing (a skeleton of another naming).
    """

    def role(name: str) -> np.ndarray:
        for candidate in _ROLES[name]:
            if candidate and candidate in motion.names:
                return motion.joint(candidate)
        raise InputError(f"motion skeleton has no joint for {name!r} (joints: {', '.join(motion.names[:12])}, ...)")

    t = motion.positions.shape[0]
    joints = np.zeros((t, NUM_JOINTS, 3))
    for idx, name in (
        (R_HIP, "r_hip"), (R_KNEE, "r_knee"), (R_ANKLE, "r_ankle"),
        (L_HIP, "l_hip"), (L_KNEE, "l_knee"), (L_ANKLE, "l_ankle"),
        (R_SHOULDER, "r_shoulder"), (R_ELBOW, "r_elbow"), (R_WRIST, "r_wrist"),
        (L_SHOULDER, "l_shoulder"), (L_ELBOW, "l_elbow"), (L_WRIST, "l_wrist"),
        (UPPER_NECK, "upper_neck"),
    ):  # fmt: skip
        joints[:, idx] = role(name)
    joints[:, PELVIS] = (joints[:, R_HIP] + joints[:, L_HIP]) / 2.0
    joints[:, THORAX] = (joints[:, R_SHOULDER] + joints[:, L_SHOULDER]) / 2.0
    feet = np.stack([role("r_ball"), role("l_ball")], axis=1)

    # head axis: the head bone where there is one, else the neck
    try:
        head_axis = role("head_end") - joints[:, UPPER_NECK]
    except InputError:
        head_axis = joints[:, UPPER_NECK] - role("neck_base")
    head_axis /= np.maximum(np.linalg.norm(head_axis, axis=-1, keepdims=True), 1e-9)
    floor = min(joints[:, [R_ANKLE, L_ANKLE], 1].min(), feet[..., 1].min())
    hip_height = float(np.median(joints[:, PELVIS, 1]) - floor)
    stature = hip_height / _HIP_FRACTION
    joints[:, HEAD_TOP] = joints[:, UPPER_NECK] + _HEAD_FRACTION * stature * head_axis
    return joints, feet


def _drop_rest_frames(joints: np.ndarray, feet: np.ndarray, max_drop: int = 10):
    """Drop leading frames that jump far from the motion (the conversions' rest pose, and the
    Przestr retarget's few frames blending out of it)."""
    step = np.linalg.norm(np.diff(joints, axis=0), axis=-1).max(axis=-1)  # (T-1,)
    typical = np.median(step)
    start = 0
    while start < max_drop and step[start] > 2.5 * typical + 1e-3:
        start += 1
    return joints[start:], feet[start:]


def resample(sequence: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Resample a sequence (T, ...) from ``fps_in`` to ``fps_out`` by linear interpolation."""
    sequence = np.asarray(sequence, dtype=np.float64)
    n = len(sequence)
    duration = (n - 1) / fps_in
    t_out = np.arange(0.0, duration + 1e-9, 1.0 / fps_out)
    pos = t_out * fps_in
    i0 = np.clip(np.floor(pos).astype(int), 0, n - 1)
    i1 = np.clip(i0 + 1, 0, n - 1)
    w = (pos - i0).reshape((-1,) + (1,) * (sequence.ndim - 1))
    return (1.0 - w) * sequence[i0] + w * sequence[i1]


# --- the collection -------------------------------------------------------------------------------


def load_walk(path: str | Path, *, subject: int = 0, trial: int = 0, fps: float | None = None, description: str = "") -> MocapWalk:
    """Load one walk (``.bvh``, or ``.amc`` with its subject's ``.asf`` beside it) as seed joints,
    resampled to ``fps`` when given."""
    path = Path(path)
    if path.suffix.lower() == ".bvh":
        motion = read_bvh(path)
    elif path.suffix.lower() == ".amc":
        asfs = sorted(path.parent.glob("*.asf"))
        if not asfs:
            raise InputError(f"no .asf skeleton beside {path}")
        motion = read_asf_amc(asfs[0], path)
    else:
        raise InputError(f"{path}: not a motion file (.bvh or .amc)")
    joints, feet = _drop_rest_frames(*to_seed_joints(motion))
    rate = motion.fps
    if fps is not None and abs(fps - rate) > 1e-6:
        joints, feet = resample(joints, rate, fps), resample(feet, rate, fps)
        rate = fps
    generic = "Przestr" in str(path) or "rThigh" in motion.names
    return MocapWalk(subject, trial, path, float(rate), joints, feet, identity_bones=not generic, description=description)


def mocap_available(mocap_dir: str | Path | None = None) -> bool:
    """Whether the real walks (their ``INDEX.tsv``) are present."""
    root = Path(mocap_dir) if mocap_dir is not None else DEFAULT_MOCAP_DIR
    return (root / "INDEX.tsv").is_file()


def load_walks(mocap_dir: str | Path | None = None, *, fps: float | None = None, normal_only: bool = False) -> list[MocapWalk]:
    """All walks listed in ``INDEX.tsv`` (an empty list when the folder is absent).

    ``normal_only`` keeps level walking at a natural pace (drops uneven terrain, slow,
    exaggerated and striding trials) -- the set the normative curves are fitted to.
    """
    root = Path(mocap_dir) if mocap_dir is not None else DEFAULT_MOCAP_DIR
    index = root / "INDEX.tsv"
    if not index.is_file():
        return []
    walks = []
    with index.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row.get("is_walking", "yes") != "yes":
                continue
            desc = row.get("cmu_description", "")
            if normal_only and desc.strip() != "walk":
                continue
            walks.append(
                load_walk(root / row["file_path"], subject=int(row["subject_id"]), trial=int(row["trial_id"]), fps=fps, description=desc)
            )
    return walks


# --- fitting the generator's gait model -----------------------------------------------------------

#: Curves of one side (right; the left is the same model half a cycle later) and of the body's
#: centre, as measured by :func:`gaitcli.synth.gait_analysis.gait_angles`.
SIDE_CURVES = ("thigh", "knee", "ankle", "arm", "elbow", "abduction")
CENTRE_CURVES = ("pelvis_rotation", "pelvis_obliquity", "thorax_rotation", "trunk_pitch", "trunk_roll", "pelvis_lateral", "pelvis_surge")
HARMONICS = 6
_CYCLE_POINTS = 100
_FIT_DESCRIPTIONS = ("walk", "slow walk")  # level walking; not uneven terrain, not exaggerated


def fit_gait_model(walks: list[MocapWalk]) -> dict:
    """Fit the generator's gait model to real walks: Fourier coefficients of every curve.

    Per trial, the mean normalised cycle of each curve (right heel strike to right heel strike)
    is fitted with :data:`HARMONICS` harmonics; side curves are symmetrised (right and the left
    shifted by half a cycle, averaged) and their half-difference kept as asymmetry. Speed is
    taken as the Froude number ``v / sqrt(g * leg)``: its effect (``slope``, per unit Froude) is
    estimated *within* subjects (only speed changes there, not the person), so people who happen
    to walk fast do not pass their style off as a speed effect. What is left per subject is its
    personal deviation (``subject_dev``); what varies between trials of one subject is
    ``trial_sd``.

    Returns a plain dict (floats and lists) -- what ``gait_model_data.py`` stores.
    """
    from gaitcli.synth import gait_analysis as ga

    rows = []  # (subject, froude, {curve: coeffs}, {curve: asym coeffs})
    half = _CYCLE_POINTS // 2
    for walk in walks:
        if walk.description.strip() not in _FIT_DESCRIPTIONS:
            continue
        spans = ga.cycles(ga.heel_strikes(walk.joints, walk.fps, "r"), walk.fps)
        if not spans:
            continue
        curves = ga.cycle_curves(walk.joints, walk.fps, walk.feet, _CYCLE_POINTS)
        froude = ga.walk_speed(walk.joints, walk.fps, spans) / np.sqrt(9.81 * ga.leg_length(walk.joints))
        sym, asym = {}, {}
        for name in SIDE_CURVES:
            right = curves[f"r_{name}"]
            left = np.roll(curves[f"l_{name}"], -half)  # left heel strike moved to phase 0
            sym[name] = ga.fourier_fit((right + left) / 2.0, HARMONICS)
            asym[name] = ga.fourier_fit((right - left) / 2.0, HARMONICS)
        for name in CENTRE_CURVES:
            sym[name] = ga.fourier_fit(curves[name], HARMONICS)
        rows.append((walk.subject, float(froude), sym, asym))
    if not rows:
        raise ValueError("no level walks to fit")
    subjects = sorted({r[0] for r in rows})
    froude = np.array([r[1] for r in rows])
    subj_of = np.array([r[0] for r in rows])
    froude_ref = float(np.mean([froude[subj_of == s].mean() for s in subjects]))
    model: dict = {"harmonics": HARMONICS, "froude_ref": froude_ref, "subjects": subjects, "curves": {}}
    dv = froude - np.array([froude[subj_of == s].mean() for s in subj_of])  # within-subject speed change
    for name in SIDE_CURVES + CENTRE_CURVES:
        coef = np.array([r[2][name] for r in rows])  # (trials, ncoef)
        subj_mean = np.array([coef[subj_of == s].mean(axis=0) for s in subj_of])
        dc = coef - subj_mean
        slope = (dv[:, None] * dc).sum(axis=0) / max(float((dv**2).sum()), 1e-12)
        # each subject's style at the reference speed
        at_ref = np.array([(coef[subj_of == s] - np.outer(froude[subj_of == s] - froude_ref, slope)).mean(axis=0) for s in subjects])
        mean = at_ref.mean(axis=0)
        resid = dc - np.outer(dv, slope)
        counts = np.array([(subj_of == s).sum() for s in subj_of])
        multi = counts > 1
        trial_sd = np.sqrt((resid[multi] ** 2).sum(axis=0) / max(int(multi.sum()) - len(set(subj_of[multi])), 1))
        entry = {"mean": mean.tolist(), "slope": slope.tolist(), "subject_dev": (at_ref - mean).tolist(), "trial_sd": trial_sd.tolist()}
        if name in SIDE_CURVES:
            asym = np.array([np.mean([r[3][name] for r in rows if r[0] == s], axis=0) for s in subjects])
            entry["asym_sd"] = np.sqrt((asym**2).mean(axis=0)).tolist()
        model["curves"][name] = entry
    return model


def write_gait_model(path: str | Path, mocap_dir: str | Path | None = None) -> dict:
    """Fit :func:`fit_gait_model` to the walks in ``mocap_dir`` and write it as the Python module
    ``path`` (``gaitcli/synth/gait_model_data.py``); returns the model."""
    model = fit_gait_model(load_walks(mocap_dir))

    def rounded(x):
        if isinstance(x, float):
            return float(f"{x:.5g}")
        if isinstance(x, list):
            return [rounded(v) for v in x]
        if isinstance(x, dict):
            return {k: rounded(v) for k, v in x.items()}
        return x

    import pprint

    text = (
        '"""The generator\'s gait model, fitted to the real CMU walks by\n'
        "``gaitcli.synth.mocap.fit_gait_model`` (generated file; regenerate with\n"
        "``python -m gaitcli.synth.mocap``, which needs ../shared/data/mocap).\n\n"
        "Fourier coefficients ``[a0, a1, b1, ..., a6, b6]`` of each curve over the gait cycle (phase 0:\n"
        "right heel strike), in degrees (``pelvis_lateral``: leg lengths); see ``fit_gait_model``.\n"
        '"""\n\n'
        f"MODEL = {pprint.pformat(rounded(model), width=110, compact=True)}\n"
    )
    Path(path).write_text(text)
    return model


if __name__ == "__main__":  # regenerate the stored gait model from the real walks
    import sys

    target = Path(__file__).with_name("gait_model_data.py")
    if not mocap_available():
        sys.exit(f"no motion capture at {DEFAULT_MOCAP_DIR}")
    write_gait_model(target)
    print(f"wrote {target}")
