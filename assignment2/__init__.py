"""A two-layer network (d -> m ReLU -> K softmax) trained with cyclical learning rates.

Modules, one job each: ``data`` (CIFAR-10), ``network`` (model and gradients),
``gradcheck`` (finite differences), ``schedule`` (learning rate), ``train`` (mini-batch
trainer and History), ``step`` (one in-place update), ``blas`` (gemm with beta),
``augment`` (flips and translations), ``range_test`` (learning-rate range test),
``ensemble`` (averaged probabilities), ``improve`` (notebook 06's ablation and ensembles),
``analysis`` (notebook 07: confusions, calibration, mistakes, units), ``store`` (every
trained network, keyed by what determines it), ``search`` (lambda search), ``parallel`` (runs in a process pool or on Dask), ``experiments`` (the
study's experiments), ``provenance`` (code version, data fingerprint, machine), ``plots``
and ``artifacts`` (figures, tables, results), ``report``, ``reproduction`` and ``wording``
(the PDF), ``bench`` (timings).
"""

__version__ = "1.4.0"
