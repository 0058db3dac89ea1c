"""`host_random`'s float draws are TensorFlow 1's (Philox under the default graph seed, the
op seed from the caller), scaled as Keras 2's TensorFlow backend scaled them."""
import numpy as np
import pytest

from cornu.backend import host_random, philox
from tests.tf_random_fixture import assert_matches_tf, case, cases

_DRAW = {'uniform': host_random.uniform, 'normal': host_random.normal,
         'truncated': host_random.truncated_normal}


@pytest.mark.parametrize('name', [c['name'] for c in cases()])
def test_draws_match_tensorflow(name):
    c = case(name)
    got = _DRAW[c['op']](tuple(c['shape']), c['a'], c['b'], np.dtype(c['dtype']), c['seed'])
    assert_matches_tf(got, name)


def test_philox_known_answer():
    # Philox4x32-10's published known-answer vector: counter and key all ones.
    key = 0xFFFFFFFF | (0xFFFFFFFF << 32)
    got = philox.words([2 ** 64 - 1], 2 ** 64 - 1, seed=key)
    np.testing.assert_array_equal(
        got[0], np.array([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd], np.uint32))


def test_unseeded_draw_takes_its_seed_from_numpy():
    np.random.seed(3)
    got = host_random.uniform((2, 3), -1., 1., np.float32, None)
    seed = np.random.RandomState(3).randint(10e6)
    np.testing.assert_array_equal(got, host_random.uniform((2, 3), -1., 1., np.float32, seed))


def test_truncated_normal_stays_within_two_stddev_and_is_normal_inside():
    values = host_random.truncated_normal((200, 300), 1., 0.5, np.float32, 7)
    assert values.dtype == np.float32
    assert np.all(np.abs(values - 1.) < 1.)
    # The standard normal truncated to (-2, 2) has standard deviation 0.8796.
    assert abs(np.std(values) / 0.5 - 0.8796) < 0.01
    assert abs(np.mean(values) - 1.) < 0.005


def test_narrow_floats_are_rounded_from_a_float32_draw():
    got = host_random.uniform((50,), -1., 1., np.float16, 9)
    wide = host_random.uniform((50,), -1., 1., np.float32, 9)
    assert got.dtype == np.float16 and np.all(got < 1.)
    np.testing.assert_array_equal(got, np.minimum(wide.astype(np.float16),
                                                  np.nextafter(np.float16(1), np.float16(0))))


def test_integer_uniform_stays_in_range():
    got = host_random.uniform((1000,), 3, 7, np.int32, 5)
    assert got.dtype == np.int32 and got.min() == 3 and got.max() == 6
