"""A two-layer network trained with cyclical learning rates on CIFAR-10, in three layers: ``core`` <- ``study``
<- ``report`` (docs/layout.md)."""

__version__ = "2.2.0"
