"""Training on several devices and processes.

- Several processes (`torchrun` on PyTorch, `jax.distributed` on JAX): see
  `cornu.distribute.processes` (`rank`, `world_size`, ...); started by the launcher, detected by
  cornu.
- Several devices in one process on JAX: `DataParallel` splits each batch over devices with the
  weights replicated on each; a model compiled inside its `scope()` (or after
  `set_distribution`) trains, evaluates and predicts that way.
"""
from .processes import initialize, rank, world_size, local_rank, is_chief
from .data_parallel import DataParallel, set_distribution, get_distribution

__all__ = ['initialize', 'rank', 'world_size', 'local_rank', 'is_chief', 'DataParallel',
           'set_distribution', 'get_distribution']
