"""A run continued from the stored run of its config on fewer cycles: the first cycles of a cyclical schedule do
not depend on how many follow, so the longer run gives the same result, to the bit."""

from dataclasses import replace

from ..core.train import TrainConfig


def continuable(config: TrainConfig) -> bool:
    """Whether a run of ``config`` can go on from its own run on fewer cycles (``train.train``'s state)."""
    return config.schedule == "cyclical" and not config.record_cycles


def needed(config: TrainConfig, keep: int, cycles: int) -> range:
    """The cycle ends a run of ``config`` keeping its last ``keep`` needs from its run on ``cycles`` cycles to
    continue it: the last one (where it goes on from) and those it keeps."""
    return range(min(cycles, config.n_cycles - keep + 1), cycles + 1)


def shorter(config: TrainConfig, keep: int):
    """(config on fewer cycles, the cycle ends a run of ``config`` keeping ``keep`` needs from it) for every run it
    can continue, the most cycles first."""
    cycles = range(config.n_cycles - 1, 0, -1) if continuable(config) else ()
    return [(replace(config, n_cycles=c), needed(config, keep, c)) for c in cycles]
