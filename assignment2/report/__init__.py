"""The report: it only shows. Figures and tables of the notebooks, and the PDF.

``plots`` and ``notebook`` (what the notebooks show: figures and tables), ``pdf`` (the PDF from the
notebooks' results: ``python -m assignment2.report.pdf``), with ``facts``, ``formats`` and
``reproduction``; ``provenance`` (code version and machine), ``execution`` (the papermill engine).
"""
