"""ZCA whitening: it whitens, it is fitted on the training images alone, it keys a run, and a network of
whitened images is the ordinary network W1 Z of the standardised ones."""

from dataclasses import replace

import numpy as np
import pytest

from assignment2.core.network import hidden, init_params, probabilities
from assignment2.core.train import TrainConfig, train_run
from assignment2.core.whiten import folded, whitened, zca
from assignment2.study import store
from assignment2.study.splits import load_split

SMALL = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=2, records_per_cycle=2, lam=1e-3, dtype="float32",
                    flip=True, translate=1, whiten=0.1)


def _correlated(n: int, d: int, seed: int = 0) -> np.ndarray:
    """n rows of d features with strongly unequal, correlated variances, standardised: (n, d) float64."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) @ (rng.standard_normal((d, d)) * np.linspace(0.1, 3, d))
    return (X - X.mean(axis=0)) / X.std(axis=0)


def test_the_whitened_training_images_have_identity_covariance_up_to_epsilon():
    X = _correlated(4000, 12)
    for epsilon in (1e-9, 0.1, 1.0):
        Z = zca(X, epsilon)
        np.testing.assert_allclose(Z, Z.T, atol=1e-12)
        W = whitened(X, Z)
        assert W.std() == pytest.approx(1.0, rel=1e-9)                  # one scale: unit standard deviation
        S = np.linalg.eigvalsh(X.T @ X / len(X))
        expected = S / (S + epsilon * S.mean())                         # each direction's variance, damped by epsilon
        expected /= expected.mean()
        np.testing.assert_allclose(np.linalg.eigvalsh(W.T @ W / len(W)), np.sort(expected), rtol=1e-6, atol=1e-9)
    W = whitened(X, zca(X, 1e-9))
    np.testing.assert_allclose(W.T @ W / len(W), np.eye(12), atol=1e-6)   # identity, with epsilon negligible


def test_whitening_is_a_rotation_of_the_data_back_into_image_space_not_a_projection():
    X = _correlated(2000, 10, seed=1)
    Z = zca(X, 0.1)
    # ZCA is the symmetric whitening matrix closest to the identity: whitened images stay near the originals
    W = whitened(X, Z)
    assert np.mean(np.sum(W * X, axis=1) / np.linalg.norm(W, axis=1) / np.linalg.norm(X, axis=1)) > 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_network_of_whitened_images_is_the_plain_network_W1_Z(dtype):
    X = _correlated(300, 20).astype(dtype)
    Z = zca(X, 0.1)
    assert Z.dtype == dtype
    params = init_params(20, 7, rng=np.random.default_rng(2), dtype=dtype)
    plain = folded(params, Z)
    assert plain.W1.shape == (7, 20) and plain.W1.flags.f_contiguous
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(hidden(plain, X), hidden(params, whitened(X, Z)), rtol=tol, atol=tol)
    np.testing.assert_allclose(probabilities(plain, X), probabilities(params, whitened(X, Z)), rtol=tol, atol=tol)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="epsilon must be a number > 0"):
        zca(_correlated(50, 4), 0.0)
    with pytest.raises(ValueError, match="X must be training images"):
        zca(np.ones((5, 3), dtype=int), 0.1)
    with pytest.raises(ValueError, match=r"Z must be a \(4, 4\) whitening matrix"):
        whitened(_correlated(50, 4), np.eye(3))
    with pytest.raises(ValueError, match="whiten must be a finite number >= 0"):
        TrainConfig(whiten=-0.1)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("ex3", synthetic_root, dtype=np.float32)[:2]


def test_a_whitened_run_is_keyed_apart_and_trained_on_the_training_splits_whitening(split, tmp_path):
    (X, y), (X_val, y_val) = split
    runs = store.RunStore(tmp_path)
    plain, white, other = runs.runs([replace(SMALL, whiten=0.0), SMALL, replace(SMALL, whiten=0.3)], *split, keep=2)
    assert len({plain.key, white.key, other.key}) == 3 and runs.trained == 3
    assert plain.whitening is None
    Z = zca(X, 0.1)
    np.testing.assert_array_equal(white.whitening, Z)                   # the training split's, not the validation's
    assert not np.allclose(Z, zca(np.concatenate([X, X_val]), 0.1), atol=1e-4)
    history, snapshots, _ = train_run(SMALL, (whitened(X, Z), y), (whitened(X_val, Z), y_val), keep=2)
    assert white.history.val_acc == history.val_acc
    for cycle, params in snapshots.items():
        np.testing.assert_array_equal(white.snapshots[cycle].W1, params.W1)          # as trained, to continue from
        np.testing.assert_allclose(white.network(cycle).W1, folded(params, Z).W1)    # handed over as W1 Z
    np.testing.assert_allclose(probabilities(white.final, X_val), probabilities(snapshots[2], whitened(X_val, Z)),
                               atol=1e-5)
    again = store.RunStore(tmp_path)
    [read] = again.runs([SMALL], *split, keep=2)
    assert again.read == 1 and again.trained == 0
    np.testing.assert_array_equal(read.final.W1, white.final.W1)
    loaded = again.load(white.key)                                      # by its key alone, its whitening with it
    np.testing.assert_array_equal(loaded.final.W1, white.final.W1)
    assert len(list(tmp_path.glob("zca-*.npz"))) == 2                   # one matrix per epsilon, not per run


def test_the_whitening_is_computed_once_per_data_and_epsilon_and_a_damaged_one_again(split, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(store, "zca", lambda X, epsilon: calls.append(epsilon) or zca(X, epsilon))
    runs = store.RunStore(tmp_path)
    runs.runs([replace(SMALL, seed=seed) for seed in (0, 1)], *split)
    runs.runs([replace(SMALL, seed=2, n_cycles=1)], *split)
    assert calls == [0.1]
    [entry] = tmp_path.glob("zca-*.npz")
    entry.write_bytes(entry.read_bytes()[:-50])
    with pytest.warns(UserWarning, match=f"{entry.name} is not a whole entry"):
        store.RunStore(tmp_path).runs([SMALL], *split)
    assert calls == [0.1, 0.1]


def test_plain_and_whitened_runs_trained_at_once_on_a_pool_each_get_their_own_images(split, tmp_path):
    from concurrent.futures import ProcessPoolExecutor
    configs = [replace(SMALL, whiten=0.0), SMALL]      # plain and whitened images, after the whitened ones alone
    alone = [store.RunStore(tmp_path / f"alone{i}").runs([config], *split)[0] for i, config in enumerate(configs)]
    with ProcessPoolExecutor(2) as pool:
        runs = store.RunStore(tmp_path / "together")
        whitened_only = runs.runs([replace(SMALL, seed=1)], *split, executor=pool)   # these images shared first
        together = runs.runs(configs, *split, executor=pool)
    assert whitened_only[0].key != together[1].key
    for one, other in zip(alone, together):
        assert one.key == other.key and one.history.val_acc == other.history.val_acc
        np.testing.assert_array_equal(one.snapshots[2].W1, other.snapshots[2].W1)


def test_the_whitening_figure_shows_rows_of_Z_with_zero_as_grey_and_the_pixel_itself_clipped():
    from assignment2.study.exercises.analysis import WHITENING_PIXELS, whitening_images
    n = len(WHITENING_PIXELS)
    Z = np.eye(3072, dtype=np.float32) * 5
    Z[1, 0] = Z[0, 1] = -0.5                               # pixel (0, 0) of red and its right neighbour
    Z[1024 + 32 * 16 + 16, 1024 + 32 * 16 + 17] = 1.0      # the green centre's right neighbour
    raw = np.zeros((n, 3072), dtype=np.uint8)
    shown = whitening_images(raw, np.ones((n, 3072), dtype=np.float32), Z)
    assert [a.shape for a in shown.values()] == [(n, 32, 32, 3)] * 3
    green = shown["rows of Z"][1]                          # (channel 1, 16, 16)
    assert green[16, 16, 1] == 1.0 and green[16, 17, 1] == 1.0 and green[0, 0, 0] == 0.5   # clipped, scaled, zero


def test_one_network_averaged_with_its_mirror_image_as_by_hand():
    from assignment2.study.improve import member_rows
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((40, 3072)), rng.integers(0, 10, 40)          # float64: no tie decided by rounding
    params = init_params(3072, 6, rng=rng)
    Z = zca(np.concatenate([X, rng.standard_normal((4000, 3072))]), 0.1)
    row = store.RunRow(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, None, None)
    run = store.Run(SMALL, None, row, {2: params}, "key", whitening=Z)
    mirror = X.reshape(40, 3, 32, 32)[..., ::-1].reshape(40, 3072)          # each colour plane read right to left
    by_hand = (np.exp(hidden_scores(params, whitened(X, Z))) + np.exp(hidden_scores(params, whitened(mirror, Z)))) / 2
    [row] = member_rows([run], X, y)
    assert row["test_acc_mirror"] == np.mean(by_hand.argmax(axis=1) == y)
    assert row["test_acc"] == np.mean(hidden_scores(params, whitened(X, Z)).argmax(axis=1) == y)
    assert np.mean(by_hand.argmax(axis=1) != hidden_scores(params, whitened(X, Z)).argmax(axis=1)) > 0.1   # it tells


def hidden_scores(params, X) -> np.ndarray:
    """log softmax of the class scores, by hand: (n, K)."""
    S = np.maximum(X @ params.W1.T + params.b1, 0) @ params.W2.T + params.b2
    S = S - S.max(axis=1, keepdims=True)
    return S - np.log(np.exp(S).sum(axis=1, keepdims=True))
