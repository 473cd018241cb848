"""One unit per exercise, named as its notebook (01_gradient_check -> ``gradient_check``): a settings
dataclass, ``run(settings, ..., store, executor)`` and a result that writes and reads its own folder."""
