"""The study: what to train and how to choose (docs/layout.md). Imports the core, never the report."""
