"""Training one model with several processes: see `cornu.distribute.processes`."""
from .processes import initialize, rank, world_size, local_rank, is_chief

__all__ = ['initialize', 'rank', 'world_size', 'local_rank', 'is_chief']
