"""Random tensors on JAX.

With an int seed a call draws from a generator seeded with it, so the same seed gives the same
numbers, as a seeded TensorFlow op did. With `seed=None` the seed is drawn from NumPy's global
generator, as Keras 2's TensorFlow backend did, so that `np.random.seed(...)` at the top of a
script makes a run reproducible.

Outside jitted steps the numbers come from NumPy generators (`cornu.backend.host_random`): an
eager jax sampler would be compiled anew for every shape. Inside a jitted step (a
state scope with a key is active) they come from jax keys: unseeded draws split the step's
key, which the trainer threads from step to step, so every step draws fresh numbers without
recompiling.

Inside a jitted step, uniform numbers and key splits are jax.random's own, bit for bit
(Threefry-2x32 keys), but computed by the hash written out here (`_threefry2x32`): jax
lowers that hash on the CPU as a loop of five iterations, which XLA cannot fuse with what
reads the numbers, so that every iteration writes two arrays of the draw's size to memory.
Written out, the hash and its readers (dropout's comparison and scaling, say) compile into
one elementwise loop: a dropout mask of 128 x 512 costs about 2.5 times less CPU.

Dropout draws from streams that advance with each call: unseeded dropout outside a step uses
a global stream (see `set_random_seed`), seeded dropout a stream per seed; in a jitted step,
a seeded dropout folds its seed's key with the step counter.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.random`, which calls these.
"""
import numpy as np
import jax
import jax.numpy as jnp

from .. import common
from .. import host_random
from ..arguments import int_tuple
from ..run_context import current
from . import core
from .core import standardize_dtype, variable

__all__ = [
    'random_uniform', 'random_normal', 'truncated_normal', 'random_binomial',
    'random_uniform_variable', 'random_normal_variable', 'set_random_seed',
]

# The global stream of unseeded dropout outside jitted steps (made on first use, from NumPy's
# generator), and one stream per seed for seeded dropout.
_global_stream = None
_streams = {}


# Threefry-2x32's rotations (in two alternating groups of four rounds) and key-schedule
# constant, as jax.random uses them.
_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_THREEFRY_PARITY = np.uint32(0x1BD11BDA)
# The bits of a float32 1.0: or-ed with 23 random mantissa bits, a float in [1, 2).
_FLOAT32_ONE_BITS = np.uint32(0x3F800000)


def _rotate_left(x, distance):
    return (jax.lax.shift_left(x, np.uint32(distance))
            | jax.lax.shift_right_logical(x, np.uint32(32 - distance)))


def _threefry2x32(key, high, low):
    """The Threefry-2x32 hash (20 rounds) of the counter words `high` and `low` (uint32
    arrays of one shape) under `key` (a uint32 pair): its two output words, as
    `jax.random`'s `threefry2x32` primitive gives them, computed with elementwise ops that
    XLA fuses with their readers (see the module doc)."""
    keys = (key[0], key[1], key[0] ^ key[1] ^ _THREEFRY_PARITY)
    x0, x1 = high + keys[0], low + keys[1]
    for group in range(5):
        for rotation in _THREEFRY_ROTATIONS[group % 2]:
            x0 = x0 + x1
            x1 = x0 ^ _rotate_left(x1, rotation)
        # Key injection after every four rounds, with the round group's number.
        x0 = x0 + keys[(group + 1) % 3]
        x1 = x1 + keys[(group + 2) % 3] + np.uint32(group + 1)
    return x0, x1


def _hash_applies(key, size):
    """Whether `_threefry2x32` gives jax.random's numbers for `key` and a draw of `size`
    numbers: a raw Threefry key (a uint32 pair) under jax's default generator and counter
    layout (`jax_threefry_partitionable`), with counters that fit in the low word."""
    return (jax.config.jax_threefry_partitionable
            and jax.config.jax_default_prng_impl == 'threefry2x32'
            and key.dtype == jnp.uint32 and key.shape == (2,) and size < 2 ** 32)


def _uniform(key, shape, dtype, minval=0., maxval=1.):
    """`jax.random.uniform(key, shape, dtype, minval, maxval)`, the same numbers; float32
    draws between scalar bounds are computed by the written-out hash (see the module doc)."""
    size = int(np.prod(shape, dtype=np.int64))
    if (standardize_dtype(dtype) != 'float32' or np.ndim(minval) or np.ndim(maxval)
            or not _hash_applies(key, size)):
        return jax.random.uniform(key, shape, dtype=dtype, minval=minval, maxval=maxval)
    # jax's counters for a draw: the row-major position of each number, as a 64-bit count
    # split into a high and a low word (the high word is 0 below 2 ** 32 numbers).
    low = jax.lax.iota(jnp.uint32, size).reshape(shape)
    high, low = _threefry2x32(key, jnp.zeros(shape, jnp.uint32), low)
    bits = high ^ low
    # 23 random mantissa bits under the exponent of 1.0: a float in [1, 2), less 1.
    floats = jax.lax.bitcast_convert_type(
        jax.lax.shift_right_logical(bits, np.uint32(9)) | _FLOAT32_ONE_BITS,
        jnp.float32) - np.float32(1.)
    low_bound = jnp.asarray(minval, jnp.float32)
    high_bound = jnp.asarray(maxval, jnp.float32)
    return jax.lax.max(low_bound, floats * (high_bound - low_bound) + low_bound)


def _split(key):
    """`jax.random.split(key)`'s two keys, the same ones (see `_uniform`)."""
    if not _hash_applies(key, 2):
        first, second = jax.random.split(key)
        return first, second
    high, low = _threefry2x32(key, jnp.zeros((2,), jnp.uint32),
                              jnp.arange(2, dtype=jnp.uint32))
    return jnp.stack([high[0], low[0]]), jnp.stack([high[1], low[1]])


def _traced_scope():
    """The active state scope when it draws with jax keys, else `None`."""
    scope = current().state_scope
    if scope is not None and scope.rng is not None:
        return scope
    return None


def _split_scope_key(scope):
    scope.rng, key = _split(scope.rng)
    return key


def _global_generator():
    global _global_stream
    if _global_stream is None:
        _global_stream = np.random.default_rng(host_random.seed_from_global_state())
    return _global_stream


def _next_global_key():
    """A jax key drawn from the global stream (for loops traced outside a step)."""
    return jax.random.PRNGKey(int(_global_generator().integers(2 ** 31 - 1)))


def _key(seed, scope):
    """The jax key of a random op traced in `scope`."""
    if seed is not None:
        return jax.random.PRNGKey(int(seed))
    return _split_scope_key(scope)


def _dropout_key(seed, scope):
    """The jax key of one dropout call traced in `scope` (see the module doc)."""
    if seed is None:
        return _split_scope_key(scope)
    if scope.step is not None:
        # Reproducible and different at each step: the seed's key, folded with the step
        # counter and the position of the call in the step.
        scope.seeded_calls += 1
        key = jax.random.fold_in(jax.random.PRNGKey(int(seed)), scope.step)
        return jax.random.fold_in(key, scope.seeded_calls)
    return jax.random.fold_in(_split_scope_key(scope), int(seed))


def _float_draw_dtype(target):
    return np.float64 if target == np.float64 else np.float32


def _uniform_below(values, maxval, dtype):
    """`values` cast to `dtype`, kept below `maxval` (a rounding could reach it)."""
    values = np.asarray(values).astype(dtype)
    top = np.nextafter(np.asarray(maxval, dtype=dtype), np.asarray(-np.inf, dtype=dtype))
    return np.minimum(values, top)


def _dropout_uniform(seed, shape, dtype):
    """Uniform `[0, 1)` numbers for a dropout mask of `shape`."""
    scope = _traced_scope()
    if scope is not None:
        return _uniform(_dropout_key(seed, scope), shape, dtype)
    if seed is None:
        generator = _global_generator()
    else:
        generator = _streams.get(int(seed))
        if generator is None:
            generator = _streams[int(seed)] = np.random.default_rng(int(seed))
    target = standardize_dtype(dtype)
    values = generator.random(shape, dtype=_float_draw_dtype(target))
    return jnp.asarray(_uniform_below(values, 1., target))


def _reset_streams():
    global _global_stream
    _streams.clear()
    _global_stream = None


common.on_clear_session(_reset_streams)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    target = standardize_dtype(dtype)
    shape = int_tuple(shape)
    floating = jnp.issubdtype(target, jnp.floating)
    scope = _traced_scope()
    if scope is not None:
        key = _key(seed, scope)
        if not floating:
            return jax.random.randint(key, shape, int(minval), int(maxval), dtype=target)
        return _uniform(key, shape, target, minval, maxval)
    if not floating:
        return jnp.asarray(host_random.uniform(shape, minval, maxval, np.int64, seed),
                           dtype=target)
    values = host_random.uniform(shape, minval, maxval, _float_draw_dtype(target), seed)
    return jnp.asarray(_uniform_below(values, maxval, target))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    target = standardize_dtype(dtype)
    shape = int_tuple(shape)
    scope = _traced_scope()
    if scope is not None:
        values = jax.random.normal(_key(seed, scope), shape, dtype=target)
        return (values * stddev + mean).astype(target)
    values = host_random.normal(shape, mean, stddev, _float_draw_dtype(target), seed)
    return jnp.asarray(values.astype(target))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    target = standardize_dtype(dtype)
    shape = int_tuple(shape)
    scope = _traced_scope()
    if scope is not None:
        # The normal distribution truncated at two standard deviations, which the redrawing
        # gives, sampled directly.
        values = jax.random.truncated_normal(_key(seed, scope), -2., 2., shape, dtype=target)
        return (values * stddev + mean).astype(target)
    values = host_random.truncated_normal(shape, mean, stddev, _float_draw_dtype(target), seed)
    return jnp.asarray(values.astype(target))


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    target = standardize_dtype(dtype)
    shape = int_tuple(shape)
    scope = _traced_scope()
    if scope is not None:
        draw = target if jnp.issubdtype(target, jnp.floating) else jnp.float32
        uniform = _uniform(_key(seed, scope), shape, draw)
        return (uniform <= p).astype(target)
    return jnp.asarray(host_random.binomial(shape, p, np.float32, seed).astype(target))


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
    global _global_stream
    np.random.seed(int(seed))
    _streams.clear()
    _global_stream = np.random.default_rng(int(seed))
