"""The network and its trainer: what decides a trained result. Imports nothing else of the package.

``network`` (the model, its loss and gradients), ``gradcheck`` (finite differences), ``schedule``
(learning rates), ``train`` (``TrainConfig``, the mini-batch loop, ``History``), ``step`` and ``blas``
(the fused in-place update), ``augment`` (flips and translations), ``ensemble`` (averaged
probabilities, the teacher of distillation), ``data`` (CIFAR-10), ``checks`` and ``files``.
"""
