"""Training on several devices and processes.

`DataParallel` splits each batch over devices with the weights replicated on each; a model
compiled inside its `scope()` (or after `set_distribution`) trains, evaluates and predicts
that way.
"""
from .data_parallel import DataParallel, set_distribution, get_distribution  # noqa: F401
