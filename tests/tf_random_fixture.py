"""TensorFlow's random draws for a few shapes and seeds (`tests/fixtures/tf_random`), and the
comparison the seeding tests make against them."""
import json
import os

import numpy as np

_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'tf_random')


def cases():
    """The fixture's cases: dicts of name, op, shape, dtype, seed and the op's two numbers
    `a`, `b` ((minval, maxval) for uniform, (mean, stddev) otherwise)."""
    with open(os.path.join(_DIR, 'cases.json')) as f:
        return json.load(f)


def case(name):
    return next(c for c in cases() if c['name'] == name)


def tf_values(name):
    """TensorFlow's values for the case `name`."""
    with np.load(os.path.join(_DIR, 'tf_random.npz')) as arrays:
        return arrays[name]


def assert_matches_tf(got, name):
    """`got` equals TensorFlow's values for case `name`: uniform draws bit for bit; normal
    ones bit for bit but for a few values off by an ulp or two, where TensorFlow's `logf`,
    `sinf` or `cosf` round differently from correctly rounded results."""
    expected = tf_values(name)
    got = np.asarray(got)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    # float64 normals matched exactly where measured, but NumPy's float64 log/sin/cos may be
    # SIMD versions on other machines: held to the same bound as float32.
    if case(name)['op'] == 'uniform':
        np.testing.assert_array_equal(got, expected)
        return
    np.testing.assert_allclose(got, expected, rtol=0,
                               atol=2 * np.spacing(np.abs(expected).max()))
    # About 1.5% of Box-Muller values differ in the last bit; scaling can carry that further.
    assert np.sum(got != expected) <= 2 + 0.05 * got.size, 'more than a few values differ'
