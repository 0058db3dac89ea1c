"""Random draws made with NumPy, the same on every engine.

Initial weights come from here, so that a seed (an initializer's `seed=`, or
`np.random.seed(...)` at the top of a script, from which an unseeded draw takes its seed as
Keras 2's TensorFlow backend did) gives the same numbers on PyTorch and on JAX: a script's
results do not depend on the engine that runs it. The engines put the arrays on their device.

Float draws (`uniform`, `normal`, `truncated_normal`) give what Keras 2's TensorFlow backend
computed for the same seed: TensorFlow 1's Philox kernels under its default graph seed (see
`philox`), scaled in the draw's dtype in TensorFlow's order (`rnd * (maxval - minval) + minval`,
`rnd * stddev + mean`). So a Keras 2 script that called `np.random.seed(...)` starts from the
weights it started from with TensorFlow: uniform floats bit for bit; about 1.5% of float32
normal and truncated normal values differ by an ulp or two, where TensorFlow's float32
`logf`, `sinf` or `cosf` did not round correctly (here they do), and float64 normals follow
NumPy's float64 `log`, `sin` and `cos`.
float16 and bfloat16 values are rounded from a float32 draw.

Integer draws (`uniform` with an integer dtype) and `binomial` use a fresh
`numpy.random.Generator` (PCG64) seeded with the seed instead: the same on every engine, but
not TensorFlow's numbers.
"""
import hashlib

import numpy as np

from . import common
from . import philox
from .arguments import seed_or_draw

__all__ = ['generator', 'seed_from_global_state', 'draw_dtype', 'uniform', 'normal', 'truncated_normal', 'binomial']


def generator(seed):
    """A fresh NumPy generator for `seed` (drawn from NumPy's global generator when `None`)."""
    return np.random.default_rng(int(seed_or_draw(seed)))


def seed_from_global_state():
    """A seed in `[0, 2**31 - 1)` decided by the state of NumPy's global generator, without
    drawing from it.

    An engine's own random streams (a compiled step's dropout key) start from here:
    `np.random.seed(...)` still makes them repeatable, and the draws a script makes afterwards
    (`fit`'s shuffles, the next layer's initial weights) stay those every engine makes.
    """
    _, keys, position = np.random.get_state()[:3]
    digest = hashlib.blake2b(keys.tobytes() + int(position).to_bytes(4, 'little'),
                             digest_size=8).digest()
    return int.from_bytes(digest, 'little') % (2 ** 31 - 1)


def draw_dtype(dtype):
    """The NumPy dtype to draw floats of `dtype` (a name, a dtype or `None` for floatx) in:
    float64 for float64, else float32 (narrower floats are rounded from a float32 draw)."""
    return np.float64 if 'float64' in str(dtype or common.floatx()) else np.float32


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _philox_seed(seed):
    """The Philox op seed TensorFlow used for a Keras 2 op seed (drawn when `None`)."""
    return philox.op_seed(seed_or_draw(seed))


def _draw_dtype(dtype):
    return np.float64 if dtype == np.float64 else np.float32


def _cast_below(values, maxval, dtype):
    """`values` cast to `dtype`, kept below `maxval` (rounding to a narrower dtype can reach
    it, and the interval is half-open)."""
    values = np.asarray(values).astype(dtype, copy=False)
    top = np.nextafter(np.asarray(maxval, dtype=dtype), np.asarray(-np.inf, dtype=dtype))
    return np.minimum(values, top, out=values if values.flags.writeable else None)


def uniform(shape, minval, maxval, dtype, seed):
    """Values drawn uniformly from `[minval, maxval)`.

    # Arguments
        shape: tuple of ints.
        minval: lower bound.
        maxval: upper bound (excluded).
        dtype: a NumPy dtype; an integer dtype draws integers.
        seed: int or `None`.

    # Returns
        A NumPy array.
    """
    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        return generator(seed).integers(int(minval), int(maxval), shape).astype(dtype)
    draw = _draw_dtype(dtype)
    values = philox.uniform(_size(shape), _philox_seed(seed), draw).reshape(shape)
    low = np.asarray(minval, draw)
    values *= np.asarray(maxval, draw) - low  # TensorFlow's float order: rnd * (max - min) + min
    values += low
    return _cast_below(values, maxval, dtype)


def normal(shape, mean, stddev, dtype, seed):
    """Values drawn from a normal distribution.

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        stddev: standard deviation of the distribution.
        dtype: a NumPy floating dtype.
        seed: int or `None`.

    # Returns
        A NumPy array.
    """
    dtype = np.dtype(dtype)
    draw = _draw_dtype(dtype)
    values = philox.standard_normal(_size(shape), _philox_seed(seed), draw).reshape(shape)
    values *= np.asarray(stddev, draw)
    values += np.asarray(mean, draw)
    return values.astype(dtype, copy=False)


def truncated_normal(shape, mean, stddev, dtype, seed):
    """Normal values, those two or more standard deviations from the mean drawn again.

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        stddev: standard deviation before truncation.
        dtype: a NumPy floating dtype.
        seed: int or `None`.

    # Returns
        A NumPy array.
    """
    dtype = np.dtype(dtype)
    draw = _draw_dtype(dtype)
    values = philox.truncated_standard_normal(
        _size(shape), _philox_seed(seed), draw).reshape(shape)
    values *= np.asarray(stddev, draw)
    values += np.asarray(mean, draw)
    return values.astype(dtype, copy=False)


def binomial(shape, p, dtype, seed):
    """Ones (with probability `p`) and zeros.

    # Arguments
        shape: tuple of ints.
        p: probability of a one.
        dtype: a NumPy dtype.
        seed: int or `None`.

    # Returns
        A NumPy array.
    """
    return (generator(seed).random(shape, dtype=np.float32) <= p).astype(np.dtype(dtype))
