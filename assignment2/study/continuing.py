"""A run continued from the stored run of its config on fewer cycles: the first cycles of a cyclical schedule do
not depend on how many follow, so the longer run gives the same result, to the bit."""

from dataclasses import replace

from ..core.train import TrainConfig


def continuable(config: TrainConfig) -> bool:
    """Whether a run of ``config`` can go on from its own run on fewer cycles (``train.train``'s state)."""
    return config.schedule == "cyclical" and not config.record_cycles


def needed(config: TrainConfig, keep: int, cycles: int) -> range:
    """The cycle ends a run of ``config`` that keeps the last ``keep`` needs from its run on ``cycles``
    fewer cycles to continue: the last one (where it goes on from) and those it keeps."""
    return range(min(cycles, config.n_cycles - keep + 1), cycles + 1)


def shorter(store, config: TrainConfig, keep: int, key_of):
    """The Run of ``store`` (a ``RunStore``) of ``config`` on the most cycles fewer than its own that has the
    cycle ends ``keep`` asks for, with those alone, for a task to continue; or None. key_of: a config's key."""
    if not continuable(config):
        return None
    for cycles in range(config.n_cycles - 1, 0, -1):
        fewer = replace(config, n_cycles=cycles)
        run = store.entry(key_of(fewer), fewer, 1)
        wanted = needed(config, keep, cycles)
        if run is not None and run.state and all(c in run.snapshots for c in wanted):
            return replace(run, snapshots={c: run.snapshots[c] for c in wanted})
    return None
