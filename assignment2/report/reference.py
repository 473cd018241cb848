"""The published results the report sets ours beside (report/reference.json), as typed data: the reference report
of this assignment, the assignment's own expectations and published one-hidden-layer networks."""

from dataclasses import dataclass
from pathlib import Path

from ..core.files import load_json
from ..study.exercises.base import JSON

PATH = Path(__file__).resolve().parents[2] / "report" / "reference.json"


@dataclass(frozen=True)
class GradientCheck:
    d: int
    m: int
    h: float
    batch: int
    mean_abs: dict[str, float]          # parameter -> mean absolute error


@dataclass(frozen=True)
class Overfit:
    n_images: int
    cost: float
    train_acc: float


@dataclass(frozen=True)
class Cycles:
    n_s: int
    test_acc: dict[str, float]          # cost method -> accuracy
    seconds: dict[str, float]           # cost method -> wall time


@dataclass(frozen=True)
class Hidden:
    m: int
    n_cycles: int
    test_acc: float


@dataclass(frozen=True)
class Search:
    n_coarse: int
    coarse_cycles: int
    n_fine: int
    fine_range: list[float]
    best_lambda: float
    chosen_on: str


@dataclass(frozen=True)
class Final:
    m: int
    batch_size: int
    n_cycles: int
    test_acc: float


@dataclass(frozen=True)
class BatchSizes:
    m: int
    n_cycles: int
    test_acc: dict[int, float]          # batch size -> accuracy


@dataclass(frozen=True)
class Expected:
    """The assignment's "about" accuracies."""

    one_cycle: float
    three_cycles: float
    final: float


@dataclass(frozen=True)
class Published:
    """A published test accuracy, where it came from, how it was chosen and, where its source states them, the
    network's hidden units and parameters."""

    test_acc: float
    chosen_on: str = ""
    kind: str = ""
    source: str = ""
    hidden: int | None = None
    parameters: int | None = None


@dataclass(frozen=True)
class Bonus:
    _about: str
    single: Published
    ensemble: Published


@dataclass(frozen=True)
class OneHiddenLayer:
    _about: str
    results: list[Published]
    cited_by: str
    deep_teacher: Published

    @property
    def best(self) -> Published:
        return max(self.results, key=lambda r: r.test_acc)


@dataclass(frozen=True)
class Reference:
    _about: str
    gradient_check: GradientCheck
    overfit: Overfit
    one_cycle: Cycles
    three_cycles: Cycles
    hidden: Hidden
    search: Search
    final: Final
    batch_sizes: BatchSizes
    assignment: Expected
    bonus: Bonus
    one_hidden_layer: OneHiddenLayer


def load(path=PATH) -> Reference:
    """The Reference of ``path`` (a field it lacks, or one it has in excess, is an error naming it)."""
    return JSON.structure(load_json(path), Reference)
