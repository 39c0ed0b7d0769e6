"""Synthetic walkers: 3D bodies with personal gait, covariates, side-view cameras and
pose-estimator-like 2D joints, for training the default gait model (and rendering sample clips).

The training entry points are in :mod:`gaitcli.synth.dataset`; the real CMU walks that the
generator was fitted to and is checked against are read by :mod:`gaitcli.synth.mocap`.
"""
