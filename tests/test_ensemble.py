import numpy as np
import pytest

from assignment2.core import ensemble, network


def test_average_is_the_mean_of_the_members_probabilities():
    P1 = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    P2 = np.array([[0.3, 0.7], [0.4, 0.6], [0.1, 0.9]])
    P = ensemble.average([P1, P2])
    np.testing.assert_allclose(P, [[0.6, 0.4], [0.3, 0.7], [0.35, 0.65]])
    # the averaged vote can differ from a majority of argmaxes: the first row goes to class 0
    assert ensemble.accuracy(P, np.array([0, 1, 1])) == 1.0
    assert ensemble.accuracy(P1, np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_predict_averages_networks_and_one_network_is_itself():
    rng = np.random.default_rng(0)
    members = [network.init_params(8, 5, k=3, rng=rng) for _ in range(3)]
    X, y = rng.standard_normal((20, 8)), rng.integers(0, 3, 20)
    P = ensemble.predict(members, X)
    np.testing.assert_allclose(P, np.mean([network.forward(p, X)[0] for p in members], axis=0))
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert ensemble.ensemble_accuracy(members[:1], X, y) == network.accuracy(members[0], X, y)


def test_bad_members_are_named():
    with pytest.raises(ValueError, match="members must be at least one network"):
        ensemble.predict([], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="member_probabilities must be arrays of one shape"):
        ensemble.average([np.zeros((2, 3)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match="y must be 2 labels"):
        ensemble.accuracy(np.zeros((2, 3)), np.zeros(3, int))
