"""cornu.metrics against NumPy reference formulas (Keras 2.2.4 semantics)."""
import numpy as np
import pytest

from cornu import losses, metrics


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_in_top_k(p, targets, k):
    """Whether `p[i, targets[i]]` is among the `k` largest of row `i` (ties count as in)."""
    target_scores = p[np.arange(len(p)), targets][:, None]
    return (p > target_scores).sum(axis=-1) < k


@pytest.mark.parametrize('shape', [(8, 3), (2, 4, 3)], ids=['2d', '3d'])
@pytest.mark.parametrize('dtype', ['float32', 'int32', 'bool'])
def test_binary_accuracy(backend, shape, dtype):
    K = backend
    rng = np.random.RandomState(0)
    t = rng.randint(2, size=shape)
    p = rng.rand(*shape).astype('float32')
    out = K.eval(metrics.binary_accuracy(K.constant(t, dtype=dtype), K.variable(p)))
    assert out.shape == shape[:-1]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.mean(t == np.round(p), axis=-1), rtol=1e-6)


def test_binary_accuracy_rounds_half_to_even(backend):
    K = backend
    out = K.eval(metrics.binary_accuracy(K.constant([[0., 1., 1., 0.]]),
                                         K.constant([[0.5, 0.5, 0.51, 0.49]])))
    # round(0.5) is 0, as with tf.round.
    np.testing.assert_allclose(out, [0.75])


@pytest.mark.parametrize('shape', [(8, 4), (2, 3, 4)], ids=['2d', '3d'])
@pytest.mark.parametrize('dtype', ['float32', 'int64', 'bool'])
def test_categorical_accuracy(backend, shape, dtype):
    K = backend
    rng = np.random.RandomState(1)
    labels = rng.randint(4, size=shape[:-1])
    t = np.eye(4)[labels]
    p = rng.rand(*shape).astype('float32')
    out = K.eval(metrics.categorical_accuracy(K.constant(t, dtype=dtype), K.variable(p)))
    assert out.shape == shape[:-1]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, (labels == p.argmax(-1)).astype('float32'))


@pytest.mark.parametrize('label_shape, pred_shape', [
    ((8, 1), (8, 4)), ((8,), (8, 4)), ((2, 3, 1), (2, 3, 4)),
], ids=['column', 'flat', '3d'])
@pytest.mark.parametrize('dtype', ['float32', 'int32', 'int64'])
def test_sparse_categorical_accuracy(backend, label_shape, pred_shape, dtype):
    K = backend
    rng = np.random.RandomState(2)
    labels = rng.randint(4, size=label_shape)
    p = rng.rand(*pred_shape).astype('float32')
    out = K.eval(metrics.sparse_categorical_accuracy(K.constant(labels, dtype=dtype),
                                                     K.variable(p)))
    assert out.shape == pred_shape[:-1]
    assert out.dtype == np.float32
    expected = labels.reshape(pred_shape[:-1]) == p.argmax(-1)
    np.testing.assert_array_equal(out, expected.astype('float32'))


@pytest.mark.parametrize('k', [1, 2, 5])
def test_top_k_categorical_accuracy(backend, k):
    K = backend
    rng = np.random.RandomState(3)
    labels = rng.randint(6, size=10)
    t = np.eye(6, dtype='float32')[labels]
    p = rng.rand(10, 6).astype('float32')
    out = K.eval(metrics.top_k_categorical_accuracy(K.constant(t), K.variable(p), k=k))
    # Keras 2.2.4 averages the per-sample hits over the batch: a scalar.
    assert out.shape == ()
    np.testing.assert_allclose(out, np.mean(_np_in_top_k(p, labels, k)), rtol=1e-6)


def test_top_k_categorical_accuracy_default_k_is_5(backend):
    K = backend
    p = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]], dtype='float32')
    # Class 2 is the 5th largest, class 1 the 6th.
    hit = metrics.top_k_categorical_accuracy(K.constant(np.eye(7)[[2]]), K.constant(p))
    miss = metrics.top_k_categorical_accuracy(K.constant(np.eye(7)[[1]]), K.constant(p))
    assert float(K.eval(hit)) == 1.
    assert float(K.eval(miss)) == 0.


@pytest.mark.parametrize('label_shape', [(10,), (10, 1)], ids=['flat', 'column'])
@pytest.mark.parametrize('dtype', ['float32', 'int32', 'int64'])
@pytest.mark.parametrize('k', [1, 3])
def test_sparse_top_k_categorical_accuracy(backend, label_shape, dtype, k):
    K = backend
    rng = np.random.RandomState(4)
    labels = rng.randint(6, size=label_shape)
    p = rng.rand(10, 6).astype('float32')
    out = K.eval(metrics.sparse_top_k_categorical_accuracy(
        K.constant(labels, dtype=dtype), K.variable(p), k=k))
    assert out.shape == ()
    np.testing.assert_allclose(out, np.mean(_np_in_top_k(p, labels.reshape(-1), k)),
                               rtol=1e-6)


LOSS_NAMES = [
    'mean_squared_error', 'mean_absolute_error', 'mean_absolute_percentage_error',
    'mean_squared_logarithmic_error', 'squared_hinge', 'hinge', 'categorical_hinge', 'logcosh',
    'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy',
    'kullback_leibler_divergence', 'poisson', 'cosine_proximity',
]
METRIC_NAMES = ['binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy',
                'top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy']


@pytest.mark.parametrize('name', LOSS_NAMES)
def test_losses_are_metrics(name):
    fn = getattr(losses, name)
    assert getattr(metrics, name) is fn
    assert metrics.get(name) is fn


def test_loss_as_metric_computes(backend):
    K = backend
    rng = np.random.RandomState(5)
    t, p = rng.randn(4, 3).astype('float32'), rng.randn(4, 3).astype('float32')
    out = K.eval(metrics.get('mae')(K.constant(t), K.constant(p)))
    np.testing.assert_allclose(out, np.mean(np.abs(p - t), axis=-1), rtol=1e-6)


@pytest.mark.parametrize('alias, name', [
    ('mse', 'mean_squared_error'), ('MSE', 'mean_squared_error'),
    ('mae', 'mean_absolute_error'), ('MAE', 'mean_absolute_error'),
    ('mape', 'mean_absolute_percentage_error'), ('MAPE', 'mean_absolute_percentage_error'),
    ('msle', 'mean_squared_logarithmic_error'), ('MSLE', 'mean_squared_logarithmic_error'),
    ('cosine', 'cosine_proximity'),
])
def test_aliases(alias, name):
    fn = getattr(losses, name)
    assert getattr(metrics, alias) is fn
    assert metrics.get(alias) is fn
    assert metrics.serialize(getattr(metrics, alias)) == name


@pytest.mark.parametrize('name', METRIC_NAMES + LOSS_NAMES)
def test_serialize_round_trip(name):
    fn = getattr(metrics, name)
    assert metrics.serialize(fn) == name
    assert metrics.deserialize(metrics.serialize(fn)) is fn
    assert metrics.get(name) is fn


def test_get_identifiers():
    def my_metric(y_true, y_pred):
        return y_pred

    assert metrics.get(my_metric) is my_metric
    assert metrics.deserialize('my_metric', custom_objects={'my_metric': my_metric}) is my_metric


def test_unknown_identifiers_raise():
    with pytest.raises(ValueError, match='Unknown metric function: no_such_metric'):
        metrics.get('no_such_metric')
    # 'accuracy' / 'acc' are resolved by the training loop from the loss, not here.
    with pytest.raises(ValueError, match='Unknown metric function: acc'):
        metrics.get('acc')
    with pytest.raises(ValueError, match='Unknown metric function: K'):
        metrics.deserialize('K')
    with pytest.raises(ValueError, match='Could not interpret metric function identifier: 42'):
        metrics.get(42)
    with pytest.raises(ValueError, match='Could not interpret metric function identifier: None'):
        metrics.get(None)
