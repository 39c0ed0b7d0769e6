"""scripts/estimator_calibration.py: the synthetic estimator-noise model that the default gait
model is trained with stays fitted to the real default pose engine (BlazePose), measured on
rendered walks of known joints."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"


@pytest.fixture(scope="module")
def calibration():
    sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location("estimator_calibration", SCRIPTS / "estimator_calibration.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPTS))
    return module


@pytest.fixture(scope="module")
def records(calibration, tmp_path_factory):
    from gaitcli.pose import load_estimator

    engine = load_estimator("blazepose", flip_average=False)  # what the noise model is fitted to
    workdir = tmp_path_factory.mktemp("calibration")
    return [calibration.measure_clip(clip, engine, workdir) for clip in calibration.calibration_clips(3)]


def test_calibration_clips_are_other_people(calibration):
    clips = calibration.calibration_clips(5)
    assert all(clip.person >= 100 for clip in clips)  # the sample clips are persons 1-4
    assert calibration.calibration_clips(5) == clips  # seeded


def test_engine_follows_the_walker_and_errs_by_centimetres(calibration, records):
    for r in records:
        est, truth = r["estimate"], r["truth"]
        seen = np.isfinite(est[:, 0, 0])
        assert seen.mean() > 0.9
        assert truth.shape == est[..., :2].shape
    stats = calibration.pooled(records, [(r["estimate"][..., :2], r["estimate"][..., 2]) for r in records])
    spread = calibration.robust_spread(stats["err"], tuple(range(16)))
    assert (spread > 0.002).all() and (spread < 0.05).all()  # a few % of the person's height


def test_noise_model_matches_the_engine(calibration, records):
    engine = calibration.pooled(records, [(r["estimate"][..., :2], r["estimate"][..., 2]) for r in records])
    draws = records * 4  # four noise-model walks per clip: the engine's three clips are the noisy side
    model = calibration.pooled(draws, calibration.noise_model_estimates(draws))
    for name, joints in calibration.FIT_GROUPS.items():
        ratio = calibration.robust_spread(model["err"], joints) / calibration.robust_spread(engine["err"], joints)
        assert ((ratio > 0.5) & (ratio < 2.0)).all(), (name, ratio)
    # the engine mixes up the arms and single leg joints; so must the model, about as often
    for key in ("mixed", "arm_swap"):
        assert 0.4 < model[key].mean() / engine[key].mean() < 2.5, key
    # the far arm is much less sure than the rest, in both
    for stats in (engine, model):
        assert stats["prob"][:, [10, 11, 14, 15]].mean() < stats["prob"][:, [6, 7, 8, 9]].mean() - 0.2
