"""The network and its trainer: what decides a trained result. Imports nothing else of the package.

A training run reads, top down: ``train`` (the mini-batch loop), ``config`` (``TrainConfig`` and its learning
rates), ``batches`` (the mini-batches, flipped and shifted), ``step`` (the fused in-place update through BLAS
gemm), ``network`` (the model, its loss and gradients), ``history`` (the records); with ``checks``. Beside it:
``gradcheck`` (finite differences), ``ensemble`` (averaged probabilities, the teacher of distillation),
``whiten`` (ZCA), ``data`` (CIFAR-10) and ``files``.
"""
