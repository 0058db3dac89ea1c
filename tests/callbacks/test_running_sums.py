"""The BaseLogger's running sums (`LazyWeightedSum`): terms kept on the device, folded in
fixed-length compiled calls, read once."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.callbacks.base import LazyWeightedSum, results


def _scalars(values, dtype='float32'):
    return [K.constant(v, dtype=dtype) for v in values]


@pytest.mark.parametrize('count', [1, 63, 64, 65, 200])
def test_weighted_scalar_terms_across_folds(count):
    rng = np.random.RandomState(count)
    values = rng.randn(count).astype('float32')
    weights = rng.randint(1, 129, size=count).astype('float64')
    total = LazyWeightedSum()
    for value, weight in zip(_scalars(values), weights):
        total.add(value, weight)
    expected = np.sum(values.astype('float64') * weights)
    result = total.result()
    assert isinstance(result, float)
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_fold_matches_the_float32_product_and_sum_of_each_chunk():
    # The device sums each chunk of 64 in float32: compare with that order, not float64.
    rng = np.random.RandomState(0)
    values = (rng.randn(128) * 1000).astype('float32')
    weights = rng.randint(1, 129, size=128).astype('float32')
    total = LazyWeightedSum()
    for value, weight in zip(_scalars(values), weights):
        total.add(value, float(weight))
    chunks = [np.sum(values[i:i + 64] * weights[i:i + 64], dtype='float32')
              for i in (0, 64)]
    expected = np.float32(np.float32(0) + chunks[0]) + chunks[1]
    np.testing.assert_allclose(total.result(), expected, rtol=1e-6)


def test_host_values_and_device_values_add_up():
    total = LazyWeightedSum()
    total.add(2.5, 4)              # a Python float: summed on the host
    total.add(np.float32(1.5), 2)  # a NumPy scalar: on the host too
    for value in _scalars([1., 2., 3.]):
        total.add(value, 10)
    assert total.result() == pytest.approx(2.5 * 4 + 1.5 * 2 + 60.)


def test_terms_of_mixed_dtypes_are_summed_on_the_host():
    total = LazyWeightedSum()
    total.add(K.constant(1.25, dtype='float32'), 2)
    total.add(K.constant(0.5, dtype='float64'), 3)
    assert total.result() == pytest.approx(1.25 * 2 + 0.5 * 3)


def test_array_terms_give_an_array():
    total = LazyWeightedSum()
    total.add(K.constant([1., 2.], dtype='float32'), 2)
    total.add(K.constant([3., 5.], dtype='float32'), 1)
    np.testing.assert_allclose(total.result(), [5., 9.])


def test_results_reads_several_sums_together():
    sums = [LazyWeightedSum() for _ in range(3)]
    for index, total in enumerate(sums):
        for value in _scalars(np.arange(70, dtype='float32') * (index + 1)):
            total.add(value, 0.5)
    expected = [0.5 * np.arange(70).sum() * (index + 1) for index in range(3)]
    np.testing.assert_allclose(results(sums), expected, rtol=1e-6)


def test_float64_terms_keep_their_precision():
    total = LazyWeightedSum()
    values = [1e-12, 1., -1.]
    for value in _scalars(values, 'float64'):
        total.add(value, 1.)
    assert total.result() == pytest.approx(1e-12, rel=1e-6)


def test_folds_with_the_same_weights_share_one_weights_tensor():
    from cornu.callbacks.base import _WeightedSums
    sums = _WeightedSums()
    terms = _scalars(np.arange(64, dtype='float32'))
    first = sums.add(None, terms, [32] * 64, 64)
    second = sums.add(first, terms, [32.0] * 64, 64)
    # The weights 32 and 32.0 are one key: one constant for both folds.
    assert len(sums._weights) == 1
    np.testing.assert_allclose(K.get_value(second), 2 * 32 * np.arange(64).sum(), rtol=1e-6)
    # Partial folds (the last of an epoch) are padded with zero weights: a key of their own.
    third = sums.add(second, terms[:10], [32] * 10, 64)
    assert len(sums._weights) == 2
    np.testing.assert_allclose(K.get_value(third),
                               32 * (2 * np.arange(64).sum() + np.arange(10).sum()), rtol=1e-6)


def test_the_kept_weights_are_bounded_and_still_right():
    from cornu.callbacks.base import _WeightedSums
    sums = _WeightedSums()
    terms = _scalars(np.ones(64, dtype='float32'))
    total = None
    expected = 0.
    for weight in range(1, 3 * _WeightedSums._KEPT_WEIGHTS):
        total = sums.add(total, terms, [weight] * 64, 64)
        expected += 64 * weight
        assert len(sums._weights) <= _WeightedSums._KEPT_WEIGHTS
    np.testing.assert_allclose(K.get_value(total), expected, rtol=1e-6)
    # The most recently used weights are the ones kept.
    assert (K.floatx(), tuple([3 * _WeightedSums._KEPT_WEIGHTS - 1.] * 64)) in sums._weights
