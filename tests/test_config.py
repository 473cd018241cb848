import numpy as np
import pytest

from assignment2.core.config import triangular_lr


def test_triangle_points():
    args = dict(eta_min=1e-5, eta_max=1e-1, n_s=500)
    assert triangular_lr(0, **args) == pytest.approx(1e-5)
    assert triangular_lr(500, **args) == pytest.approx(1e-1)
    assert triangular_lr(1000, **args) == pytest.approx(1e-5)
    assert triangular_lr(250, **args) == pytest.approx((1e-5 + 1e-1) / 2)
    assert triangular_lr(750, **args) == pytest.approx((1e-5 + 1e-1) / 2)
    t = np.arange(3000)
    eta = triangular_lr(t, **args)
    assert eta.shape == t.shape
    np.testing.assert_allclose(eta[:1000], eta[1000:2000])
    assert (np.diff(eta[:501]) > 0).all() and (np.diff(eta[500:1001]) < 0).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(t=0, eta_min=0.1, eta_max=0.01, n_s=5), "eta_min must be <= eta_max"),
    (dict(t=0, eta_min=-1, eta_max=0.01, n_s=5), "eta_min must be a finite number >= 0"),
    (dict(t=0, eta_min=0, eta_max=0.01, n_s=0), "n_s must be an integer >= 1"),
    (dict(t=-1, eta_min=0, eta_max=0.01, n_s=5), "t must be an integer"),
    (dict(t=1.5, eta_min=0, eta_max=0.01, n_s=5), "t must be an integer"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        triangular_lr(**kwargs)
