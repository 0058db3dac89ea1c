"""Random tensors on PyTorch.

With an int seed a call draws from a fresh generator seeded with it, so the same seed gives the
same numbers, as a seeded TensorFlow op did (initializers rely on this). With `seed=None` the
seed is drawn from NumPy's global generator, as Keras 2's TensorFlow backend did, so that
`np.random.seed(...)` at the top of a script makes weight initialisation reproducible.
Dropout without a seed uses torch's global generator (see `set_random_seed`) for speed.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.random`, which calls these.
"""
import numpy as np
import torch

from .. import common, host_random
from ..arguments import int_tuple, seed_or_draw
from .core import DEVICE, standardize_dtype, variable

__all__ = [
    'random_uniform', 'random_normal', 'truncated_normal', 'random_binomial',
    'random_uniform_variable', 'random_normal_variable', 'set_random_seed',
]

# Generators that keep advancing across calls, one per seed (used by seeded dropout).
_streams = {}


def _generator(seed, device=None):
    """A fresh generator seeded with `seed` (drawn from NumPy's generator when `None`)."""
    generator = torch.Generator(device=device or DEVICE)
    generator.manual_seed(int(seed_or_draw(seed)))
    return generator


def _stream(seed, device):
    """A generator for `seed` that advances with each call.

    A seeded dropout layer in Keras 2 built its random op once and drew a new mask on every
    step; reseeding at every call would repeat one mask forever.
    """
    if seed is None:
        return None
    key = (int(seed), str(device))
    generator = _streams.get(key)
    if generator is None:
        generator = _streams[key] = _generator(seed, device)
    return generator


def _reset_streams():
    _streams.clear()


common.on_clear_session(_reset_streams)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    torch_dtype = standardize_dtype(dtype)
    generator = _generator(seed)
    if not torch_dtype.is_floating_point:
        return torch.randint(int(minval), int(maxval), int_tuple(shape), generator=generator,
                             dtype=torch_dtype, device=DEVICE)
    out = torch.empty(int_tuple(shape), dtype=torch_dtype, device=DEVICE)
    return out.uniform_(minval, maxval, generator=generator)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    out = torch.empty(int_tuple(shape), dtype=standardize_dtype(dtype), device=DEVICE)
    return out.normal_(mean, stddev, generator=_generator(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    torch_dtype = standardize_dtype(dtype)
    generator = _generator(seed)
    out = torch.empty(int_tuple(shape), dtype=torch_dtype, device=DEVICE).normal_(
        generator=generator)
    flat = out.view(-1)
    # Redraw only the rejected entries; each round keeps ~95% of them, so few rounds run.
    redraw = torch.nonzero(flat.abs() >= 2.0).squeeze(1)
    while redraw.numel():
        fresh = torch.empty(redraw.numel(), dtype=torch_dtype, device=DEVICE).normal_(
            generator=generator)
        flat[redraw] = fresh
        redraw = redraw[fresh.abs() >= 2.0]
    return out.mul_(stddev).add_(mean)


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    torch_dtype = standardize_dtype(dtype)
    uniform = torch.empty(int_tuple(shape), dtype=torch.float32 if not torch_dtype.is_floating_point
                          else torch_dtype, device=DEVICE).uniform_(generator=_generator(seed))
    return (uniform <= p).to(torch_dtype)


# Variables hold initial values: drawn with NumPy, the same on every engine.
def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    values = host_random.uniform(int_tuple(shape), low, high, host_random.draw_dtype(dtype),
                                 seed)
    return variable(values, dtype=dtype, name=name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    values = host_random.normal(int_tuple(shape), mean, scale, host_random.draw_dtype(dtype),
                                seed)
    return variable(values, dtype=dtype, name=name)


def set_random_seed(seed):
    np.random.seed(int(seed))
    torch.manual_seed(int(seed))
    _reset_streams()
