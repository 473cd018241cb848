"""A two-layer network (d -> m ReLU -> K softmax) trained with cyclical learning rates, in three layers.

``core`` (the network and its trainer) <- ``study`` (what to train, the run store, the decision
rule) <- ``report`` (figures, tables, the PDF): each layer imports only the ones to its left.
The commands: ``python -m assignment2`` (train, search, synthetic data), ``assignment2.robustness``
(the study's choices with other seeds); the developers' timings are in bench/, outside the package.
"""

__version__ = "2.1.0"
