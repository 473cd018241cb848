import numpy as np
import pytest

from assignment2.core import gradcheck, network
from conftest import reference_forward


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_gradients_match_centred_differences(small_problem, lam):
    params, X, y = small_problem
    report = gradcheck.errors(network.gradients(params, X, y, lam),
                               gradcheck.numerical_gradients(params, X, y, lam))
    assert set(report) == {"W1", "b1", "W2", "b2"}
    for name, errors in report.items():
        assert errors["max_rel"] < 1e-7, (name, errors)


def test_gradcheck_detects_a_wrong_gradient(small_problem):
    params, X, y = small_problem
    grads = network.gradients(params, X, y, 0.1)
    grads.W2[0, 0] *= 1.01
    report = gradcheck.errors(grads, gradcheck.numerical_gradients(params, X, y, 0.1))
    assert report["W2"]["max_rel"] > 1e-3 and report["W1"]["max_rel"] < 1e-7


def test_init_shapes_and_scale():
    params = network.init_params(3072, 50, rng=np.random.default_rng(0), dtype=np.float32)
    assert params.W1.shape == (50, 3072) and params.b1.shape == (50,)
    assert params.W2.shape == (10, 50) and params.b2.shape == (10,)
    assert all(a.dtype == np.float32 for a in params.arrays().values())
    assert params.W1.std() == pytest.approx(1 / np.sqrt(3072), rel=0.02)
    assert params.W2.std() == pytest.approx(1 / np.sqrt(50), rel=0.15)
    assert not params.b1.any() and not params.b2.any()


def test_forward_probabilities_and_stability(small_problem):
    params, X, y = small_problem
    P, H = reference_forward(params, X)
    assert P.shape == (5, 10) and H.shape == (5, 10)
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert (H >= 0).all()
    P_huge, _ = reference_forward(params, X * 1e6)
    assert np.isfinite(P_huge).all()
    cost, loss = network.cost(params, X * 1e6, y, 0.0)
    assert np.isfinite(cost) and cost == loss


def test_cost_is_loss_plus_penalty(small_problem):
    params, X, y = small_problem
    P, _ = reference_forward(params, X)
    loss = -np.log(P[np.arange(5), y]).mean()
    penalty = 0.3 * ((params.W1 ** 2).sum() + (params.W2 ** 2).sum())
    cost, got_loss = network.cost(params, X, y, 0.3)
    assert got_loss == pytest.approx(loss) and cost == pytest.approx(loss + penalty)
    assert network.accuracy(params, X, y) == pytest.approx((P.argmax(1) == y).mean())


def test_cost_over_many_blocks_matches_one_pass():
    """evaluate works in blocks of EVAL_ROWS rows; the result must not depend on that."""
    rng = np.random.default_rng(1)
    params = network.init_params(20, 10, rng=rng)
    n = 2 * network.EVAL_ROWS + 7
    X, y = rng.standard_normal((n, 20)), rng.integers(0, 10, n)
    P, _ = reference_forward(params, X)
    cost, loss = network.cost(params, X, y, 0.1)
    assert loss == pytest.approx(-np.log(P[np.arange(n), y]).mean(), rel=1e-12)
    assert network.accuracy(params, X, y) == (P.argmax(1) == y).mean()


@pytest.mark.parametrize("X, y, message", [
    (np.zeros((5, 21)), np.zeros(5, int), r"X must be .*\(n, 20\)"),
    (np.zeros(20), np.zeros(1, int), r"X must be .*\(n, 20\)"),
    (np.zeros((5, 20)), np.zeros(4, int), r"y must be a 1-D array of 5 labels"),
    (np.zeros((5, 20)), np.array([0, 1, 2, 3, 10]), r"y must be integer labels in 0\.\.9"),
    (np.zeros((5, 20)), np.array([0, 1, 2, 3, -1]), r"y must be integer labels in 0\.\.9"),
    (np.zeros((5, 20)), np.zeros(5), r"y must be integer labels"),
    (np.zeros((0, 20)), np.zeros(0, int), r"y must be at least one label"),
])
def test_bad_input_names_the_parameter(small_problem, X, y, message):
    params = small_problem[0]
    with pytest.raises(ValueError, match=message):
        network.cost(params, X, y, 0.0)
    with pytest.raises(ValueError, match=message):
        network.gradients(params, X, y, 0.0)


def test_negative_lambda_rejected(small_problem):
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        network.cost(*small_problem, -1.0)


def test_dead_units_counts_units_never_active(small_problem):
    params, X, _ = small_problem
    assert network.dead_units(params, X) == int((reference_forward(params, X)[1].max(axis=0) == 0).sum())
    params.b1[:4] = -1e6
    assert network.dead_units(params, X) >= 4
    params.b1[:] = 1e6
    assert network.dead_units(params, X) == 0


def test_w1_and_its_gradient_are_column_major(small_problem):
    """The layout the step's two products are fastest with; values are as for any layout."""
    params, X, y = small_problem
    assert params.W1.flags["F_CONTIGUOUS"] and params.astype(np.float32).W1.flags["F_CONTIGUOUS"]
    grads = network.gradients(params, X, y, 0.1)
    assert grads.W1.flags["F_CONTIGUOUS"]
    row_major = network.Params(**{**params.arrays(), "W1": np.ascontiguousarray(params.W1)})
    np.testing.assert_allclose(network.gradients(row_major, X, y, 0.1).W1, grads.W1, rtol=1e-12)


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_dropout_gradients_match_centred_differences_for_a_fixed_mask(small_problem, lam):
    params, X, y = small_problem
    keep = network.dropout_mask(np.random.default_rng(2), (5, 10), 0.4, np.dtype(np.float64))
    np.testing.assert_allclose(np.unique(keep), [0.0, 1 / 0.6], rtol=1e-4)
    report = gradcheck.errors(network.gradients(params, X, y, lam, keep),
                               gradcheck.numerical_gradients(params, X, y, lam, keep=keep))
    for name, errors in report.items():
        assert errors["max_rel"] < 1e-7, (name, errors)
    dropped = keep[0] == 0                       # a unit dropped for every sample gets no gradient
    keep[:, dropped] = 0
    assert not network.gradients(params, X, y, 0.0, keep).W1[dropped].any()


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5])
def test_dropout_masks_drop_at_their_rate_and_keep_the_mean(rate):
    keep = network.dropout_mask(np.random.default_rng(0), (1000, 1000), rate, np.dtype(np.float32))
    assert keep.dtype == np.float32
    assert (keep == 0).mean() == pytest.approx(rate, abs=2e-3)
    assert keep.mean(dtype=np.float64) == pytest.approx(1.0, abs=3e-3)           # inverted dropout: unbiased
    dropped = round(rate * network.DROPOUT_LEVELS)
    assert keep.max() == np.float32(network.DROPOUT_LEVELS / (network.DROPOUT_LEVELS - dropped))


def test_dropout_mask_changes_the_gradient(small_problem):
    params, X, y = small_problem
    keep = network.dropout_mask(np.random.default_rng(2), (5, 10), 0.5, np.dtype(np.float64))
    assert not np.allclose(network.gradients(params, X, y, 0.0, keep).W2, network.gradients(params, X, y, 0.0).W2)
    with pytest.raises(ValueError, match=r"keep must be an array of shape \(5, 10\)"):
        network.gradients(params, X, y, 0.0, keep[:4])


def test_gradients_of_an_augmented_cifar_batch_match_centred_differences():
    """Flips and shifts only change the input rows: the gradient is the one of the augmented batch."""
    from assignment2.core.batches import random_augment
    rng = np.random.default_rng(5)
    params = network.init_params(3072, 4, rng=rng)
    X = random_augment(rng.standard_normal((3, 3072)), rng, flip=True, translate=3)
    y = rng.integers(0, 10, 3)
    keep = network.dropout_mask(rng, (3, 4), 0.3, np.dtype(np.float64))
    alive = (X @ params.W1.T + params.b1 > 0) & (keep > 0)
    assert alive.any(axis=0).sum() >= 2         # units active and kept: the W1 data term is checked, not only b2
    assert np.abs(network.gradients(params, X, y, 0.0, keep).W1).max() > 0
    report = gradcheck.errors(network.gradients(params, X, y, 0.01, keep),
                               gradcheck.numerical_gradients(params, X, y, 0.01, keep=keep))
    for name, errors in report.items():
        assert errors["max_rel"] < 1e-6, (name, errors)


def test_probabilities_in_blocks_are_the_reference():
    rng = np.random.default_rng(1)
    params = network.init_params(20, 10, rng=rng)
    X = rng.standard_normal((2 * network.EVAL_ROWS + 7, 20))
    np.testing.assert_allclose(network.probabilities(params, X), reference_forward(params, X)[0], rtol=1e-12)
