import json
from dataclasses import asdict

import numpy as np
import pytest

from assignment2.core import network
from assignment2.core.history import History
from assignment2.core.train import TrainConfig, train


def fresh_params(dtype=np.float64, m=50):
    return network.init_params(3072, m, rng=np.random.default_rng(0), dtype=dtype)


QUICK = dict(n_s=20, batch_size=20, records_per_cycle=4)


def test_overfits_100_images(ex3):
    X, y = ex3[0][0][:100], ex3[0][1][:100]
    config = TrainConfig(lam=0.0, eta_min=1e-3, eta_max=5e-2, n_s=100, n_cycles=2, batch_size=10, hidden=50)
    params, history = train(fresh_params(m=50), (X, y), ex3[1], config)
    assert history.train_acc[-1] == 1.0
    assert network.accuracy(params, X, y) == 1.0
    assert history.train_loss[-1] < 0.05
    assert history.val_acc[-1] < 1.0


def test_same_seed_same_history_number_for_number(ex3):
    config = TrainConfig(**QUICK, seed=3)
    runs = [train(fresh_params(), *ex3[:2], config) for _ in range(2)]
    first, second = (asdict(h) for _, h in runs)
    first.pop("time"), second.pop("time")
    assert first == second
    np.testing.assert_array_equal(runs[0][0].W1, runs[1][0].W1)
    other = train(fresh_params(), *ex3[:2], TrainConfig(**QUICK, seed=4))[1]
    assert other.train_cost != runs[0][1].train_cost


def test_records_and_step_count(ex3):
    config = TrainConfig(n_s=15, n_cycles=3, batch_size=50, records_per_cycle=3)
    _, history = train(fresh_params(), *ex3[:2], config)
    assert history.step == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    assert history.step[-1] == config.total_steps == 90
    assert history.eta[2] == pytest.approx(1e-5 + (1e-1 - 1e-5) / 15)  # last update of cycle 1: t = 29
    assert np.all(np.diff(history.time) >= 0)
    assert history.config == config
    last_only = train(fresh_params(), *ex3[:2], TrainConfig(n_s=15, n_cycles=3, batch_size=50, records_per_cycle=3,
                                                            record_cycles=1))[1]
    assert last_only.step == [70, 80, 90] and last_only.val_cost == history.val_cost[-3:]


def test_update_is_gradient_descent_on_the_checked_gradients(ex3):
    """Each update is params - eta * network.gradients (the gradient-checked function)."""
    X, y = ex3[0]
    config = TrainConfig(n_s=1, batch_size=len(y), records_per_cycle=1, lam=0.3, eta_min=0.05, eta_max=0.05)
    params = fresh_params()
    trained, _ = train(params, (X, y), ex3[1], config)   # 2 n_s = 2 full-batch steps
    for _ in range(config.total_steps):
        grads = network.gradients(params, X, y, 0.3)
        params = network.Params(**{k: p - 0.05 * grads.arrays()[k] for k, p in params.arrays().items()})
    for k, p in params.arrays().items():
        np.testing.assert_allclose(trained.arrays()[k], p, rtol=1e-10, atol=1e-12)


def test_input_params_are_not_modified(ex3):
    params = fresh_params()
    before = params.W1.copy()
    train(params, *ex3[:2], TrainConfig(**QUICK))
    np.testing.assert_array_equal(params.W1, before)


def test_full_cost_is_the_cost_on_the_whole_training_set(ex3):
    params, history = train(fresh_params(), *ex3[:2], TrainConfig(**QUICK, lam=0.01))
    cost, loss = network.cost(params, *ex3[0], 0.01)
    assert history.train_cost[-1] == pytest.approx(cost) and history.train_loss[-1] == pytest.approx(loss)
    assert history.train_acc[-1] == pytest.approx(network.accuracy(params, *ex3[0]))
    assert history.val_cost[-1] == pytest.approx(network.cost(params, *ex3[1], 0.01)[0])


def ema(values, decay=0.99):
    average = values[0]
    for value in values[1:]:
        average = decay * average + (1 - decay) * value
    return average


@pytest.mark.parametrize("method, summary", [("running_mean", np.mean), ("ema", ema)])
def test_batch_cost_methods(ex3, monkeypatch, method, summary):
    from assignment2.core import train as train_module
    costs = []
    config = TrainConfig(n_s=5, n_cycles=2, batch_size=50, records_per_cycle=1, cost_method=method, lam=0.05)

    step = train_module.sgd_step

    def spy(params, X, y, eta, lam, keep=None, soft=None):
        costs.append(network.cost(params, X, y, config.lam)[0])    # the mini-batch cost before the update
        return step(params, X, y, eta, lam, keep, soft)

    monkeypatch.setattr(train_module, "sgd_step", spy)
    _, history = train(fresh_params(), *ex3[:2], config)
    assert history.train_cost == [pytest.approx(summary(costs[:10])), pytest.approx(summary(costs))]


def test_float32_end_to_end(ex3):
    params, history = train(fresh_params(np.float32), *ex3[:2], TrainConfig(**QUICK, dtype="float32"))
    assert all(a.dtype == np.float32 for a in params.arrays().values())
    ref = train(fresh_params(), *ex3[:2], TrainConfig(**QUICK))[1]
    assert history.val_acc[-1] == pytest.approx(ref.val_acc[-1], abs=0.02)


def test_history_round_trips_through_json(ex3, tmp_path):
    _, history = train(fresh_params(), *ex3[:2], TrainConfig(**QUICK))
    history.save(tmp_path / "h.json")
    assert History.load(tmp_path / "h.json") == history
    json.loads((tmp_path / "h.json").read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size must be an integer >= 1"),
    (dict(eta_min=0.2, eta_max=0.1), r"eta_min must be <= eta_max \(0.1\)"),
    (dict(eta_min=-1e-5), "eta_min must be a finite number >= 0"),
    (dict(lam=-0.1), "lam must be a finite number >= 0"),
    (dict(n_s=0), "n_s must be an integer >= 1"),
    (dict(n_s=2.5), "n_s must be an integer >= 1"),
    (dict(cost_method="median"), "cost_method must be one of 'full', 'running_mean', 'ema'"),
    (dict(dtype="float16"), "dtype must be one of 'float64', 'float32'"),
    (dict(records_per_cycle=0), "records_per_cycle must be an integer >= 1"),
    (dict(record_cycles=2, n_cycles=1), r"record_cycles must be an integer from 0 to n_cycles \(1\)"),
    (dict(dropout=1.0), r"dropout must be a number in \[0, 1\)"),
    (dict(dropout=-0.1), r"dropout must be a number in \[0, 1\)"),
    (dict(flip=1), "flip must be True or False"),
    (dict(translate=-1), "translate must be an integer number of pixels from 0 to 15"),
    (dict(translate=1.5), "translate must be an integer number of pixels from 0 to 15"),
    (dict(translate=16), "translate must be an integer number of pixels from 0 to 15, got 16"),
    (dict(schedule="cosine"), "schedule must be one of 'cyclical', 'range_test'"),
])
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_bad_data(ex3):
    (X, y), val = ex3[0], ex3[1]
    with pytest.raises(ValueError, match=r"batch_size must be <= the number of training samples \(200\)"):
        train(fresh_params(), (X, y), val, TrainConfig(batch_size=201))
    with pytest.raises(ValueError, match=r"train_data X must be a numeric array of shape \(n, 3072\)"):
        train(fresh_params(), (X[:, :100], y), val, TrainConfig())
    with pytest.raises(ValueError, match=r"train_data y must be integer labels in 0\.\.9"):
        train(fresh_params(), (X, y + 1), val, TrainConfig())
    with pytest.raises(ValueError, match="train_data y must be a 1-D array of 200 labels"):
        train(fresh_params(), (X, y[:-1]), val, TrainConfig())
    with pytest.raises(ValueError, match="val_data y must be at least one label"):
        train(fresh_params(), (X, y), (val[0][:0], val[1][:0]), TrainConfig())
    with pytest.raises(ValueError, match="val_data must be an"):
        train(fresh_params(), (X, y), val[0], TrainConfig())


def test_divergence_stops_with_step_and_learning_rate(ex3):
    (X, y), val = ex3[0], ex3[1]
    config = TrainConfig(eta_min=1e3, eta_max=1e4, n_s=50, batch_size=100)
    with pytest.raises(FloatingPointError, match=r"at step \d+ \(learning rate [0-9.e+]+\)"):
        train(fresh_params(), (X * 100, y), val, config)


def test_a_diverged_run_keeps_what_it_recorded_before(ex3):
    """Records before the divergence survive in the exception (the range test relies on them)."""
    from assignment2.core.train import Diverged
    (X, y), val = ex3[0], ex3[1]
    config = TrainConfig(eta_min=0.0, eta_max=20.0, n_s=50, batch_size=10, records_per_cycle=20,
                         schedule="range_test")
    with pytest.raises(Diverged) as caught:
        train(fresh_params(), (X, y), val, config)
    history = caught.value.history
    assert 0 < len(history.step) < 20 and max(history.step) <= caught.value.step
    assert history.config == config


def test_divergence_of_scaled_inputs_names_step_learning_rate_and_cost(ex3):
    (X, y), val = ex3[0], ex3[1]
    config = TrainConfig(eta_min=10.0, eta_max=100.0, n_s=50, batch_size=50)
    with pytest.raises(FloatingPointError, match=r"diverged at step \d+ \(learning rate [0-9.e+]+\): "
                                                 r"the mini-batch loss is [0-9.e+inf]+"):
        train(fresh_params(), (X * 1e6, y), (val[0] * 1e6, val[1]), config)


@pytest.mark.parametrize("losses, diverges", [([2.0, 199.0, 3.0], False), ([2.0, 201.0, 3.0], True),
                                               ([0.5, 99.0, 3.0], False), ([0.5, 101.0, 3.0], True),
                                               ([2.0, float("nan"), 3.0], True)])
def test_divergence_threshold_is_a_factor_of_the_first_loss(ex3, monkeypatch, losses, diverges):
    """The run stops once a mini-batch loss exceeds DIVERGENCE_FACTOR (100) * max(1, first loss)."""
    from assignment2.core import train as train_module
    seen = []

    step = train_module.sgd_step

    def scripted(*args):
        _, acc = step(*args)
        seen.append(losses[min(len(seen), len(losses) - 1)])
        return seen[-1], acc

    monkeypatch.setattr(train_module, "sgd_step", scripted)
    config = TrainConfig(n_s=2, batch_size=50, records_per_cycle=1)
    if diverges:
        with pytest.raises(FloatingPointError, match="at step 1 "):
            train(fresh_params(), *ex3[:2], config)
    else:
        train(fresh_params(), *ex3[:2], config)


def test_the_harshest_setting_of_the_study_does_not_trip_the_divergence_check(ex3):
    """Batch 10 at eta_max = 0.1 (the batch-size study) may fail to learn, but does not diverge."""
    config = TrainConfig(batch_size=10, n_s=100, records_per_cycle=1)
    _, history = train(fresh_params(), *ex3[:2], config)
    assert np.isfinite(history.train_cost[-1])


BONUS = dict(QUICK, dropout=0.3, flip=True, translate=2, lam=1e-3, n_cycles=2)


def test_augmented_dropout_runs_are_seeded_and_differ_from_plain_ones(ex3):
    config = TrainConfig(**BONUS)
    first, history = train(fresh_params(), *ex3[:2], config)
    again, _ = train(fresh_params(), *ex3[:2], config)
    for a, b in zip(first.arrays().values(), again.arrays().values()):
        np.testing.assert_array_equal(a, b)
    assert np.isfinite(history.train_cost).all()
    for change in (dict(dropout=0.0), dict(flip=False), dict(translate=0), dict(seed=1)):
        other, _ = train(fresh_params(), *ex3[:2], TrainConfig(**{**BONUS, **change}))
        assert not np.array_equal(other.W1, first.W1), change


@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_step_is_the_plain_update_on_the_checked_gradients(dropout, dtype):
    """sgd_step (gemm with alpha = -eta, beta = 1 - 2 eta lam into W) against the plain update
    W <- W - eta (grad + 2 lam W), with the gradient-checked network.gradients."""
    from assignment2.core.step import sgd_step
    rng = np.random.default_rng(0)
    params = network.init_params(30, 8, rng=rng, dtype=dtype)
    X, y = rng.standard_normal((6, 30)).astype(dtype), rng.integers(0, 10, 6)
    lam = 0.01
    plain = params.astype(np.float64)
    for eta in (0.1, 0.05, 0.2):
        keep = network.dropout_mask(rng, (6, 8), 0.3, dtype) if dropout else None
        loss = network.cost(plain, X, y, 0.0)[1] if keep is None else None
        grad_loss = network.gradients(plain, X.astype(np.float64), y, 0.0, keep)
        new = {}
        for name, p in plain.arrays().items():
            new[name] = p - eta * (grad_loss.arrays()[name] + (2 * lam * p if name.startswith("W") else 0))
        plain = network.Params(**new)
        got_loss, _ = sgd_step(params, X, y, eta, lam, keep)
        if loss is not None:
            assert got_loss == pytest.approx(loss, rel=1e-5 if dtype == np.float32 else 1e-12)
    tol = dict(rtol=2e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    for name, p in plain.arrays().items():
        np.testing.assert_allclose(getattr(params, name), p, **tol, err_msg=name)
    assert params.W1.flags.f_contiguous and params.W1.dtype == dtype


def test_snapshots_at_every_cycle_end(ex3):
    config = TrainConfig(**{**QUICK, "n_cycles": 3})
    seen = []
    final, _ = train(fresh_params(), *ex3[:2], config, on_cycle_end=lambda cycle, p: seen.append((cycle, p.copy())))
    assert [cycle for cycle, _ in seen] == [1, 2, 3]
    np.testing.assert_array_equal(seen[-1][1].W1, final.W1)
    assert not np.array_equal(seen[0][1].W1, final.W1)


def test_range_test_schedule_rises_linearly_over_all_steps(ex3):
    config = TrainConfig(**{**QUICK, "schedule": "range_test", "eta_min": 0.0, "eta_max": 0.2, "n_cycles": 2})
    etas = config.learning_rates()
    assert len(etas) == config.total_steps and etas[0] == pytest.approx(0.2 / config.total_steps)
    assert etas[-1] == pytest.approx(0.2)
    np.testing.assert_allclose(np.diff(etas), 0.2 / config.total_steps)
    _, history = train(fresh_params(), *ex3[:2], config)
    assert history.eta == sorted(history.eta) and len(history.eta) == 8


def test_params_whose_shape_disagrees_with_the_config_are_refused_by_name(ex3):
    """The config is the one source of truth of the network's shape: no History that misstates it."""
    with pytest.raises(ValueError, match=r"params must be a network of config.hidden = 50 hidden units .*"
                                         r"got 'W1 of shape \(20, 3072\): 20 hidden units'"):
        train(fresh_params(m=20), *ex3[:2], TrainConfig(**QUICK))
    with pytest.raises(ValueError, match="config.hidden = 50"):
        train(fresh_params(m=20), *ex3[:2], TrainConfig(**QUICK, dropout=0.1))
    _, history = train(fresh_params(m=20), *ex3[:2], TrainConfig(**QUICK, hidden=20, dropout=0.1))
    assert history.config.hidden == 20 and history.config == TrainConfig(**QUICK, hidden=20, dropout=0.1)


def test_a_run_continued_from_its_state_is_the_run_from_step_0(ex3):
    config = TrainConfig(**QUICK, n_cycles=3, cost_method="running_mean", translate=1, dropout=0.2)
    whole, history = train(fresh_params(), *ex3[:2], config)
    state = {}
    first, _ = train(fresh_params(), *ex3[:2], TrainConfig(**{**asdict(config), "n_cycles": 1}), state=state)
    assert state["steps"] == 2 * config.n_s and state["averages"][0] == 2 * config.n_s
    rest, later = train(first, *ex3[:2], config, state=state)
    for a, b in zip(whole.arrays().values(), rest.arrays().values()):
        np.testing.assert_array_equal(a, b)
    assert later.step == history.step[4:] and later.train_cost == history.train_cost[4:]
    assert state["steps"] == config.total_steps


@pytest.mark.parametrize("changes", [{"schedule": "range_test"}, {"n_cycles": 1}])
def test_only_a_longer_cyclical_run_continues_a_state(ex3, changes):
    state = {"steps": 2 * QUICK["n_s"], "limit": 100.0, "averages": None}
    with pytest.raises(ValueError, match="state must be the end of a cyclical run before step"):
        train(fresh_params(), *ex3[:2], TrainConfig(**{**QUICK, "n_cycles": 2, **changes}), state=state)
