"""Evaluation metrics against hand-computed values on tiny cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaitcli.evaluation.metrics import (
    average_precision,
    cmc_curve,
    cosine_similarity,
    equal_error_rate,
    identity_ranks,
    mean_average_precision,
    roc_curve,
)


def test_cosine_similarity_normalises_and_is_exact():
    probes = np.array([[1.0, 0.0], [3.0, 3.0]])
    gallery = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, -5.0]])
    s = cosine_similarity(probes, gallery)
    r = 1 / math.sqrt(2)
    np.testing.assert_allclose(s, [[1.0, r, 0.0], [r, 1.0, -r]], atol=1e-12)


def test_rank1_of_a_three_subject_toy():
    # rows: probes of A, B, C; columns: gallery walks of A, B, C
    scores = np.array(
        [
            [0.9, 0.1, 0.0],  # A: its own identity first -> rank 1
            [0.6, 0.5, 0.1],  # B: A scores higher -> rank 2
            [0.5, 0.3, 0.1],  # C: both others higher -> rank 3
        ]
    )
    ranks = identity_ranks(scores, ["A", "B", "C"], ["A", "B", "C"])
    np.testing.assert_array_equal(ranks, [1, 2, 3])
    np.testing.assert_allclose(cmc_curve(ranks, 3), [1 / 3, 2 / 3, 1.0])


def test_identity_scores_its_best_walk_and_ties_count_against():
    # B has two gallery walks: its best (0.8) beats A's 0.7
    scores = np.array([[0.7, 0.2, 0.8], [0.4, 0.4, 0.1]])
    ranks = identity_ranks(scores, ["B", "A"], ["A", "B", "B"])
    # probe 2 (A): A = 0.4, B = max(0.4, 0.1) = 0.4 -> a tie -> rank 2
    np.testing.assert_array_equal(ranks, [1, 2])


def test_identity_missing_from_gallery_is_never_found():
    ranks = identity_ranks(np.array([[0.9, 0.1]]), ["Z"], ["A", "B"])
    assert ranks[0] == np.inf
    np.testing.assert_array_equal(cmc_curve(ranks, 2), [0.0, 0.0])


def test_average_precision_of_known_rankings():
    # ranking R, N, R -> (1/1 + 2/3) / 2
    assert average_precision([0.9, 0.8, 0.7], [True, False, True]) == pytest.approx(5 / 6)
    # ranking N, R -> 1/2
    assert average_precision([0.9, 0.2], [False, True]) == pytest.approx(0.5)
    # a tie puts the impostor first
    assert average_precision([0.5, 0.5], [True, False]) == pytest.approx(0.5)
    assert math.isnan(average_precision([0.5], [False]))


def test_mean_average_precision_over_probes():
    scores = np.array([[0.9, 0.8, 0.7], [0.9, 0.2, 0.1]])
    gallery = ["A", "B", "A"]
    # probe A: R N R -> 5/6; probe B: N R N -> 1/2
    assert mean_average_precision(scores, ["A", "B"], gallery) == pytest.approx((5 / 6 + 1 / 2) / 2)
    # a probe whose identity is not in the gallery does not count
    assert mean_average_precision(scores, ["A", "Z"], gallery) == pytest.approx(5 / 6)


def test_eer_of_separable_scores_is_zero():
    assert equal_error_rate([0.9, 0.8, 0.75], [0.7, 0.1, -0.3]) == 0.0


def test_eer_at_a_threshold_and_interpolated():
    # threshold 0.6: FAR = 1/2 (0.6 accepted), FRR = 1/2 (0.4 rejected)
    assert equal_error_rate([0.9, 0.4], [0.6, 0.1]) == pytest.approx(0.5)
    # FAR - FRR goes from +1/3 (t = 0.7) to -1/6 (t = 0.8): crossing at FAR = FRR = 1/3
    roc = roc_curve([0.9, 0.7], [0.8, 0.1, 0.0])
    assert roc.eer == pytest.approx(1 / 3)
    np.testing.assert_allclose(roc.far, [1, 2 / 3, 1 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(roc.tar, [1, 1, 1, 0.5, 0.5, 0])
    assert (roc.genuine, roc.impostor) == (2, 3)


def test_eer_of_inverted_scores_is_one():
    assert equal_error_rate([0.1, 0.2], [0.8, 0.9]) == pytest.approx(1.0)


def test_roc_needs_both_kinds_of_pairs():
    with pytest.raises(ValueError):
        roc_curve([0.5], [])


def test_thinned_roc_keeps_the_ends():
    rng = np.random.default_rng(0)
    roc = roc_curve(rng.normal(1, 1, 2000), rng.normal(0, 1, 2000))
    thin = roc.thinned(100)
    assert len(thin.far) <= 102
    assert (thin.far[0], thin.tar[0], thin.far[-1], thin.tar[-1]) == (1.0, 1.0, 0.0, 0.0)
    assert np.all(np.diff(thin.far) <= 0)
