"""The real CMU walks: readers, seed-joint mapping, and the generator checked against them."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcli.constants import L_HIP, PELVIS, R_ANKLE, R_HIP, R_KNEE
from gaitcli.errors import InputError
from gaitcli.synth import gait_analysis as ga
from gaitcli.synth import mocap
from gaitcli.synth.body import sample_body
from gaitcli.synth.gait_curves import sample_style
from gaitcli.synth.gait_model_data import MODEL
from gaitcli.synth.walker import Identity, simulate


@pytest.fixture(scope="module")
def mocap_dir(shared_data):
    path = shared_data / "mocap"
    if not (path / "INDEX.tsv").is_file():
        pytest.skip("no motion capture in ../shared/data/mocap")
    return path


@pytest.fixture(scope="module")
def walks(mocap_dir):
    return mocap.load_walks(mocap_dir)


def _check_walk(w, min_travel=2.0):
    j = w.joints
    assert j.shape[1:] == (16, 3) and np.isfinite(j).all()
    travel = np.linalg.norm(j[-1, PELVIS, [0, 2]] - j[0, PELVIS, [0, 2]])
    assert travel > min_travel
    thigh = np.linalg.norm(j[:, R_HIP] - j[:, R_KNEE], axis=1)
    shank = np.linalg.norm(j[:, R_KNEE] - j[:, R_ANKLE], axis=1)
    assert 0.3 < thigh.mean() < 0.5 and thigh.std() < 1e-3
    assert 0.3 < shank.mean() < 0.5 and shank.std() < 1e-3
    assert 0.12 < np.linalg.norm(j[:, R_HIP] - j[:, L_HIP], axis=1).mean() < 0.3
    # y is up: head top over pelvis over ankles
    assert np.median(j[:, 9, 1]) > np.median(j[:, PELVIS, 1]) > np.median(j[:, R_ANKLE, 1])
    # the right hip is on the walker's right (a mirrored reader would flip it)
    fwd, right = ga.walking_frame(j, w.fps)
    assert (((j[:, R_HIP] - j[:, L_HIP]) * right).sum(-1) > 0).mean() > 0.95
    # a walk: 0.6 .. 1.3 strides per second
    assert 0.6 < ga.stride_frequency(j, w.fps) < 1.3


def test_all_three_readers_give_walking_seed_joints(mocap_dir):
    cmu = mocap.load_walk(mocap_dir / "cmu_bvh_chrystianosaraujo-motion-viewer/07/07_01.bvh", subject=7, trial=1)
    retarget = mocap.load_walk(mocap_dir / "cmu_bvh_Przestr-motion-capture/12/12_01.bvh", subject=12, trial=1)
    amc = mocap.load_walk(mocap_dir / "cmu_amc_SheffieldML-GPmat/35/35_01.amc", subject=35, trial=1)
    for w in (cmu, retarget, amc):
        _check_walk(w)
        assert w.fps == pytest.approx(120.0, rel=1e-3)
    assert cmu.identity_bones and amc.identity_bones and not retarget.identity_bones
    # the leading rest pose of the BVH conversions is gone: no jump in the first frames
    step = np.linalg.norm(np.diff(cmu.joints[:5], axis=0), axis=-1).max(axis=-1)
    assert step.max() < 0.05
    # resampling to 30 fps keeps the duration
    slow = mocap.load_walk(mocap_dir / "cmu_amc_SheffieldML-GPmat/35/35_01.amc", fps=30.0)
    assert len(slow.joints) == pytest.approx(len(amc.joints) / 4, abs=2)


def test_every_indexed_walk_loads_with_its_indexed_stride_period(walks):
    assert len(walks) >= 30
    import csv

    rows = {}
    with (mocap.DEFAULT_MOCAP_DIR / "INDEX.tsv").open() as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            rows[(int(r["subject_id"]), int(r["trial_id"]))] = float(r["stride_period_s"])
    close = 0
    for w in walks:
        knee = ga.gait_angles(w.joints, w.fps)["r_knee"]
        assert -10 < np.percentile(knee, 2) and 55 < np.percentile(knee, 98) < 120  # uneven terrain: steps up
        period = 1.0 / ga.stride_frequency(w.joints, w.fps)
        close += abs(period - rows[(w.subject, w.trial)]) < 0.15 * rows[(w.subject, w.trial)]
    assert close >= 0.9 * len(walks)


def test_synthetic_curves_correlate_with_real_cmu_curves(walks):
    """The average synthetic walker's knee and thigh curves vs every real subject's, over a
    normalised gait cycle, both measured on 3D joints by the same code (all the numbers:
    scripts/synth_realism.py)."""
    rng = np.random.default_rng(0)
    average = Identity(0, sample_body(rng, "male"), sample_style(rng, spread=0.0))
    walk = simulate(average, rng, fps=120.0, seconds=5.0, trial_variation=0.0, heading_deg=0.0)
    synth = ga.cycle_curves(walk.joints, walk.fps, walk.feet[:, :, 1])
    subjects: dict[int, list] = {}
    for w in walks:
        if w.description.strip() == "walk":
            subjects.setdefault(w.subject, []).append(ga.cycle_curves(w.joints, w.fps, w.feet))
    assert len(subjects) >= 6
    for s, cs in subjects.items():
        for name, least in (("r_knee", 0.9), ("r_thigh", 0.95), ("r_hip", 0.95), ("l_knee", 0.9)):
            real = np.mean([c[name] for c in cs], axis=0)
            assert np.corrcoef(synth[name], real)[0, 1] > least, (s, name)


def test_stored_gait_model_is_the_fit_to_the_real_walks(walks):
    fresh = mocap.fit_gait_model(walks)
    assert fresh["subjects"] == MODEL["subjects"]
    for name, entry in MODEL["curves"].items():
        for key in ("mean", "slope", "trial_sd"):
            np.testing.assert_allclose(fresh["curves"][name][key], entry[key], rtol=1e-3, atol=1e-4)


def test_mocap_mixes_into_the_training_sequences(mocap_dir):
    from gaitcli.synth.dataset import make_sequences, mocap_available

    assert mocap_available(mocap_dir)
    seqs = make_sequences(1, 1, seed=3, include_mocap=True, mocap_views=1, mocap_dir=mocap_dir)
    real = [s for s in seqs if s[4]["source"] == "mocap"]
    assert len(real) >= 20 and all(str(s[0]).startswith("cmu-") for s in real)
    assert {s[4]["identity_bones"] for s in real} == {True, False}
    assert not mocap_available(mocap_dir / "nowhere")
    assert len(make_sequences(1, 1, seed=3, include_mocap=True, mocap_dir=mocap_dir / "nowhere")) == 1


def test_bad_motion_files_are_input_errors(tmp_path):
    bad = tmp_path / "x.bvh"
    bad.write_text("not a bvh at all")
    with pytest.raises(InputError, match="not a BVH"):
        mocap.read_bvh(bad)
    truncated = tmp_path / "t.bvh"
    truncated.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition Zposition\n}\nMOTION\nFrames: 2\nFrame Time: 0.01\n1 2\n")
    with pytest.raises(InputError):
        mocap.read_bvh(truncated)
    with pytest.raises(InputError, match="not a motion file"):
        mocap.load_walk(tmp_path / "walk.txt")
