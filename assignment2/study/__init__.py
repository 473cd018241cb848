"""The study: what to train and how to choose. Imports the core, never the report.

``exercises`` (one unit per notebook: its settings, ``run`` and typed result), ``store`` (every
trained network, keyed by what determines it) with ``sources`` (the source a result depends on),
``parallel`` (runs in a process pool or on Dask), ``rule`` (the decision rule) and ``stats``,
``experiments`` (many configs at once), ``search``, ``range_test``, ``improve`` (notebook 06's
ablation, distillation and ensembles) and ``diagnostics`` (notebook 07's confusions and calibration).
"""
