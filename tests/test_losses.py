"""cornu.losses against NumPy reference formulas (Keras 2.2.4 semantics)."""
import numpy as np
import pytest

from cornu import losses

EPS = 1e-7
# `1 - epsilon` as float32 computes it (0.99999988): what the clipped float32 losses use.
ONE_MINUS_EPS = float(np.float32(1) - np.float32(EPS))


# NumPy references, computed in float64. Each reduces the last axis, as Keras 2.2.4 did.

def _np_categorical_crossentropy(t, p):
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.clip(p, EPS, ONE_MINUS_EPS)
    return -np.sum(t * np.log(p), axis=-1)


def _np_sparse_categorical_crossentropy(labels, p):
    # Keras 2.2.4 (TF) took log(clip(p)) as logits of a softmax crossentropy: the clipped
    # probabilities are normalized by their sum.
    labels = labels.astype('int64').reshape(p.shape[:-1])
    p = np.clip(p, EPS, ONE_MINUS_EPS)
    picked = np.take_along_axis(p, labels[..., None], axis=-1)[..., 0]
    return -np.log(picked) + np.log(p.sum(axis=-1))


def _np_binary_crossentropy(t, p):
    p = np.clip(p, EPS, ONE_MINUS_EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def _np_l2_normalize(x):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))


def _np_kld(t, p):
    t = np.clip(t, EPS, 1)
    p = np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def _np_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


REFERENCES = {
    'mean_squared_error': lambda t, p: np.mean((p - t) ** 2, axis=-1),
    'mean_absolute_error': lambda t, p: np.mean(np.abs(p - t), axis=-1),
    'mean_absolute_percentage_error': lambda t, p: 100 * np.mean(
        np.abs((t - p) / np.clip(np.abs(t), EPS, None)), axis=-1),
    'mean_squared_logarithmic_error': lambda t, p: np.mean(
        (np.log(np.clip(p, EPS, None) + 1) - np.log(np.clip(t, EPS, None) + 1)) ** 2, axis=-1),
    'squared_hinge': lambda t, p: np.mean(np.maximum(1 - t * p, 0) ** 2, axis=-1),
    'hinge': lambda t, p: np.mean(np.maximum(1 - t * p, 0), axis=-1),
    'categorical_hinge': _np_categorical_hinge,
    'logcosh': lambda t, p: np.mean(np.log(np.cosh(p - t)), axis=-1),
    'categorical_crossentropy': _np_categorical_crossentropy,
    'sparse_categorical_crossentropy': _np_sparse_categorical_crossentropy,
    'binary_crossentropy': _np_binary_crossentropy,
    'kullback_leibler_divergence': _np_kld,
    'poisson': lambda t, p: np.mean(p - t * np.log(p + EPS), axis=-1),
    'cosine_proximity': lambda t, p: -np.sum(_np_l2_normalize(t) * _np_l2_normalize(p),
                                             axis=-1),
}

# Which kind of (y_true, y_pred) each loss is tested on.
DATA_KIND = {
    'mean_squared_error': 'real',
    'mean_absolute_error': 'real',
    'mean_absolute_percentage_error': 'real_with_zeros',
    'mean_squared_logarithmic_error': 'positive',
    'squared_hinge': 'signs',
    'hinge': 'signs',
    'categorical_hinge': 'onehot_scores',
    'logcosh': 'real',
    'categorical_crossentropy': 'onehot_probs',
    'sparse_categorical_crossentropy': 'labels_probs',
    'binary_crossentropy': 'binary_probs',
    'kullback_leibler_divergence': 'two_distributions',
    'poisson': 'counts',
    'cosine_proximity': 'real',
}


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _make_data(kind, shape, rng):
    """Float32 `(y_true, y_pred)` arrays of `shape` for a kind of loss."""
    classes = shape[-1]
    if kind == 'real':
        t, p = rng.randn(*shape), rng.randn(*shape)
    elif kind == 'real_with_zeros':
        t = rng.randn(*shape)
        t.flat[::3] = 0.  # clipped to epsilon in the denominator
        p = rng.randn(*shape)
    elif kind == 'positive':
        t, p = rng.rand(*shape) * 3, rng.rand(*shape) * 3 - 0.5  # some predictions below 0
    elif kind == 'signs':
        t, p = rng.choice([-1., 1.], size=shape), rng.randn(*shape)
    elif kind == 'onehot_scores':
        t = np.eye(classes)[rng.randint(classes, size=shape[:-1])]
        p = rng.randn(*shape)
    elif kind == 'onehot_probs':
        t = np.eye(classes)[rng.randint(classes, size=shape[:-1])]
        p = _softmax(rng.randn(*shape))
    elif kind == 'labels_probs':
        t = rng.randint(classes, size=shape[:-1] + (1,)).astype('float64')
        p = _softmax(rng.randn(*shape))
    elif kind == 'binary_probs':
        t = rng.randint(2, size=shape).astype('float64')
        p = rng.rand(*shape)
        p.flat[0], p.flat[1] = 0., 1.  # clipped to [epsilon, 1 - epsilon]
    elif kind == 'two_distributions':
        t = _softmax(rng.randn(*shape) * 2)
        t.flat[0] = 0.  # clipped to epsilon
        p = _softmax(rng.randn(*shape) * 2)
    elif kind == 'counts':
        t, p = rng.poisson(2., size=shape).astype('float64'), rng.rand(*shape) * 4 + 0.1
    else:
        raise AssertionError(kind)
    return t.astype('float32'), p.astype('float32')


ALL_LOSSES = sorted(REFERENCES)


def _loss(K, name, t, p):
    return K.eval(getattr(losses, name)(K.constant(t), K.variable(p)))


@pytest.mark.parametrize('shape', [(6, 4), (3, 2, 5)], ids=['2d', '3d'])
@pytest.mark.parametrize('name', ALL_LOSSES)
def test_loss_matches_reference(backend, name, shape):
    K = backend
    t, p = _make_data(DATA_KIND[name], shape, np.random.RandomState(len(name)))
    out = _loss(K, name, t, p)
    expected = REFERENCES[name](t.astype('float64'), p.astype('float64'))
    assert out.shape == shape[:-1]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_logcosh_is_stable_for_large_errors(backend):
    K = backend
    t = np.zeros((2, 3), dtype='float32')
    p = np.array([[100., -200., 1e-3], [50., 0., -1e4]], dtype='float32')
    out = _loss(K, 'logcosh', t, p)
    # log(cosh(x)) = |x| - log(2) for large |x| and x^2 / 2 for small x.
    big = lambda x: np.abs(x) - np.log(2.)
    expected = [(big(100.) + big(-200.) + 0.5e-6) / 3, (big(50.) + 0. + big(-1e4)) / 3]
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_crossentropies_stay_finite_at_saturated_probabilities(backend):
    K = backend
    t = np.array([[0., 1., 0.], [1., 0., 0.]], dtype='float32')
    p = np.array([[1., 0., 0.], [1., 0., 0.]], dtype='float32')
    cce = _loss(K, 'categorical_crossentropy', t, p)
    np.testing.assert_allclose(cce, [-np.log(EPS), -np.log(ONE_MINUS_EPS)], rtol=1e-4, atol=1e-6)
    bce = _loss(K, 'binary_crossentropy', t, p)
    assert np.all(np.isfinite(bce))
    np.testing.assert_allclose(bce, _np_binary_crossentropy(t, p), rtol=1e-4, atol=1e-6)
    kld = _loss(K, 'kullback_leibler_divergence', t, p)
    np.testing.assert_allclose(kld, _np_kld(t.astype('float64'), p.astype('float64')),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('label_shape', [(5,), (5, 1)], ids=['flat', 'column'])
@pytest.mark.parametrize('label_dtype', ['int32', 'int64', 'float32'])
def test_sparse_categorical_crossentropy_labels(backend, label_shape, label_dtype):
    K = backend
    rng = np.random.RandomState(0)
    p = _softmax(rng.randn(5, 4)).astype('float32')
    labels = rng.randint(4, size=label_shape)
    out = K.eval(losses.sparse_categorical_crossentropy(
        K.constant(labels, dtype=label_dtype), K.constant(p)))
    assert out.shape == (5,)
    np.testing.assert_allclose(out, _np_sparse_categorical_crossentropy(labels, p), rtol=1e-5)


@pytest.mark.parametrize('name, kind, dtype', [
    ('mean_squared_error', 'signs', 'int32'),
    ('mean_squared_error', 'binary_probs', 'bool'),
    ('mean_absolute_error', 'binary_probs', 'bool'),
    ('logcosh', 'binary_probs', 'bool'),
    ('mean_absolute_error', 'counts', 'int64'),
    ('mean_absolute_percentage_error', 'counts', 'int32'),
    ('mean_squared_logarithmic_error', 'counts', 'int64'),
    ('hinge', 'signs', 'int32'),
    ('squared_hinge', 'signs', 'int64'),
    ('categorical_hinge', 'onehot_scores', 'int32'),
    ('categorical_hinge', 'onehot_scores', 'bool'),
    ('logcosh', 'counts', 'int32'),
    ('categorical_crossentropy', 'onehot_probs', 'int64'),
    ('binary_crossentropy', 'binary_probs', 'int32'),
    ('binary_crossentropy', 'binary_probs', 'bool'),
    ('kullback_leibler_divergence', 'binary_probs', 'int32'),
    ('poisson', 'counts', 'int64'),
    ('cosine_proximity', 'signs', 'int32'),
])
def test_integer_and_boolean_targets(backend, name, kind, dtype):
    """Targets that are not floating give what the same values as floats give."""
    K = backend
    t, p = _make_data(kind, (4, 3), np.random.RandomState(7))
    fn = getattr(losses, name)
    out = K.eval(fn(K.constant(t.astype(dtype), dtype=dtype), K.constant(p)))
    expected = K.eval(fn(K.constant(t), K.constant(p)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_sparse_categorical_crossentropy_unnormalized_and_saturated(backend):
    K = backend
    p = np.array([[2., 1., 1.], [0., 1., 0.], [1., 0., 0.]], dtype='float32')
    labels = np.array([0, 0, 0])
    out = K.eval(losses.sparse_categorical_crossentropy(K.constant(labels, dtype='int64'),
                                                        K.constant(p)))
    np.testing.assert_allclose(out, _np_sparse_categorical_crossentropy(labels, p),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', ['mean_squared_error', 'hinge', 'categorical_crossentropy',
                                  'sparse_categorical_crossentropy', 'cosine_proximity'])
def test_losses_on_symbolic_tensors(backend, name):
    """Losses applied to placeholders record ops that a `K.function` evaluates."""
    K = backend
    t, p = _make_data(DATA_KIND[name], (4, 3), np.random.RandomState(8))
    y_true = K.placeholder(shape=(None, t.shape[-1]))
    y_pred = K.placeholder(shape=(None, 3))
    loss = getattr(losses, name)(y_true, y_pred)
    assert K.int_shape(loss) == (None,)
    out = K.function([y_true, y_pred], [loss])([t, p])[0]
    np.testing.assert_allclose(out, REFERENCES[name](t.astype('float64'), p.astype('float64')),
                               rtol=1e-5, atol=1e-6)


def test_categorical_crossentropy_gradient(backend):
    K = backend
    rng = np.random.RandomState(3)
    t = np.eye(5)[rng.randint(5, size=4)].astype('float32')
    t[0] = [0.1, 0.2, 0.3, 0.4, 0.]  # a soft target
    # Unnormalized positive predictions: the loss rescales them to sum to 1 first.
    p = (_softmax(rng.randn(4, 5)) * rng.uniform(0.5, 2., size=(4, 1))).astype('float32')
    y_pred = K.placeholder(shape=(4, 5))
    loss = losses.categorical_crossentropy(K.constant(t), y_pred)
    grad = K.function([y_pred], K.gradients(K.sum(loss), [y_pred]))([p])[0]
    # d/dp_j of -sum_i t_i log(p_i / s), s = sum_i p_i:  -t_j / p_j + sum_i(t_i) / s.
    p64, t64 = p.astype('float64'), t.astype('float64')
    expected = -t64 / p64 + t64.sum(-1, keepdims=True) / p64.sum(-1, keepdims=True)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-5)


def test_mean_squared_error_gradient(backend):
    K = backend
    rng = np.random.RandomState(4)
    t, p = rng.randn(3, 4).astype('float32'), rng.randn(3, 4).astype('float32')
    y_pred = K.placeholder(shape=(3, 4))
    loss = losses.mse(K.constant(t), y_pred)
    grad = K.function([y_pred], K.gradients(K.mean(loss), [y_pred]))([p])[0]
    # mean over 3 samples of mean over 4 outputs of (p - t)^2.
    np.testing.assert_allclose(grad, 2 * (p - t) / (3 * 4), rtol=1e-5, atol=1e-7)


ALIASES = [
    ('mse', 'mean_squared_error'), ('MSE', 'mean_squared_error'),
    ('mae', 'mean_absolute_error'), ('MAE', 'mean_absolute_error'),
    ('mape', 'mean_absolute_percentage_error'), ('MAPE', 'mean_absolute_percentage_error'),
    ('msle', 'mean_squared_logarithmic_error'), ('MSLE', 'mean_squared_logarithmic_error'),
    ('kld', 'kullback_leibler_divergence'), ('KLD', 'kullback_leibler_divergence'),
    ('cosine', 'cosine_proximity'),
]


@pytest.mark.parametrize('alias, name', ALIASES)
def test_aliases(alias, name):
    fn = getattr(losses, name)
    assert getattr(losses, alias) is fn
    assert losses.get(alias) is fn
    assert losses.deserialize(alias) is fn
    assert losses.serialize(getattr(losses, alias)) == name


@pytest.mark.parametrize('name', ALL_LOSSES)
def test_serialize_round_trip(name):
    fn = getattr(losses, name)
    assert losses.serialize(fn) == name
    assert losses.deserialize(losses.serialize(fn)) is fn
    assert losses.get(name) is fn


def test_get_identifiers():
    assert losses.get(None) is None

    def my_loss(y_true, y_pred):
        return y_pred - y_true

    assert losses.get(my_loss) is my_loss
    assert losses.deserialize('my_loss', custom_objects={'my_loss': my_loss}) is my_loss


def test_unknown_identifiers_raise():
    with pytest.raises(ValueError, match='Unknown loss function: no_such_loss'):
        losses.get('no_such_loss')
    # Module-level names that are not losses are not resolved.
    with pytest.raises(ValueError, match='Unknown loss function: K'):
        losses.deserialize('K')
    with pytest.raises(ValueError, match='Could not interpret loss function identifier: 42'):
        losses.get(42)
