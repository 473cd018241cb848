"""The fold: networks averaged by their scores are one two-layer network (checked against the average computed
directly, in float64), whitened and mirrored members included; a network folded with its mirror image is
mirror-symmetric."""

import numpy as np
import pytest

from assignment2.core import ensemble, network
from assignment2.core.batches import mirrored
from assignment2.core.data import DIM
from assignment2.core.whiten import folded, whitened, zca

K = 10


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.standard_normal((40, DIM)), rng.integers(0, K, 40), rng


def members(rng, widths=(3, 5, 4)) -> list:
    """Networks of CIFAR rows with random biases (a fold must carry b1 and b2 too)."""
    nets = [network.init_params(DIM, m, K, rng=rng) for m in widths]
    for p in nets:
        p.b1[:], p.b2[:] = rng.standard_normal(len(p.b1)), rng.standard_normal(K)
    return nets


def mean_scores(networks, X, mirror=False) -> np.ndarray:
    """The independent reference: each network run on each view, its scores averaged."""
    views = [X, mirrored(X)] if mirror else [X]
    return np.mean([network.scores(p, view) for p in networks for view in views], axis=0)


def test_the_folded_network_gives_the_mean_of_its_members_scores(images):
    X, _, rng = images
    nets = members(rng)
    one = ensemble.fold(nets)
    assert one.W1.shape == (12, DIM) and one.W2.shape == (K, 12) and one.W1.flags.f_contiguous
    np.testing.assert_allclose(network.scores(one, X), mean_scores(nets, X), rtol=1e-12, atol=1e-12)


def test_folded_with_their_mirror_images_and_whitened(images):
    X, _, rng = images
    nets = members(rng, (4, 6))
    one = ensemble.fold(nets, mirror=True)
    assert one.W1.shape == (20, DIM)
    np.testing.assert_allclose(network.scores(one, X), mean_scores(nets, X, mirror=True), rtol=1e-12, atol=1e-12)
    Z = zca(rng.standard_normal((200, DIM)), 0.1)                  # a network of whitened images is W1 Z
    plain = members(rng, (5,))[0]
    reference = network.scores(plain, whitened(X, Z)) / 2 + network.scores(plain, whitened(mirrored(X), Z)) / 2
    np.testing.assert_allclose(network.scores(ensemble.fold([folded(plain, Z)], mirror=True), X), reference,
                               rtol=1e-10, atol=1e-10)


def test_a_network_folded_with_its_mirror_image_is_mirror_symmetric(images):
    X, _, rng = images
    one = ensemble.fold(members(rng, (7,)), mirror=True)
    np.testing.assert_allclose(network.scores(one, mirrored(X)), network.scores(one, X), rtol=1e-12, atol=1e-12)
    p = members(rng, (3,))[0]
    np.testing.assert_allclose(network.scores(ensemble.mirror_network(p), X), network.scores(p, mirrored(X)),
                               rtol=1e-12, atol=1e-12)
    assert not np.allclose(network.scores(p, mirrored(X)), network.scores(p, X))     # a plain one is not


def test_the_folded_accuracy_is_the_ensembles_and_one_network_folds_into_itself(images):
    X, y, rng = images
    nets = members(rng)
    assert network.accuracy(ensemble.fold(nets), X, y) == ensemble.accuracy(mean_scores(nets, X), y)
    alone = ensemble.fold(nets[:1])
    for name, array in alone.arrays().items():
        np.testing.assert_array_equal(array, nets[0].arrays()[name], err_msg=name)
    assert network.size(ensemble.fold(nets)) == (DIM + 1) * 12 + (12 + 1) * K


def test_bad_members_are_named():
    with pytest.raises(ValueError, match="networks must be at least one network"):
        ensemble.fold([])
    rng = np.random.default_rng(1)
    with pytest.raises(ValueError, match="networks must be networks of one input size"):
        ensemble.fold([network.init_params(DIM, 2, K, rng=rng), network.init_params(8, 2, K, rng=rng)])
    with pytest.raises(ValueError, match="params must be a network of CIFAR images"):
        ensemble.mirror_network(network.init_params(8, 2, K, rng=rng))
    with pytest.raises(ValueError, match="y must be 2 labels"):
        ensemble.accuracy(np.zeros((2, 3)), np.zeros(3, int))
