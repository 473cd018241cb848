"""How the report writes a number: the template's filters (Typst markup). The sentences are in
report/words.typ.j2; the numbers and verdicts they state come from ``facts``."""

import math

from ..core.data import CLASSES, DIM
from ..study.stats import difference_se

#: Characters with a meaning in Typst markup, escaped with a backslash in text.
TYPST_SPECIAL = set("\\#$*_@<>[]`~/=-+")


def escape(text) -> str:
    """``text`` with Typst's markup characters escaped: it reads as plain text."""
    return "".join("\\" + c if c in TYPST_SPECIAL else c for c in str(text))


def sci(x: float, digits: int = 2) -> str:
    """x in Typst scientific notation, e.g. 1.23 times 10^(-4) (for math mode)."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} times 10^({int(exponent)})"


def sci_text(x: float, digits: int = 2) -> str:
    """``sci`` wrapped in $...$, for text and table cells."""
    return f"${sci(x, digits)}$"


def pct(x: float, digits: int = 2) -> str:
    """A fraction as a percentage: 0.4635 -> 46.35% (NaN, a mean over no runs: ---)."""
    return "---" if math.isnan(x) else f"{100 * x:.{digits}f}%"


def points(x: float, digits: int = 2) -> str:
    """The size of a difference of fractions in percentage points: ±0.0123 -> 1.23 points, 0.01 -> 1 point
    (digits 0)."""
    value = f"{100 * abs(x):.{digits}f}"
    return f"{value} point{'' if value == '1' else 's'}"


def signed(x) -> str:
    """A gain in points with its sign: 0.0123 -> +1.23, -0.004 -> −0.40 (a minus sign); --- for None (the start
    of a path)."""
    return "---" if x is None else f"{'+' if x >= 0 else '−'}{100 * abs(x):.2f}"


def gain(value, se) -> str:
    """An ablation step's gain and its standard error in points, "+1.23 (0.40)"; --- for the start (None)."""
    return "---" if value is None else f"{signed(value)} ({100 * se:.2f})"


def threshold(value) -> str:
    """A threshold or standard error in points, "0.40"; --- for None (the start of a path)."""
    return "---" if value is None else f"{100 * value:.2f}"


def kept_cell(kept) -> str:
    """The "kept" cell of a row judged by the rule: start (None), yes or *no*."""
    return "start" if kept is None else "yes" if kept else "*no*"


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def first_upper(text: str) -> str:
    """``text`` with its first letter a capital: it starts a sentence."""
    return text[0].upper() + text[1:]


def mean_pm(mean: float, std: float, n: int) -> str:
    """46.45% ± 0.25% (3 seeds), or 46.45% (one run)."""
    return f"{pct(mean)} ± {pct(std)} ({n} seeds)" if n > 1 else f"{pct(mean)} (one run)"


def rerun_band(std: float, n: int) -> float:
    """How far a rerun's mean over n other seeds (or another machine's) may fall from a mean over n
    seeds with spread std: 2 standard errors of the difference of two such means, 2 std sqrt(2 / n)."""
    return 2 * difference_se(std, n, std, n)


def rerun_range(mean: float, std: float, n: int) -> str:
    """"61.57–61.89%": where a rerun with n other seeds should land (``rerun_band``)."""
    band = rerun_band(std, n)
    return f"{100 * (mean - band):.2f}–{pct(mean + band)}"


def millions(count: int) -> str:
    """A count of parameters in millions: 6313994 -> 6.3 M."""
    return f"{count / 1e6:.1f} M"


def parameters(hidden: int) -> int:
    """The parameters of a two-layer network of CIFAR-10 with ``hidden`` hidden units: W1, b1, W2 and b2."""
    return (DIM + 1) * hidden + (hidden + 1) * len(CLASSES)


def bonus_options(config) -> list[str]:
    """The bonus options a network's TrainConfig uses: "random flips", "translations of up to 2 px", "dropout
    0.1", "ZCA-whitened inputs (epsilon = 0.1 x the mean eigenvalue)" (as plain text: the README's too)."""
    used = (("random flips", config.flip), (f"translations of up to {config.translate} px", config.translate),
            (f"dropout {config.dropout:g}", config.dropout),
            (f"ZCA-whitened inputs (epsilon = {config.whiten:g} x the mean eigenvalue)", config.whiten),
            (f"distillation (alpha = {config.distill:g}, T = {config.temperature:g})", config.distill))
    return [name for name, on in used if on]


def ensemble_members(ensemble) -> str:
    """What notebook 06's ensemble averages, as plain text (the README's too): "the last 2 cycle ends of 3 teachers
    and 3 students, with mirror images" (``ensemble``: its EnsembleSummary)."""
    students = sum(1 for m in ensemble.members if m.student)
    teachers = len(ensemble.members) - students
    kinds = [f"{n} {name}{'s' if n > 1 else ''}" for n, name in ((teachers, "teacher"), (students, "student")) if n]
    ends = "cycle end" if ensemble.snapshots == 1 else f"{ensemble.snapshots} cycle ends"
    return f"the last {ends} of {' and '.join(kinds)}{', with mirror images' if ensemble.mirror else ''}"


#: The filters the templates use, by name.
FILTERS = {f.__name__: f for f in (escape, sci, sci_text, pct, points, signed, gain, threshold, kept_cell, yes_no,
                                     first_upper, mean_pm, rerun_range, millions)}
