"""The study: what to train and how to choose. Imports the core, never the report.

``store`` (every trained network, keyed by what determines it), ``parallel`` (runs in a process
pool or on Dask), ``rule`` (the decision rule), ``search``, ``experiments``, ``range_test``,
``improve`` and ``analysis`` (the exercises' computations), ``results`` (each notebook's
``results.json``), ``sources`` (the source a result depends on).
"""
