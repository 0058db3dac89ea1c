"""Random draws made with NumPy, the same on every engine.

Initial weights come from here, so that a seed (an initializer's `seed=`, or
`np.random.seed(...)` at the top of a script, from which an unseeded draw takes its seed as
Keras 2's TensorFlow backend did) gives the same numbers on PyTorch and on JAX: a script's
results do not depend on the engine that runs it. The engines put the arrays on their device.

Each function draws from a fresh `numpy.random.Generator` (PCG64) seeded with the seed, in
float32 unless float64 is asked for (a float32 draw is twice as fast, and float16 or bfloat16
weights are rounded from it), and returns a NumPy array of the requested dtype.
"""
import numpy as np

from . import common
from .arguments import seed_or_draw

__all__ = ['generator', 'draw_dtype', 'uniform', 'normal', 'truncated_normal', 'binomial']


def generator(seed):
    """A fresh NumPy generator for `seed` (drawn from NumPy's global generator when `None`)."""
    return np.random.default_rng(int(seed_or_draw(seed)))


def draw_dtype(dtype):
    """The NumPy dtype to draw floats of `dtype` (a name, a dtype or `None` for floatx) in:
    float64 for float64, else float32 (narrower floats are rounded from a float32 draw)."""
    return np.float64 if 'float64' in str(dtype or common.floatx()) else np.float32


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
    rng = generator(seed)
    if not np.issubdtype(dtype, np.floating):
        return rng.integers(int(minval), int(maxval), shape).astype(dtype)
    draw = _draw_dtype(dtype)
    values = rng.random(shape, dtype=draw)
    values *= np.asarray(maxval - minval, draw)
    values += np.asarray(minval, draw)
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
    values = generator(seed).standard_normal(shape, dtype=draw)
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
    rng = generator(seed)
    values = rng.standard_normal(shape, dtype=draw)
    flat = values.reshape(-1)
    # Redraw only the rejected entries; each round keeps ~95% of them, so few rounds run.
    redraw = np.flatnonzero(np.abs(flat) >= 2.)
    while redraw.size:
        fresh = rng.standard_normal(redraw.size, dtype=draw)
        flat[redraw] = fresh
        redraw = redraw[np.abs(fresh) >= 2.]
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
