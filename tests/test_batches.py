import numpy as np
import pytest

from assignment2.core.batches import CHANNELS, SIDE, random_augment, shift_and_flip


def images(X):
    return X.reshape(len(X), CHANNELS, SIDE, SIDE)


def no_shift(n):
    return np.zeros(n, int), np.zeros(n, int)


@pytest.fixture
def X():
    return np.random.default_rng(0).standard_normal((6, CHANNELS * SIDE * SIDE)).astype(np.float32)


def test_flip_twice_is_the_identity_and_once_mirrors_each_plane(X):
    flipped = np.array([True, False, True, True, False, True])
    once = shift_and_flip(X, *no_shift(6), flipped)
    np.testing.assert_array_equal(shift_and_flip(once, *no_shift(6), flipped), X)
    np.testing.assert_array_equal(images(once)[flipped], images(X)[flipped][..., ::-1])
    np.testing.assert_array_equal(images(once)[~flipped], images(X)[~flipped])


@pytest.mark.parametrize("dy, dx", [(2, 0), (0, -3), (-1, 4), (5, 5)])
def test_a_shift_moves_a_pixel_where_expected_and_fills_with_zeros(dy, dx):
    X = np.zeros((1, CHANNELS * SIDE * SIDE))
    images(X)[0, 1, 10, 20] = 7.0                 # the G plane, row 10, column 20
    out = images(shift_and_flip(X, np.array([dy]), np.array([dx]), np.array([False])))
    expected = np.zeros_like(out)
    expected[0, 1, 10 + dy, 20 + dx] = 7.0
    np.testing.assert_array_equal(out, expected)


def test_a_shift_drops_pixels_at_the_edge_instead_of_wrapping_them(X):
    out = images(shift_and_flip(X, np.full(6, 3), np.full(6, -2), np.zeros(6, bool)))
    assert not out[:, :, :3].any() and not out[:, :, :, -2:].any()      # shifted-in rows and columns are zero
    np.testing.assert_array_equal(out[:, :, 3:, :-2], images(X)[:, :, :-3, 2:])


def test_colour_planes_stay_apart():
    X = np.repeat(np.arange(1.0, CHANNELS + 1), SIDE * SIDE)[None].repeat(50, axis=0)   # plane c holds c + 1
    out = images(random_augment(X, np.random.default_rng(0), flip=True, translate=4))
    for c in range(CHANNELS):
        assert set(np.unique(out[:, c])) <= {0.0, c + 1.0}
    assert (out == 0).any()                                               # some images did move


def test_random_augment_draws_per_image_and_is_seeded(X):
    X = np.repeat(X, 40, axis=0)
    a = random_augment(X, np.random.default_rng(3), flip=True, translate=2)
    np.testing.assert_array_equal(a, random_augment(X, np.random.default_rng(3), flip=True, translate=2))
    changed = (a != X).any(axis=1)
    assert 0.5 < changed.mean() < 1.0                       # most images move, some draw no change
    np.testing.assert_array_equal(random_augment(X, np.random.default_rng(3), flip=False, translate=0), X)
    flips = images(random_augment(X, np.random.default_rng(4), flip=True, translate=0))
    mirrored = (flips == images(X)[..., ::-1]).all(axis=(1, 2, 3))
    assert 0.3 < mirrored.mean() < 0.7


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="X must be an array of shape"):
        shift_and_flip(np.zeros((2, 100)), *no_shift(2), np.zeros(2, bool))
    with pytest.raises(ValueError, match="translate must be at most 15"):
        shift_and_flip(np.zeros((1, 3072)), np.array([16]), np.array([0]), np.array([False]))


def reference_move(X, dy, dx, flipped):
    """Image by image, with np.roll and explicit zero fill: the definition of shift_and_flip."""
    out = np.zeros_like(images(X))
    for i, image in enumerate(images(X)):
        moved = np.roll(image, (dy[i], dx[i]), axis=(1, 2))
        if dy[i] > 0:
            moved[:, :dy[i]] = 0
        elif dy[i] < 0:
            moved[:, dy[i]:] = 0
        if dx[i] > 0:
            moved[:, :, :dx[i]] = 0
        elif dx[i] < 0:
            moved[:, :, dx[i]:] = 0
        out[i] = moved[..., ::-1] if flipped[i] else moved
    return out.reshape(len(X), -1)


def test_a_reused_batch_mover_moves_every_batch_as_the_reference():
    from assignment2.core.batches import BatchMover, random_moves
    rng = np.random.default_rng(1)
    mover = BatchMover(8, 3, np.float32)
    for _ in range(5):   # the buffer is reused: earlier batches must leave no trace
        X = rng.standard_normal((8, CHANNELS * SIDE * SIDE)).astype(np.float32)
        moves = random_moves(8, rng, flip=True, translate=3)
        np.testing.assert_array_equal(mover(X, *moves), reference_move(X, *moves))
        np.testing.assert_array_equal(shift_and_flip(X, *moves), reference_move(X, *moves))
