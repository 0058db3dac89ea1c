"""Processes training together, for the data-parallel loops (not part of `K`).

The engine in use supplies them (`cornu/backend/<engine>/distributed.py`, with the same
names): on PyTorch, `torch.distributed` started from the `torchrun` environment; on JAX,
`jax.distributed`. The collectives take and return NumPy arrays; alone, a process gets its
own arrays back.
"""
from .engine_choice import engine_module

_engine = engine_module('distributed')

launched = _engine.launched
initialize = _engine.initialize
is_initialized = _engine.is_initialized
rank = _engine.rank
world_size = _engine.world_size
local_rank = _engine.local_rank
all_reduce_sum = _engine.all_reduce_sum
broadcast = _engine.broadcast
all_gather = _engine.all_gather
barrier = _engine.barrier
separate_random_streams = _engine.separate_random_streams
LOOPS_DATA_PARALLEL = _engine.LOOPS_DATA_PARALLEL
