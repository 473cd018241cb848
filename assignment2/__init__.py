"""A two-layer network (d -> m ReLU -> K softmax) trained with cyclical learning rates, in three layers.

``core`` (the network and its trainer) <- ``study`` (what to train, the run store, the decision
rule) <- ``report`` (figures, tables, the PDF): each layer imports only the ones to its left.
The command: ``python -m assignment2`` (train, search, synthetic data, the cluster's certificates); the
developers' tools (timings, the robustness check, builds compared) are in bench/, outside the package.
"""

__version__ = "2.2.0"
