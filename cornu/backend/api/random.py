"""K's random tensors and variables, and `set_random_seed`.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.random`) computes. Checks that
need the engine's tensor (its shape, its rank) stay in the engine, calling `arguments.py`.
"""
import numpy as np

from .. import common
from ..engine_choice import engine_module
from ..run_context import state_constructor
from ..symbolic import graph_op

_engine = engine_module('random')

__all__ = [
    'random_uniform', 'random_normal', 'truncated_normal', 'random_binomial',
    'random_uniform_variable', 'random_normal_variable', 'set_random_seed',
]


def _variable_seed(seed):
    """`seed`, or one drawn from NumPy's global generator. Keras 2 drew the seeds of random
    variables from a wider range than those of random ops (`randint(10e8)` against
    `randint(10e6)`), so `np.random.seed` gives its numbers only with the same range."""
    return np.random.randint(10e8) if seed is None else seed


@graph_op
def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """A tensor of values drawn uniformly from `[minval, maxval)`.

    # Arguments
        shape: tuple of ints.
        minval: lower bound.
        maxval: upper bound (excluded).
        dtype: dtype name (default `floatx()`); integer dtypes draw integers.
        seed: int or `None`.

    # Returns
        A tensor.
    """
    return _engine.random_uniform(shape, minval, maxval, dtype, seed)


@graph_op
def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A tensor of values drawn from a normal distribution.

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        stddev: standard deviation of the distribution.
        dtype: dtype name (default `floatx()`).
        seed: int or `None`.

    # Returns
        A tensor.
    """
    return _engine.random_normal(shape, mean, stddev, dtype, seed)


@graph_op
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A tensor of normal values, redrawing those two or more standard deviations from the mean.

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        stddev: standard deviation before truncation.
        dtype: dtype name (default `floatx()`).
        seed: int or `None`.

    # Returns
        A tensor.
    """
    return _engine.truncated_normal(shape, mean, stddev, dtype, seed)


@graph_op
def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """A tensor of ones (with probability `p`) and zeros.

    # Arguments
        shape: tuple of ints.
        p: probability of a one.
        dtype: dtype name (default `floatx()`).
        seed: int or `None`.

    # Returns
        A tensor.
    """
    return _engine.random_binomial(shape, p, dtype, seed)


@state_constructor
def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable initialised with values drawn uniformly from `[low, high)`.

    # Arguments
        shape: tuple of ints.
        low: lower bound.
        high: upper bound (excluded).
        dtype: dtype name (default `floatx()`).
        name: optional variable name.
        seed: int or `None` (then one drawn from NumPy's global generator).

    # Returns
        A variable.
    """
    dtype = dtype or common.floatx()
    return _engine.random_uniform_variable(shape, low, high, dtype, name,
                                           _variable_seed(seed))


@state_constructor
def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable initialised with values drawn from a normal distribution.

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        scale: standard deviation of the distribution.
        dtype: dtype name (default `floatx()`).
        name: optional variable name.
        seed: int or `None` (then one drawn from NumPy's global generator).

    # Returns
        A variable.
    """
    dtype = dtype or common.floatx()
    return _engine.random_normal_variable(shape, mean, scale, dtype, name,
                                          _variable_seed(seed))


def set_random_seed(seed):
    """Seeds every source of randomness: NumPy's global generator (unseeded random ops draw
    their seeds from it), the engine's own (torch's CPU and CUDA generators, used by unseeded
    dropout; JAX's global dropout stream), and restarts seeded dropout streams.

    # Arguments
        seed: int.
    """
    return _engine.set_random_seed(seed)
