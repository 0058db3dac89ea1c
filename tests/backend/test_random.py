"""K random ops: shapes, dtypes, seeded reproducibility and (loose) statistics."""
import numpy as np
import pytest

from cornu import backend as engine_api
from cornu.backend import kernels

SHAPE = (200, 50)


@pytest.mark.parametrize('name,args', [
    ('random_uniform', (-2., 3.)), ('random_normal', (1., 2.)),
    ('truncated_normal', (1., 2.)), ('random_binomial', (0.3,)),
])
def test_shape_dtype_and_seed(backend, name, args):
    K = backend
    fn = getattr(K, name)
    value = fn(SHAPE, *args, seed=7)
    assert K.int_shape(value) == SHAPE
    assert K.dtype(value) == K.floatx()
    assert K.dtype(fn((3, 2), *args, dtype='float64')) == 'float64'
    # The same seed gives the same numbers; another seed, others.
    np.testing.assert_array_equal(K.eval(fn(SHAPE, *args, seed=7)), K.eval(value))
    assert not np.array_equal(K.eval(fn(SHAPE, *args, seed=8)), K.eval(value))


def test_unseeded_calls_follow_set_random_seed(backend):
    K = backend
    K.set_random_seed(123)
    first = K.eval(K.random_normal((4, 5)))
    second = K.eval(K.random_normal((4, 5)))
    assert not np.array_equal(first, second)
    K.set_random_seed(123)
    np.testing.assert_array_equal(K.eval(K.random_normal((4, 5))), first)


def test_random_uniform_statistics(backend):
    K = backend
    values = K.eval(K.random_uniform(SHAPE, -2., 3., seed=1))
    assert values.min() >= -2. and values.max() < 3.
    assert abs(values.mean() - 0.5) < 0.1
    assert abs(values.std() - 5. / np.sqrt(12)) < 0.1


def test_random_uniform_integers(backend):
    K = backend
    values = K.eval(K.random_uniform((100,), 0, 5, dtype='int32', seed=3))
    assert values.dtype == np.int32
    assert set(np.unique(values)) <= set(range(5))


def test_random_normal_statistics(backend):
    K = backend
    values = K.eval(K.random_normal(SHAPE, 1., 2., seed=2))
    assert abs(values.mean() - 1.) < 0.1
    assert abs(values.std() - 2.) < 0.1


def test_truncated_normal_bound_and_statistics(backend):
    K = backend
    values = K.eval(K.truncated_normal(SHAPE, 1., 2., seed=3))
    # Values two or more standard deviations away are redrawn.
    assert np.all(np.abs(values - 1.) < 4.)
    assert abs(values.mean() - 1.) < 0.1
    # The standard deviation of a normal truncated at 2 sigma is 0.8796 sigma.
    assert abs(values.std() - 2. * 0.8796) < 0.1


def test_random_binomial_statistics(backend):
    K = backend
    values = K.eval(K.random_binomial(SHAPE, 0.3, seed=4))
    assert set(np.unique(values)) <= {0., 1.}
    assert abs(values.mean() - 0.3) < 0.05


def test_random_variables(backend):
    K = backend
    uniform = K.random_uniform_variable((30, 20), -1., 1., name='u', seed=5)
    normal = K.random_normal_variable((30, 20), 0., 0.5, dtype='float64', seed=6)
    assert kernels.is_variable(uniform) and kernels.is_variable(normal)
    assert uniform.name == 'u'
    assert K.int_shape(uniform) == (30, 20) and K.dtype(normal) == 'float64'
    values = K.get_value(uniform)
    assert values.min() >= -1. and values.max() < 1.
    assert abs(K.get_value(normal).std() - 0.5) < 0.1
    np.testing.assert_array_equal(
        K.get_value(K.random_uniform_variable((30, 20), -1., 1., seed=5)), values)


def test_numpy_seed_makes_unseeded_calls_reproducible(backend):
    K = backend
    np.random.seed(7)
    first = K.eval(K.random_uniform((3, 4)))
    np.random.seed(7)
    np.testing.assert_array_equal(K.eval(K.random_uniform((3, 4))), first)
    assert not np.array_equal(K.eval(K.random_uniform((3, 4))), first)


@pytest.mark.skipif(engine_api.backend() != 'jax', reason="the jax engine's written-out Threefry hash")
@pytest.mark.parametrize('shape,low,high', [((128, 512), 0., 1.), ((3, 5, 7), -2.5, 3.25),
                                            ((1,), 0., 1.), ((4097,), -1e-3, 1e-3)])
@pytest.mark.parametrize('seed', [0, 1, 2 ** 31 - 1])
def test_jax_steps_draw_jax_random_numbers(shape, low, high, seed):
    # Inside jitted steps uniform numbers and key splits come from the hash written out in
    # the engine's random module: they must be jax.random's, bit for bit.
    import jax
    from cornu.backend.jax import random as jax_random
    key = jax.random.fold_in(jax.random.PRNGKey(seed), 77)
    for dtype in ['float32', 'float64', 'float16']:
        expected = jax.jit(lambda k: jax.random.uniform(k, shape, dtype, low, high))(key)
        drawn = jax.jit(lambda k: jax_random._uniform(k, shape, dtype, low, high))(key)
        assert drawn.dtype == expected.dtype
        np.testing.assert_array_equal(np.asarray(drawn), np.asarray(expected))
    expected = jax.random.split(key)
    split = jax.jit(jax_random._split)(key)
    np.testing.assert_array_equal(np.asarray(split[0]), np.asarray(expected[0]))
    np.testing.assert_array_equal(np.asarray(split[1]), np.asarray(expected[1]))


@pytest.mark.skipif(engine_api.backend() != 'jax', reason="the jax engine's step keys")
@pytest.mark.parametrize('seed', [0, 1, 12345, 2 ** 31 - 2])
def test_a_compiled_step_starts_from_jax_random_key(seed):
    # The first key of a compiled step is made from NumPy (no seeding op to compile): it
    # must be jax.random.PRNGKey's, dtype and all.
    import jax
    from cornu.backend.jax import tracing
    made, expected = tracing._new_key(seed), jax.random.PRNGKey(seed)
    assert made.dtype == expected.dtype and made.shape == expected.shape
    np.testing.assert_array_equal(np.asarray(made), np.asarray(expected))
