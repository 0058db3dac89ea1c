"""Initial weights do not depend on the engine, and are Keras 2's: the draws are made with
NumPy as TensorFlow's kernels made them, so a seed (`np.random.seed(...)` at the top of a
script, or an initializer's `seed=`) gives the same weights on PyTorch and on JAX as it gave
Keras 2 on TensorFlow (compared with TensorFlow's own draws, `tests/fixtures/tf_random`)."""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cornu import initializers
from cornu.layers import Dense
from cornu.models import Sequential
from tests.tf_random_fixture import assert_matches_tf, case

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _draw(backend, initializer, name):
    return backend.eval(initializer(tuple(case(name)['shape'])))


def test_seeded_initializers_draw_tensorflows_numbers(backend):
    c = case('uniform_f32_a')
    assert_matches_tf(_draw(backend, initializers.RandomUniform(c['a'], c['b'], seed=c['seed']),
                            'uniform_f32_a'), 'uniform_f32_a')
    c = case('random_normal_5x3')
    assert_matches_tf(_draw(backend, initializers.RandomNormal(c['a'], c['b'], seed=c['seed']),
                            'random_normal_5x3'), 'random_normal_5x3')
    c = case('truncated_f32_b')
    initializer = initializers.TruncatedNormal(c['a'], c['b'], seed=c['seed'])
    assert_matches_tf(_draw(backend, initializer, 'truncated_f32_b'), 'truncated_f32_b')


def test_variance_scaling_initializers_draw_tensorflows_numbers(backend):
    for make, name in [(initializers.glorot_uniform, 'glorot_uniform_7x5'),
                       (initializers.glorot_normal, 'glorot_normal_6x10'),
                       (initializers.he_normal, 'he_normal_50x20')]:
        assert_matches_tf(_draw(backend, make(seed=case(name)['seed']), name), name)


def test_unseeded_weights_follow_numpys_global_seed_as_in_keras_2(backend):
    np.random.seed(42)
    model = Sequential([Dense(3, input_dim=4)])
    kernel, bias = model.get_weights()
    # The kernel's op seed is np.random.randint(10e6) right after the seed, as in Keras 2.
    assert_matches_tf(kernel, 'dense_4x3_numpy_seed_42')
    np.testing.assert_array_equal(bias, np.zeros(3, np.float32))

    np.random.seed(42)
    again = Sequential([Dense(3, input_dim=4)]).get_weights()[0]
    np.testing.assert_array_equal(again, kernel)


def test_k_random_variables_draw_tensorflows_numbers(backend):
    c = case('uniform_f32_b')
    got = backend.eval(backend.random_uniform_variable(tuple(c['shape']), c['a'], c['b'],
                                                       seed=c['seed']))
    assert_matches_tf(got, 'uniform_f32_b')
    c = case('normal_f32_a')
    got = backend.eval(backend.random_normal_variable(tuple(c['shape']), c['a'], c['b'],
                                                      seed=c['seed']))
    assert_matches_tf(got, 'normal_f32_a')


def test_unseeded_k_random_variables_draw_their_seed_as_keras_2(backend):
    # Keras 2 drew these variables' seeds with randint(10e8), not the ops' randint(10e6).
    expected_seeds = np.random.RandomState(11).randint(10e8, size=2)
    np.random.seed(11)
    uniform = backend.eval(backend.random_uniform_variable((6, 4), -2., 3.))
    normal = backend.eval(backend.random_normal_variable((6, 4), 1., 0.5))
    np.testing.assert_array_equal(uniform, backend.eval(backend.random_uniform_variable(
        (6, 4), -2., 3., seed=expected_seeds[0])))
    np.testing.assert_array_equal(normal, backend.eval(backend.random_normal_variable(
        (6, 4), 1., 0.5, seed=expected_seeds[1])))


def test_float64_weights_draw_tensorflows_float64_numbers(backend):
    c = case('uniform_f64')
    got = backend.eval(initializers.RandomUniform(c['a'], c['b'], seed=c['seed'])(
        tuple(c['shape']), dtype='float64'))
    assert_matches_tf(got, 'uniform_f64')


_WEIGHTS_SCRIPT = '''
import json, sys
import numpy as np
import pytest
np.random.seed(7)
from cornu.layers import Dense, Embedding, LSTM, Conv1D
from cornu.models import Sequential
model = Sequential([Embedding(50, 8, input_length=6), Conv1D(4, 3), LSTM(5),
                    Dense(3, kernel_initializer='he_normal')])
json.dump([w.tolist() for w in model.get_weights()], sys.stdout)
'''


def _weights_on(engine):
    env = dict(os.environ, CORNU_BACKEND=engine,
               PYTHONPATH=os.pathsep.join([_ROOT, os.environ.get('PYTHONPATH', '')]))
    result = subprocess.run([sys.executable, '-c', _WEIGHTS_SCRIPT], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return [np.asarray(w) for w in json.loads(result.stdout)]


def _installed(module):
    return importlib.util.find_spec(module) is not None


# CI installs the engines one after the other: this runs once both are there (the JAX pass).
@pytest.mark.skipif(not (_installed('torch') and _installed('jax')),
                    reason='compares the two engines: needs both torch and jax installed')
def test_same_seed_gives_the_same_weights_on_both_engines(backend):
    on_torch = _weights_on('torch')
    on_jax = _weights_on('jax')
    assert len(on_torch) == len(on_jax) == 8
    for a, b in zip(on_torch, on_jax):
        np.testing.assert_array_equal(a, b)
    # Not all zeros or all equal: the draws are real.
    assert np.std(on_torch[0]) > 0.01
