"""The network X (n, d) -> ReLU(X W1^T + b1) (n, m) -> softmax(H W2^T + b2) (n, K), its cost (mean loss +
lam (||W1||^2 + ||W2||^2)) and gradients; the loss with ``SoftTargets`` is distillation's (docs/layout.md)."""

from dataclasses import dataclass, fields

import numpy as np

from .checks import check_data, check_keep, check_soft, non_negative, require

EVAL_ROWS = 500   # rows per block when evaluating a whole data set


@dataclass(frozen=True)
class SoftTargets:
    """A teacher's probabilities P (n, K), their weight alpha in [0, 1] and the temperature T > 0."""

    P: np.ndarray
    alpha: float
    temperature: float = 1.0

    def __post_init__(self):
        require(isinstance(self.alpha, (int, float)) and 0 <= self.alpha <= 1, "alpha", "a number in [0, 1]",
                self.alpha)
        require(isinstance(self.temperature, (int, float)) and 0 < self.temperature < np.inf, "temperature",
                "a finite number > 0", self.temperature)

    def __getitem__(self, rows) -> "SoftTargets":
        return SoftTargets(self.P[rows], self.alpha, self.temperature)

    def softened(self, dtype) -> np.ndarray:
        """The teacher at the temperature: softmax(log P / T), (n, K) in ``dtype``; zeros stay zeros."""
        with np.errstate(divide="ignore"):
            logQ = np.log(np.asarray(self.P, dtype=dtype))
        if self.temperature != 1:
            logQ /= self.temperature
        return np.exp(log_softmax(logQ))


@dataclass
class Params:
    """Weights and biases: W1 (m, d), b1 (m,), W2 (K, m), b2 (K,)."""

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def arrays(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def astype(self, dtype) -> "Params":
        """A copy in ``dtype``, W1 column-major (a step's two products run about 15% faster)."""
        return Params(**{k: np.array(v, dtype=dtype, order="F" if k == "W1" else "C")
                         for k, v in self.arrays().items()})

    def copy(self) -> "Params":
        return self.astype(self.W1.dtype)


def init_params(d: int, m: int, k: int = 10, *, rng: np.random.Generator, dtype=np.float64) -> Params:
    """W1 ~ N(0, 1/d) (m, d), W2 ~ N(0, 1/m) (k, m), zero biases."""
    for name, value in (("d", d), ("m", m), ("k", k)):
        require(isinstance(value, (int, np.integer)) and value >= 1, name, "an integer >= 1", value)
    require(isinstance(rng, np.random.Generator), "rng", "a numpy.random.Generator", rng)
    return Params(
        W1=np.asfortranarray(rng.standard_normal((m, d)) / np.sqrt(d), dtype=dtype),
        b1=np.zeros(m, dtype=dtype),
        W2=(rng.standard_normal((k, m)) / np.sqrt(m)).astype(dtype),
        b2=np.zeros(k, dtype=dtype),
    )


def hidden(params: Params, X: np.ndarray, keep=None) -> np.ndarray:
    """ReLU activations H (n, m), times the dropout multipliers ``keep`` (n, m) if given."""
    H = X @ params.W1.T
    H += params.b1
    np.maximum(H, 0, out=H)
    if keep is not None:
        H *= keep
    return H


DROPOUT_LEVELS = 1 << 16   # 16-bit draws, twice as fast as floats: the rate is rounded to a multiple of 2^-16


def dropout_mask(rng: np.random.Generator, shape: tuple, rate: float, dtype) -> np.ndarray:
    """Inverted dropout multipliers (n, m): 0 with probability ``rate``, else 1 / (1 - rate)."""
    dropped = round(rate * DROPOUT_LEVELS)
    keep = rng.integers(0, DROPOUT_LEVELS, shape, dtype=np.uint16) >= dropped
    return keep.astype(dtype) * (DROPOUT_LEVELS / (DROPOUT_LEVELS - dropped))


def log_softmax(S: np.ndarray) -> np.ndarray:
    """Log-softmax of the scores S (n, K), stably and in place."""
    S -= S.max(axis=1, keepdims=True)
    S -= np.log(np.exp(S).sum(axis=1, keepdims=True))
    return S


def log_probs(params: Params, H: np.ndarray) -> np.ndarray:
    """Log-softmax of the scores H W2^T + b2, (n, K)."""
    S = H @ params.W2.T
    S += params.b2
    return log_softmax(S)


def penalty(params: Params, lam: float):
    """lam (||W1||^2 + ||W2||^2), at least in float64 (in longdouble for longdouble params)."""
    precision = np.result_type(params.W1, np.float64)
    squares = (np.vdot(w.ravel(order="K"), w.ravel(order="K")).astype(precision) for w in (params.W1, params.W2))
    return lam * sum(squares)


def _distilling(soft) -> bool:
    return soft is not None and soft.alpha > 0


def loss_sum(logP: np.ndarray, y: np.ndarray, soft: SoftTargets | None = None):
    """The summed loss of logP (n, K), y (n,), at least in float64: CE, or distillation's with ``soft``."""
    precision = np.result_type(logP, np.float64)
    ce = -logP[np.arange(len(y)), y].sum(dtype=precision)
    if not _distilling(soft):
        return ce
    T = soft.temperature
    Q = soft.softened(precision)
    logQ = np.log(np.where(Q > 0, Q, 1))
    kl = (Q * (logQ - log_softmax(logP / T))).sum(dtype=precision)
    return (1 - soft.alpha) * ce + soft.alpha * T * T * kl


def score_gradient(logP: np.ndarray, y: np.ndarray, soft: SoftTargets | None = None) -> np.ndarray:
    """dL/dS (n, K) of the mean loss, in place in logP: (P - onehot(y)) / n, or distillation's with ``soft``."""
    n = len(y)
    if _distilling(soft):
        T = soft.temperature
        taught = np.exp(log_softmax(logP / T))
        taught -= soft.softened(logP.dtype)
        taught *= soft.alpha * T
    G = np.exp(logP, out=logP)
    G[np.arange(n), y] -= 1
    if _distilling(soft):
        G *= 1 - soft.alpha
        G += taught
    G /= n
    return G


def evaluate(params: Params, X: np.ndarray, y: np.ndarray, lam: float, keep=None, soft=None) -> tuple:
    """(cost, loss, accuracy) of checked X (n, d), y (n,), in blocks of EVAL_ROWS rows (they stay in cache)."""
    total, correct = 0.0, 0
    for start in range(0, len(y), EVAL_ROWS):
        rows = slice(start, start + EVAL_ROWS)
        logP = log_probs(params, hidden(params, X[rows], None if keep is None else keep[rows]))
        total += loss_sum(logP, y[rows], None if soft is None else soft[rows])
        correct += int((logP.argmax(axis=1) == y[rows]).sum())
    loss = total / len(y)
    return loss + penalty(params, lam), loss, correct / len(y)


def cost(params: Params, X, y, lam: float, soft=None) -> tuple[float, float]:
    """(cost, loss) of X (n, d), y (n,): the mean loss (with ``soft``: distillation's) and loss + the L2 penalty."""
    X, y = check_data(params, X, y)
    lam = non_negative("lam", lam)
    return evaluate(params, X, y, lam, soft=check_soft(soft, len(y), params.W2.shape[0]))[:2]


def accuracy(params: Params, X, y) -> float:
    """Fraction of rows of X (n, d) whose most probable class is y (n,)."""
    X, y = check_data(params, X, y)
    return evaluate(params, X, y, 0.0)[2]


def dead_units(params: Params, X) -> int:
    """Number of hidden units whose ReLU is zero for every row of X (n, d)."""
    X = check_data(params, X)
    return int((hidden(params, X).max(axis=0) <= 0).sum())


def scores(params: Params, X) -> np.ndarray:
    """The scores S = H W2^T + b2 (n, K) of X (n, d)."""
    X = check_data(params, X)
    blocks = []
    for start in range(0, len(X), EVAL_ROWS):
        S = hidden(params, X[start:start + EVAL_ROWS]) @ params.W2.T
        S += params.b2
        blocks.append(S)
    return np.concatenate(blocks)


def size(params: Params) -> int:
    """The number of the network's parameters."""
    return sum(array.size for array in params.arrays().values())


def probabilities(params: Params, X) -> np.ndarray:
    """Class probabilities P (n, K) of X (n, d)."""
    return np.exp(log_softmax(scores(params, X)))


def backprop(params: Params, X: np.ndarray, y: np.ndarray, keep=None, soft=None) -> tuple:
    """(mean loss, accuracy, H (n, m), dL/dS G (n, K), dL/dH GH (n, m)) of the batch X (n, d), y (n,)."""
    H = hidden(params, X, keep)
    logP = log_probs(params, H)
    loss = float(loss_sum(logP, y, soft)) / len(y)
    accuracy = float((logP.argmax(axis=1) == y).mean())
    G = score_gradient(logP, y, soft)
    GH = G @ params.W2                           # masked by the ReLU
    GH *= H > 0
    if keep is not None:                         # and scaled by the dropout multipliers
        GH *= keep
    return loss, accuracy, H, G, GH


def gradients(params: Params, X, y, lam: float, keep=None, soft=None) -> Params:
    """Analytic gradients of ``cost``; keep: fixed dropout multipliers (n, m)."""
    X, y = check_data(params, X, y)
    lam = non_negative("lam", lam)
    keep = check_keep(keep, (len(y), params.W1.shape[0]), X.dtype)
    _, _, H, G, GH = backprop(params, X, y, keep, check_soft(soft, len(y), params.W2.shape[0]))
    grads = Params(W1=(X.T @ GH).T, b1=GH.sum(axis=0), W2=G.T @ H, b2=G.sum(axis=0))   # W1 column-major
    if lam:
        grads.W1 += (2 * lam) * params.W1
        grads.W2 += (2 * lam) * params.W2
    return grads
