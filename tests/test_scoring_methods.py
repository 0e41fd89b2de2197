"""Scoring methods on plain arrays: peer agreement with scikit-criteria and the invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import skcriteria as skc
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridfirst.scoring.explain import swap_changes
from gridfirst.scoring.methods import Scorer, normalise, ranks_from_scores, score_matrix


def _peer(matrix, benefit, weights, method, normalisation):
    """Scores and ranks from scikit-criteria's own scalers and aggregators."""
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.extend import mktransformer
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.invert_objectives import MinMaxInverter
    from skcriteria.preprocessing.scalers import MinMaxScaler, SumScaler, VectorScaler

    @mktransformer
    def ComplementMinimize(matrix, objectives, **kwargs):  # noqa: N802 - skcriteria naming
        cost = objectives == -1
        out = np.array(matrix, dtype=float)
        out[:, cost] = 1.0 - out[:, cost]
        return {"matrix": out, "objectives": np.ones_like(objectives)}

    objectives = [max if b else min for b in benefit]
    dm = skc.mkdm(matrix, objectives, weights=weights)
    if method == "topsis":
        scaler = (
            VectorScaler(target="matrix")
            if normalisation == "vector"
            else MinMaxScaler(target="matrix")
        )
        steps = [scaler, TOPSIS()]
    elif normalisation == "vector":
        steps = [
            VectorScaler(target="matrix"),
            ComplementMinimize(),
            SumScaler(target="weights"),
            WeightedSumModel(),
        ]
    else:
        steps = [MinMaxInverter(), SumScaler(target="weights"), WeightedSumModel()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = mkpipe(*steps).evaluate(dm)
    scores = result.e_.similarity if method == "topsis" else result.e_.score
    return np.asarray(scores, dtype=float), np.asarray(result.values, dtype=int)


@pytest.mark.parametrize("method", ["topsis", "wsum"])
@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_scikit_criteria(method, normalisation, seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(3, 40), rng.integers(2, 12)
    matrix = rng.lognormal(mean=2.0, sigma=1.0, size=(m, n))
    benefit = rng.random(n) < 0.5
    weights = rng.random(n) + 0.05
    ours = score_matrix(matrix, benefit, weights, method, normalisation)
    peer_scores, peer_ranks = _peer(matrix, benefit, weights, method, normalisation)
    np.testing.assert_allclose(ours, peer_scores, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ranks_from_scores(ours), peer_ranks)


matrices = st.integers(2, 12).flatmap(
    lambda m: st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (m, n), elements=st.floats(0.0, 1e4, allow_nan=False)),
            arrays(np.bool_, n),
            arrays(np.float64, n, elements=st.floats(0.01, 1.0)),
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(
    data=matrices,
    normalisation=st.sampled_from(["vector", "minmax"]),
    row=st.integers(0, 100),
    col=st.integers(0, 100),
    bump=st.floats(1e-3, 1e4),
)
def test_weighted_sum_monotone_in_a_benefit_criterion(data, normalisation, row, col, bump):
    matrix, benefit, weights = data
    i, j = row % matrix.shape[0], col % matrix.shape[1]
    benefit = benefit.copy()
    benefit[j] = True
    before = score_matrix(matrix, benefit, weights, "wsum", normalisation)[i]
    better = matrix.copy()
    better[i, j] += bump
    after = score_matrix(better, benefit, weights, "wsum", normalisation)[i]
    assert after >= before - 1e-12


# Values and shifts on a grid of 1/8 (exact in binary floating point), so that adding the
# constant is exact: with arbitrary floats, x + c can round a column's range away (1e-283 + 1.0
# == 1.0), which is a property of the arithmetic, not of the normalisation under test.
_eighths = st.integers(0, 80_000).map(lambda k: k / 8.0)
grid_matrices = st.integers(2, 12).flatmap(
    lambda m: st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (m, n), elements=_eighths),
            arrays(np.bool_, n),
            arrays(np.float64, n, elements=st.floats(0.01, 1.0)),
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(
    data=grid_matrices,
    method=st.sampled_from(["topsis", "wsum"]),
    col=st.integers(0, 100),
    shift=st.integers(-8_000, 8_000).map(lambda k: k / 8.0),
)
def test_minmax_invariant_to_adding_a_constant(data, method, col, shift):
    matrix, benefit, weights = data
    j = col % matrix.shape[1]
    shifted = matrix.copy()
    shifted[:, j] += shift
    a = score_matrix(matrix, benefit, weights, method, "minmax")
    b = score_matrix(shifted, benefit, weights, method, "minmax")
    np.testing.assert_allclose(a, b, atol=1e-9)
    np.testing.assert_array_equal(ranks_from_scores(a), ranks_from_scores(b))


def test_vector_normalisation_is_not_shift_invariant():
    # the contrast that makes the min-max invariance test meaningful
    matrix = np.array([[1.0, 5.0], [2.0, 1.0], [3.0, 2.0]])
    benefit = np.array([True, True])
    w = np.array([0.5, 0.5])
    shifted = matrix + np.array([100.0, 0.0])
    a = score_matrix(matrix, benefit, w, "wsum", "vector")
    b = score_matrix(shifted, benefit, w, "wsum", "vector")
    assert not np.allclose(a, b)


@pytest.mark.parametrize("method", ["topsis", "wsum"])
@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
def test_contributions_add_up_and_batch_matches_single(method, normalisation):
    rng = np.random.default_rng(7)
    matrix = rng.random((15, 6)) * 100
    benefit = np.array([True, False, True, False, True, True])
    w = rng.random(6) + 0.1
    w /= w.sum()
    scorer = Scorer.build(matrix, benefit, method, normalisation)
    scores = scorer.scores(w)
    np.testing.assert_allclose(
        scorer.contributions(w).sum(axis=1), scores - scorer.baseline, atol=1e-12
    )
    assert np.all((scores >= 0) & (scores <= 1))
    many = rng.dirichlet(np.ones(6), size=5)
    batch = scorer.scores(many)
    for s in range(5):
        np.testing.assert_allclose(batch[s], scorer.scores(many[s]), atol=1e-12)


def test_normalise_orients_costs_and_zeroes_constant_columns():
    matrix = np.array([[1.0, 10.0, 3.0], [3.0, 20.0, 3.0]])
    out = normalise(matrix, np.array([True, False, True]), "minmax")
    np.testing.assert_allclose(out, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("method", ["topsis", "wsum"])
@pytest.mark.parametrize("normalisation", ["vector", "minmax"])
def test_swap_change_makes_the_neighbours_tie(method, normalisation):
    rng = np.random.default_rng(3)
    matrix = rng.random((8, 5)) * 10
    benefit = np.array([True, False, True, True, False])
    w = rng.random(5) + 0.2
    w /= w.sum()
    scorer = Scorer.build(matrix, benefit, method, normalisation)
    order = np.argsort(-scorer.scores(w))
    upper, lower = int(order[2]), int(order[3])
    table = swap_changes(scorer, w, upper, lower, [f"c{j}" for j in range(5)])
    assert not table.empty
    for row in table.itertuples():
        j = int(row.criterion[1:])
        trial = w.copy()
        trial[j] += row.change
        assert trial[j] >= -1e-12
        s = scorer.scores(trial / trial.sum())
        assert s[lower] == pytest.approx(s[upper], abs=1e-9)
        assert row.new_weight == pytest.approx(trial[j] / trial.sum())
    # a change 1% short of the smallest one does not yet swap (it is the threshold)
    best = table.iloc[0]
    j = int(best.criterion[1:])
    trial = w.copy()
    trial[j] += 0.99 * best.change
    s = scorer.scores(trial / trial.sum())
    assert s[lower] < s[upper]


def test_wsum_swap_is_exact_linear_threshold():
    # two markets, two criteria: B = [[1, 0], [0, 1]], w = (0.6, 0.4): the gap is 0.2 and
    # raising criterion 1 by 0.2 (to 0.6 of 1.2) ties them.
    matrix = np.array([[1.0, 0.0], [0.0, 1.0]])
    scorer = Scorer.build(matrix, np.array([True, True]), "wsum", "minmax")
    table = swap_changes(scorer, np.array([0.6, 0.4]), 0, 1, ["a", "b"]).set_index("criterion")
    assert table.loc["b", "change"] == pytest.approx(0.2, abs=1e-15)
    assert table.loc["a", "change"] == pytest.approx(-0.2, abs=1e-15)
    assert table.loc["b", "new_weight"] == pytest.approx(0.5)
