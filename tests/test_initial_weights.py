"""Initial weights do not depend on the engine: the draws are made with NumPy, so a seed
(`np.random.seed(...)` at the top of a script, or an initializer's `seed=`) gives the same
weights on PyTorch and on JAX."""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cornu import initializers
from cornu.layers import Dense, Embedding, LSTM
from cornu.models import Sequential

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _expected_uniform(seed, shape, low, high):
    """The documented draw: PCG64 seeded with `seed`, float32 numbers in [0, 1) scaled."""
    values = np.random.default_rng(seed).random(shape, dtype=np.float32)
    return values * np.float32(high - low) + np.float32(low)


def _expected_truncated_normal(seed, shape, stddev):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape, dtype=np.float32).reshape(-1)
    rejected = np.flatnonzero(np.abs(values) >= 2.)
    while rejected.size:
        values[rejected] = rng.standard_normal(rejected.size, dtype=np.float32)
        rejected = rejected[np.abs(values[rejected]) >= 2.]
    return values.reshape(shape) * np.float32(stddev)


def test_seeded_initializers_draw_the_documented_numbers(backend):
    got = backend.eval(initializers.RandomUniform(-0.2, 0.3, seed=11)((6, 4)))
    np.testing.assert_array_equal(got, _expected_uniform(11, (6, 4), -0.2, 0.3))

    got = backend.eval(initializers.RandomNormal(0.5, 2., seed=12)((5, 3)))
    expected = (np.random.default_rng(12).standard_normal((5, 3), dtype=np.float32) *
                np.float32(2.) + np.float32(0.5))
    np.testing.assert_array_equal(got, expected)

    # he_normal: truncated normal of stddev sqrt(2 / fan_in), divided by the truncated
    # standard normal's own standard deviation.
    got = backend.eval(initializers.he_normal(seed=13)((300, 40)))
    stddev = np.sqrt(2. / 300) / .87962566103423978
    np.testing.assert_allclose(got, _expected_truncated_normal(13, (300, 40), stddev),
                               rtol=1e-6)


def test_unseeded_weights_follow_numpys_global_seed(backend):
    np.random.seed(42)
    layer = Dense(3, input_dim=4)
    model = Sequential([layer])
    kernel = model.get_weights()[0]
    # The kernel's draw takes its seed from NumPy's global generator, as Keras 2 did.
    seed = np.random.RandomState(42).randint(10e6)
    limit = np.sqrt(6. / (4 + 3))
    np.testing.assert_allclose(kernel, _expected_uniform(seed, (4, 3), -limit, limit),
                               rtol=1e-6)

    np.random.seed(42)
    again = Sequential([Dense(3, input_dim=4)]).get_weights()[0]
    np.testing.assert_array_equal(again, kernel)


def test_k_random_variables_are_engine_independent(backend):
    got = backend.eval(backend.random_uniform_variable((4, 5), -1., 2., seed=3))
    np.testing.assert_array_equal(got, _expected_uniform(3, (4, 5), -1., 2.))
    got = backend.eval(backend.random_normal_variable((4, 5), 1., 3., seed=4))
    expected = (np.random.default_rng(4).standard_normal((4, 5), dtype=np.float32) *
                np.float32(3.) + np.float32(1.))
    np.testing.assert_array_equal(got, expected)


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
