"""Exercise 5: the final model, lambda from exercise 4, trained on 49,000 images for each hidden size and seed."""

from dataclasses import dataclass, field

from ...core.checks import COUNT, COUNTS, SEEDS
from ...core.history import History
from ...core.train import TrainConfig
from ..experiments import OverSeeds, over_seeds, search_n_s, seed_summary
from ..progress import work
from ..splits import load_split, train_size
from ..store import RunStore
from .base import Result, Settings, seeds_text
from .lambda_search import LambdaSearch


@dataclass(frozen=True)
class FinalModelSettings(Settings):
    """Every hidden size of ``hidden_sizes`` with every seed: ``n_cycles`` cycles of n_s =
    ``epochs_per_half_cycle`` epochs, on 49,000 training and 1,000 validation images."""

    NOTEBOOK = "05_final_model"

    data_root: str | None = None
    seeds: list = field(default_factory=lambda: [0, 1, 2])
    dtype: str = "float32"
    hidden_sizes: list = field(default_factory=lambda: [50, 200])
    batch_size: int = 100
    n_cycles: int = 3
    epochs_per_half_cycle: int = 2

    QUICK = {"seeds": [0], "hidden_sizes": [20, 40], "epochs_per_half_cycle": 1}
    RULES = {"seeds": SEEDS, "hidden_sizes": COUNTS, "batch_size": COUNT, "n_cycles": COUNT,
             "epochs_per_half_cycle": COUNT}

    def configs(self, n_train: int, lam: float) -> dict:
        """Hidden size -> its config (seed 0)."""
        n_s = search_n_s(n_train, self.batch_size, self.epochs_per_half_cycle)
        return {m: TrainConfig(batch_size=self.batch_size, n_s=n_s, n_cycles=self.n_cycles, lam=lam, hidden=m,
                               dtype=self.dtype) for m in self.hidden_sizes}

    def expected_work(self, images: int) -> float:
        return len(self.seeds) * sum(map(work, self.configs(train_size("final", images), 0.0).values()))


@dataclass(frozen=True)
class Model(OverSeeds):
    """One hidden size's test accuracy over the seeds, and its runs' keys in the store."""

    hidden: int = 0
    runs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FinalModelSummary:
    """The shared schedule and data, and each hidden size's Model."""

    lam: float
    n_s: int
    n_cycles: int
    batch_size: int
    n_train: int
    n_val: int
    seeds: list[int]
    dtype: str
    models: dict[int, Model]

    @property
    def widest(self) -> Model:
        return self.models[max(self.models)]


class FinalModel(Result):
    """``summary``: a FinalModelSummary; ``tables["final_runs"]``; ``histories``: ``history_m<m>`` (the first
    seed)."""

    NOTEBOOK = "05_final_model"
    SUMMARY = FinalModelSummary

    def history(self, m: int) -> History:
        return self.histories[f"history_m{m}"]

    def headline(self) -> str:
        return "; ".join(f"m = {m.hidden}: test accuracy {m.test_acc_mean:.2%} ± {m.test_acc_std:.2%} "
                         f"over {seeds_text(len(m.test_accs))}" for m in self.summary.models.values())


def run(settings: FinalModelSettings, search: LambdaSearch, store: RunStore, executor=None) -> FinalModel:
    """The final models with ``search``'s lambda, trained on ``executor`` or read from ``store``."""
    s = settings
    split = load_split("final", s.data_root, dtype=s.dtype)
    configs, images = s.configs(len(split[0][1]), search.summary.best_lambda), len(split[0][1]) + len(split[1][1])
    store.doing("the final models, every hidden size and seed", s.expected_work(images), s.later_work(images))
    trained = over_seeds(configs, s.seeds, split, store, executor)
    rows = {m: trained[m][1] for m in configs}
    first = next(iter(configs.values()))
    models = {m: Model(**seed_summary(rows[m]), hidden=m, runs=[r.run for r in rows[m]]) for m in configs}
    summary = FinalModelSummary(first.lam, first.n_s, first.n_cycles, first.batch_size, len(split[0][1]),
                                len(split[1][1]), list(s.seeds), s.dtype, models)
    histories = {f"history_m{m}": trained[m][0][s.seeds[0]] for m in configs}
    return FinalModel(summary, {"final_runs": [row for m in configs for row in rows[m]]}, histories)
