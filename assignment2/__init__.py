"""A two-layer network (d -> m ReLU -> K softmax) trained with cyclical learning rates.

Modules, one job each: ``data`` (CIFAR-10), ``network`` (model and gradients),
``gradcheck`` (finite differences), ``schedule`` (learning rate), ``train`` (mini-batch
trainer and History), ``search`` (resumable lambda search), ``plots`` (report figures),
``bench`` (timing of the default run).
"""

__version__ = "1.0.0"
