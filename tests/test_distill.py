"""Distillation: the mixed loss, its gradient, and training on a teacher's soft targets."""

import numpy as np
import pytest

from assignment2.core import gradcheck, network
from assignment2.core.batches import mirrored
from assignment2.core.network import SoftTargets
from assignment2.core.history import METRICS
from assignment2.core.train import TrainConfig, train
from conftest import reference_forward

K = 10


def teacher(rng, n, sharpness=2.0):
    """Random teacher probabilities (n, K), none of them zero."""
    return np.exp(network.log_softmax(sharpness * rng.standard_normal((n, K))))


def one_hot(y):
    return np.eye(K)[y]


def test_mixed_loss_is_the_formula_of_hinton_et_al(small_problem):
    """(1 - alpha) CE + alpha T^2 KL(teacher_T || student_T), written out from the probabilities."""
    params, X, y = small_problem
    Q = teacher(np.random.default_rng(3), len(y))
    alpha, T = 0.3, 2.5
    P, _ = reference_forward(params, X)
    scores = np.log(P)                               # the scores up to a constant per row
    P_T = np.exp(scores / T) / np.exp(scores / T).sum(axis=1, keepdims=True)
    Q_T = Q ** (1 / T) / (Q ** (1 / T)).sum(axis=1, keepdims=True)
    kl = (Q_T * np.log(Q_T / P_T)).sum(axis=1).mean()
    ce = -np.log(P[np.arange(len(y)), y]).mean()
    _, loss = network.cost(params, X, y, 0.0, SoftTargets(Q, alpha, T))
    assert loss == pytest.approx((1 - alpha) * ce + alpha * T ** 2 * kl, rel=1e-12)


@pytest.mark.parametrize("alpha, T", [(0.5, 1.0), (0.5, 3.0), (1.0, 2.0)])
@pytest.mark.parametrize("dropout", [False, True])
def test_mixed_loss_gradients_match_centred_differences(small_problem, alpha, T, dropout):
    params, X, y = small_problem
    rng = np.random.default_rng(4)
    soft = SoftTargets(teacher(rng, len(y)), alpha, T)
    keep = network.dropout_mask(rng, (5, 10), 0.3, np.dtype(np.float64)) if dropout else None
    report = gradcheck.errors(network.gradients(params, X, y, 0.1, keep, soft),
                               gradcheck.numerical_gradients(params, X, y, 0.1, keep=keep, soft=soft))
    for name, errors in report.items():
        assert errors["max_rel"] < 1e-7, (name, errors)
    plain = network.gradients(params, X, y, 0.1, keep)
    assert not np.allclose(plain.W2, network.gradients(params, X, y, 0.1, keep, soft).W2)


@pytest.mark.parametrize("alpha", [0.3, 1.0])
def test_one_hot_soft_targets_give_the_cross_entropy(small_problem, alpha):
    params, X, y = small_problem
    soft = SoftTargets(one_hot(y), alpha, 1.0)
    assert network.cost(params, X, y, 0.1, soft) == pytest.approx(network.cost(params, X, y, 0.1), rel=1e-12)
    for name, grad in network.gradients(params, X, y, 0.1, soft=soft).arrays().items():
        np.testing.assert_allclose(grad, network.gradients(params, X, y, 0.1).arrays()[name], rtol=1e-10,
                                   atol=1e-15, err_msg=name)


def test_soft_targets_are_checked_by_name(small_problem):
    params, X, y = small_problem
    with pytest.raises(ValueError, match="alpha must be a number in"):
        SoftTargets(one_hot(y), 1.5)
    with pytest.raises(ValueError, match="temperature must be a finite number > 0"):
        SoftTargets(one_hot(y), 0.5, 0.0)
    with pytest.raises(ValueError, match=r"soft must be teacher probabilities of shape \(5, 10\)"):
        network.gradients(params, X, y, 0.0, soft=SoftTargets(one_hot(y)[:4], 0.5))


QUICK = dict(n_s=10, n_cycles=2, batch_size=50, records_per_cycle=2, hidden=20, lam=1e-3, flip=True)


def fresh(d):
    return network.init_params(d, 20, rng=np.random.default_rng(0))


def test_alpha_zero_is_exactly_the_plain_run(ex3):
    train_data, val_data = ex3[:2]
    Q = teacher(np.random.default_rng(1), len(train_data[1]))
    config = TrainConfig(**QUICK)
    plain, plain_history = train(fresh(train_data[0].shape[1]), train_data, val_data, config)
    same, same_history = train(fresh(train_data[0].shape[1]), train_data, val_data, config,
                               soft_targets=np.stack([Q, Q[::-1]]))
    for name, a in plain.arrays().items():
        np.testing.assert_array_equal(getattr(same, name), a, err_msg=name)
    for metric in METRICS:
        assert getattr(same_history, metric) == getattr(plain_history, metric), metric
    taught, _ = train(fresh(train_data[0].shape[1]), train_data, val_data,
                      TrainConfig(**QUICK, distill=0.5, temperature=2.0), soft_targets=Q)
    assert not np.array_equal(taught.W1, plain.W1)


def test_one_hot_soft_targets_train_as_the_labels(ex3):
    train_data, val_data = ex3[:2]
    d, y = train_data[0].shape[1], train_data[1]
    plain, _ = train(fresh(d), train_data, val_data, TrainConfig(**QUICK))
    taught, _ = train(fresh(d), train_data, val_data, TrainConfig(**QUICK, distill=1.0), soft_targets=one_hot(y))
    for name, a in plain.arrays().items():
        np.testing.assert_allclose(getattr(taught, name), a, rtol=1e-9, atol=1e-12, err_msg=name)


def test_a_mirrored_image_takes_the_teachers_view_of_the_mirror_image(ex3, monkeypatch):
    from assignment2.core import train as train_module
    (X, y), val_data = ex3[:2]
    views = teacher(np.random.default_rng(2), len(y)), teacher(np.random.default_rng(3), len(y))
    flipped_X = mirrored(X)
    seen = {"plain": 0, "mirrored": 0}

    step = train_module.sgd_step

    def spy(params, batch_X, batch_y, eta, lam, keep=None, soft=None):
        for row, P in zip(batch_X, soft.P):
            plain, flipped = np.flatnonzero((X == row).all(1)), np.flatnonzero((flipped_X == row).all(1))
            view, i = (0, plain[0]) if len(plain) else (1, flipped[0])
            np.testing.assert_array_equal(P, views[view][i])
            seen["mirrored" if view else "plain"] += 1
        return step(params, batch_X, batch_y, eta, lam, keep, soft)

    monkeypatch.setattr(train_module, "sgd_step", spy)
    train(fresh(X.shape[1]), (X, y), val_data, TrainConfig(**{**QUICK, "n_cycles": 1}, distill=0.5),
          soft_targets=np.stack(views))
    assert seen["plain"] > 100 and seen["mirrored"] > 100


@pytest.mark.parametrize("kwargs, message", [
    (dict(distill=1.5), "distill must be a number in"),
    (dict(distill=True), "distill must be a number in"),
    (dict(temperature=0), "temperature must be a finite number > 0"),
])
def test_bad_distillation_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_bad_soft_targets_name_the_parameter(ex3):
    train_data, val_data = ex3[:2]
    n, d = train_data[0].shape
    config = TrainConfig(**QUICK, distill=0.5)
    with pytest.raises(ValueError, match="soft_targets must be a teacher's probabilities when distill > 0"):
        train(fresh(d), train_data, val_data, config)
    with pytest.raises(ValueError, match=rf"soft_targets must be teacher probabilities of shape \({n}, 10\)"):
        train(fresh(d), train_data, val_data, config, soft_targets=np.full((n - 1, K), 0.1))
    with pytest.raises(ValueError, match="soft_targets must be probabilities"):
        train(fresh(d), train_data, val_data, config, soft_targets=np.full((n, K), 0.2))
