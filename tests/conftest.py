import numpy as np
import pytest

from assignment2.study.splits import load_split
from assignment2.core import data, network


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """A small CIFAR-10-format data set (200 images per batch) on disk."""
    return data.write_synthetic(tmp_path_factory.mktemp("cifar") / "cifar-10-batches-py", n_per_batch=200, seed=1)


def reference_forward(params, X):
    """Probabilities P (n, K) and hidden activations H (n, m), written out in float64: the tests' reference."""
    H = np.maximum(X @ params.W1.T + params.b1, 0)
    S = H @ params.W2.T + params.b2
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True), H


@pytest.fixture
def small_problem():
    """float64 params (d=20, m=10, K=10) and a batch of 5 samples."""
    rng = np.random.default_rng(0)
    params = network.init_params(20, 10, rng=rng)
    return params, rng.standard_normal((5, 20)), rng.integers(0, 10, 5)


@pytest.fixture(scope="session")
def ex3(synthetic_root):
    """The synthetic data split as exercise 3 splits it: (train, validation, test) (X, y) pairs."""
    return load_split("ex3", synthetic_root)
