"""The report: it only shows. The notebooks' figures and tables, and the PDF (docs/layout.md)."""
