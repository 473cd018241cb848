"""Exercise 2: a sanity check, overfitting a few training images with no regularisation."""

from dataclasses import dataclass

from ...core.checks import COUNT, NON_NEGATIVE, POSITIVE, SEED
from ...core.history import History
from ...core.train import TrainConfig
from ..experiments import run_all
from ..splits import load_split
from ..store import RunStore
from .base import Result, Settings


@dataclass(frozen=True)
class OverfitSettings(Settings):
    """One run on the first ``n_images`` images of exercise 3's training batch, lambda = 0."""

    NOTEBOOK = "02_overfit"

    data_root: str | None = None
    n_images: int = 100
    hidden: int = 50
    batch_size: int = 10
    eta_min: float = 1e-3
    eta_max: float = 5e-2
    n_s: int = 100
    n_cycles: int = 4
    seed: int = 0

    RULES = {"n_images": COUNT, "hidden": COUNT, "batch_size": COUNT, "eta_min": NON_NEGATIVE, "eta_max": POSITIVE,
             "n_s": COUNT, "n_cycles": COUNT, "seed": SEED}

    def config(self) -> TrainConfig:
        return TrainConfig(batch_size=self.batch_size, eta_min=self.eta_min, eta_max=self.eta_max, n_s=self.n_s,
                           n_cycles=self.n_cycles, lam=0.0, hidden=self.hidden, seed=self.seed)


@dataclass(frozen=True)
class OverfitSummary:
    """The images, updates and epochs, where the run ended, and its config."""

    n_images: int
    steps: int
    epochs: int
    train_acc: float
    train_loss: float
    val_acc: float
    test_acc: float
    config: TrainConfig


class Overfit(Result):
    """``summary``: an OverfitSummary; ``histories["history"]``."""

    NOTEBOOK = "02_overfit"
    SUMMARY = OverfitSummary

    @property
    def history(self) -> History:
        return self.histories["history"]

    def headline(self) -> str:
        s = self.summary
        return (f"{s.n_images} images, {s.steps} updates: training accuracy {s.train_acc:.2%}, "
                f"training loss {s.train_loss:.4f}; validation accuracy {s.val_acc:.2%}")


def run(settings: OverfitSettings, store: RunStore) -> Overfit:
    """The run, trained or read from ``store``."""
    (X, y), val, test = load_split("ex3", settings.data_root)
    config, n = settings.config(), settings.n_images
    store.doing(f"overfitting {n} images")
    [(history, row)] = run_all([config], ((X[:n], y[:n]), val, test), store)
    summary = OverfitSummary(n, config.total_steps, config.total_steps * config.batch_size // n,
                             history.train_acc[-1], history.train_loss[-1], history.val_acc[-1], row.test_acc,
                             config)
    return Overfit(summary, histories={"history": history})
