"""Random tensors on JAX, with explicit keys.

With an int seed a call draws with the key of that seed, so the same seed gives the same
numbers, as a seeded TensorFlow op did (initializers rely on this). With `seed=None` the seed is
drawn from NumPy's global generator, as Keras 2's TensorFlow backend did, so that
`np.random.seed(...)` at the top of a script makes weight initialisation reproducible.

Inside a jitted step (a state scope is active) unseeded draws split the step's key, which the
trainer threads from step to step, so every step draws fresh numbers without recompiling.
Dropout draws from streams that advance with each call: unseeded dropout outside a step uses
a global key (see `set_random_seed`); seeded dropout a key per seed, folded in a jitted step
with the step counter.
"""
import numpy as np
import jax
import jax.numpy as jnp

from .. import common
from . import core
from .core import standardize_dtype, variable

__all__ = [
    'random_uniform', 'random_normal', 'truncated_normal', 'random_binomial',
    'random_uniform_variable', 'random_normal_variable', 'set_random_seed',
]

# The global stream of unseeded dropout outside jitted steps (made on first use, from NumPy's
# generator), and one stream per seed for seeded dropout.
_global_key = None
_streams = {}


def _split_scope_key(scope):
    scope.rng, key = jax.random.split(scope.rng)
    return key


def _next_global_key():
    global _global_key
    if _global_key is None:
        _global_key = jax.random.PRNGKey(np.random.randint(2 ** 31 - 1))
    _global_key, key = jax.random.split(_global_key)
    return key


def _key(seed):
    """The key of a random op: its seed's, or a fresh one when `seed` is `None`."""
    if seed is not None:
        return jax.random.PRNGKey(int(seed))
    scope = core._scope
    if scope is not None and scope.rng is not None:
        return _split_scope_key(scope)
    return jax.random.PRNGKey(np.random.randint(10e6))


def _dropout_key(seed):
    """The key of one dropout call (see the module doc)."""
    scope = core._scope
    if seed is None:
        if scope is not None and scope.rng is not None:
            return _split_scope_key(scope)
        return _next_global_key()
    if scope is not None and scope.step is not None:
        # Reproducible and different at each step: the seed's key, folded with the step
        # counter and the position of the call in the step.
        scope.seeded_calls += 1
        key = jax.random.fold_in(jax.random.PRNGKey(int(seed)), scope.step)
        return jax.random.fold_in(key, scope.seeded_calls)
    if scope is not None and scope.rng is not None:
        # Traced outside a training step (e.g. inside a loop): the scope's stream.
        return jax.random.fold_in(_split_scope_key(scope), int(seed))
    stream = _streams.get(int(seed))
    if stream is None:
        stream = jax.random.PRNGKey(int(seed))
    _streams[int(seed)], key = jax.random.split(stream)
    return key


def _reset_streams():
    global _global_key
    _streams.clear()
    _global_key = None


common.on_clear_session(_reset_streams)


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


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
    target = standardize_dtype(dtype)
    key = _key(seed)
    if not jnp.issubdtype(target, jnp.floating):
        return jax.random.randint(key, _shape(shape), int(minval), int(maxval), dtype=target)
    return jax.random.uniform(key, _shape(shape), dtype=target, minval=minval, maxval=maxval)


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
    target = standardize_dtype(dtype)
    values = jax.random.normal(_key(seed), _shape(shape), dtype=target)
    return (values * stddev + mean).astype(target)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """A tensor of normal values, without those two or more standard deviations from the mean.

    The values follow the normal distribution truncated at two standard deviations (the
    distribution TensorFlow's redrawing gives).

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        stddev: standard deviation before truncation.
        dtype: dtype name (default `floatx()`).
        seed: int or `None`.

    # Returns
        A tensor.
    """
    target = standardize_dtype(dtype)
    values = jax.random.truncated_normal(_key(seed), -2., 2., _shape(shape), dtype=target)
    return (values * stddev + mean).astype(target)


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
    target = standardize_dtype(dtype)
    draw_dtype = target if jnp.issubdtype(target, jnp.floating) else jnp.float32
    uniform = jax.random.uniform(_key(seed), _shape(shape), dtype=draw_dtype)
    return (uniform <= p).astype(target)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable initialised with values drawn uniformly from `[low, high)`.

    # Arguments
        shape: tuple of ints.
        low: lower bound.
        high: upper bound (excluded).
        dtype: dtype name (default `floatx()`).
        name: optional variable name.
        seed: int or `None`.

    # Returns
        A variable.
    """
    dtype = dtype or common.floatx()
    return variable(random_uniform(shape, low, high, dtype=dtype, seed=seed), dtype=dtype,
                    name=name)


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable initialised with values drawn from a normal distribution.

    # Arguments
        shape: tuple of ints.
        mean: mean of the distribution.
        scale: standard deviation of the distribution.
        dtype: dtype name (default `floatx()`).
        name: optional variable name.
        seed: int or `None`.

    # Returns
        A variable.
    """
    dtype = dtype or common.floatx()
    return variable(random_normal(shape, mean, scale, dtype=dtype, seed=seed), dtype=dtype,
                    name=name)


def set_random_seed(seed):
    """Seeds every source of randomness: NumPy's global generator (unseeded random ops draw
    their seeds from it), the global dropout stream, and restarts seeded dropout streams.

    # Arguments
        seed: int.
    """
    global _global_key
    np.random.seed(int(seed))
    _streams.clear()
    _global_key = jax.random.PRNGKey(int(seed))
