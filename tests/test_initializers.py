"""cornu.initializers: values, seeded reproducibility and statistics against the Keras 2.2.4
formulas (written out here in NumPy)."""
import numpy as np
import pytest

from cornu import initializers

TRUNC_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


def _fans(shape):
    """Keras 2.2.4 fan computation (channels_last kernels)."""
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    if len(shape) in (3, 4, 5):
        receptive = float(np.prod(shape[:-2]))
        return shape[-2] * receptive, shape[-1] * receptive
    root = np.sqrt(np.prod(shape))
    return root, root


def _values(K, init, shape, dtype=None):
    out = init(shape, dtype=dtype) if dtype else init(shape)
    assert K.is_tensor(out)
    assert tuple(K.int_shape(out)) == tuple(shape)
    assert K.dtype(out) == (dtype or K.floatx())
    return K.eval(out).astype('float64')


def test_constant_initializers(backend):
    K = backend
    np.testing.assert_array_equal(_values(K, initializers.Zeros(), (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(_values(K, initializers.Ones(), (4,)), np.ones(4))
    np.testing.assert_array_equal(_values(K, initializers.Constant(0.25), (2, 2)),
                                  np.full((2, 2), 0.25))
    np.testing.assert_array_equal(_values(K, initializers.Constant(3.), (2,), 'float64'),
                                  [3., 3.])


@pytest.mark.parametrize('make', [
    lambda seed: initializers.RandomNormal(seed=seed),
    lambda seed: initializers.RandomUniform(seed=seed),
    lambda seed: initializers.TruncatedNormal(seed=seed),
    lambda seed: initializers.VarianceScaling(seed=seed),
    lambda seed: initializers.VarianceScaling(distribution='uniform', seed=seed),
    lambda seed: initializers.Orthogonal(seed=seed),
])
def test_seeded_initializers_repeat_and_unseeded_differ(backend, make):
    K = backend
    shape = (6, 5)
    first = _values(K, make(7), shape)
    np.testing.assert_array_equal(first, _values(K, make(7), shape))
    seeded = make(7)
    np.testing.assert_array_equal(K.eval(seeded(shape)), K.eval(seeded(shape)))
    assert not np.array_equal(first, _values(K, make(8), shape))
    unseeded = make(None)
    assert not np.array_equal(K.eval(unseeded(shape)), K.eval(unseeded(shape)))


def test_random_normal_statistics(backend):
    K = backend
    w = _values(K, initializers.RandomNormal(mean=1., stddev=0.5, seed=1), (100, 100))
    assert abs(w.mean() - 1.) < 0.02
    assert abs(w.std() - 0.5) < 0.02


def test_random_uniform_statistics(backend):
    K = backend
    w = _values(K, initializers.RandomUniform(minval=-0.2, maxval=0.6, seed=1), (100, 100))
    assert w.min() >= -0.2 and w.max() <= 0.6
    assert abs(w.mean() - 0.2) < 0.01
    assert abs(w.std() - 0.8 / np.sqrt(12)) < 0.01


def test_truncated_normal_statistics(backend):
    K = backend
    w = _values(K, initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=1), (100, 100))
    assert w.min() >= 0.5 - 0.2 - 1e-6 and w.max() <= 0.5 + 0.2 + 1e-6
    assert abs(w.mean() - 0.5) < 0.005
    assert abs(w.std() - 0.1 * TRUNC_STD) < 0.005


@pytest.mark.parametrize('shape', [(60, 80), (3, 3, 16, 32), (5, 24, 40), (5000,)])
@pytest.mark.parametrize('mode', ['fan_in', 'fan_out', 'fan_avg'])
@pytest.mark.parametrize('distribution', ['normal', 'uniform'])
def test_variance_scaling_statistics(backend, shape, mode, distribution):
    K = backend
    fan_in, fan_out = _fans(shape)
    n = {'fan_in': fan_in, 'fan_out': fan_out, 'fan_avg': (fan_in + fan_out) / 2.}[mode]
    scale = 1.5 / max(1., n)
    init = initializers.VarianceScaling(scale=1.5, mode=mode, distribution=distribution,
                                        seed=3)
    w = _values(K, init, shape)
    target_std = np.sqrt(scale)
    if distribution == 'normal':
        stddev = np.sqrt(scale) / TRUNC_STD
        assert np.abs(w).max() <= 2 * stddev * (1 + 1e-5)
    else:
        limit = np.sqrt(3. * scale)
        assert np.abs(w).max() <= limit * (1 + 1e-6)
        assert np.abs(w).max() > 0.9 * limit
    assert abs(w.std() - target_std) < 0.08 * target_std
    assert abs(w.mean()) < 0.1 * target_std


@pytest.mark.parametrize('name, scale, mode, distribution', [
    ('lecun_uniform', 1., 'fan_in', 'uniform'),
    ('glorot_normal', 1., 'fan_avg', 'normal'),
    ('glorot_uniform', 1., 'fan_avg', 'uniform'),
    ('he_normal', 2., 'fan_in', 'normal'),
    ('lecun_normal', 1., 'fan_in', 'normal'),
    ('he_uniform', 2., 'fan_in', 'uniform'),
])
def test_named_variance_scaling_initializers(backend, name, scale, mode, distribution):
    K = backend
    init = getattr(initializers, name)(seed=5)
    assert isinstance(init, initializers.VarianceScaling)
    assert init.get_config() == {'scale': scale, 'mode': mode, 'distribution': distribution,
                                 'seed': 5}
    from_string = initializers.get(name)
    assert isinstance(from_string, initializers.VarianceScaling)
    assert from_string.get_config()['seed'] is None
    assert from_string.get_config()['mode'] == mode
    # Same numbers as the equivalent VarianceScaling.
    np.testing.assert_array_equal(
        _values(K, init, (8, 4)),
        _values(K, initializers.VarianceScaling(scale, mode, distribution, seed=5), (8, 4)))


def test_variance_scaling_argument_errors(backend):
    with pytest.raises(ValueError, match='scale'):
        initializers.VarianceScaling(scale=0.)
    with pytest.raises(ValueError, match='mode'):
        initializers.VarianceScaling(mode='fan_max')
    with pytest.raises(ValueError, match='distribution'):
        initializers.VarianceScaling(distribution='gamma')
    assert initializers.VarianceScaling(mode='FAN_OUT', distribution='Uniform').mode == 'fan_out'


@pytest.mark.parametrize('shape', [(8, 5), (5, 8), (3, 3, 4, 8)])
def test_orthogonal(backend, shape):
    K = backend
    w = _values(K, initializers.Orthogonal(gain=2., seed=11), shape)
    flat = w.reshape(-1, shape[-1])
    gram = flat.T.dot(flat) if flat.shape[0] >= flat.shape[1] else flat.dot(flat.T)
    np.testing.assert_allclose(gram, 4. * np.eye(gram.shape[0]), atol=1e-5)
    # Keras 2.2.4's construction: SVD of a seeded standard normal matrix.
    a = np.random.RandomState(11).normal(0., 1., flat.shape)
    u, _, v = np.linalg.svd(a, full_matrices=False)
    q = u if u.shape == flat.shape else v
    np.testing.assert_allclose(w, 2. * q.reshape(shape), atol=1e-6)


def test_orthogonal_unseeded_follows_numpy_global_seed(backend):
    K = backend
    np.random.seed(3)
    first = _values(K, initializers.Orthogonal(), (4, 4))
    np.random.seed(3)
    np.testing.assert_array_equal(first, _values(K, initializers.Orthogonal(), (4, 4)))


def test_identity(backend):
    K = backend
    np.testing.assert_array_equal(_values(K, initializers.Identity(gain=3.), (3, 3)),
                                  3. * np.eye(3))
    with pytest.raises(ValueError,
                       match='Identity matrix initializer can only be used for 2D matrices'):
        initializers.Identity()((2, 2, 2))


def test_identity_on_a_non_square_matrix_stacks_identities_along_the_long_side(backend):
    K = backend
    eye2 = np.eye(2)
    np.testing.assert_array_equal(_values(K, initializers.Identity(), (2, 6)),
                                  np.hstack([eye2, eye2, eye2]))
    np.testing.assert_array_equal(_values(K, initializers.Identity(gain=2.), (4, 2)),
                                  2. * np.vstack([eye2, eye2]))
    with pytest.raises(ValueError, match=r'long side of shape \(3, 8\) must be a multiple'):
        initializers.Identity()((3, 8))


def test_identity_recurrent_kernel_has_one_identity_per_gate(backend):
    from cornu.layers import GRU, LSTM, Input, SimpleRNN
    units = 3
    for layer_class, gates in ((SimpleRNN, 1), (GRU, 3), (LSTM, 4)):
        layer = layer_class(units, recurrent_initializer='identity')
        layer(Input(shape=(5, 2)))
        np.testing.assert_array_equal(layer.get_weights()[1],
                                      np.hstack([np.eye(units)] * gates))


def test_aliases(backend):
    assert initializers.zero is initializers.zeros is initializers.Zeros
    assert initializers.one is initializers.ones is initializers.Ones
    assert initializers.constant is initializers.Constant
    assert initializers.uniform is initializers.random_uniform is initializers.RandomUniform
    assert initializers.normal is initializers.random_normal is initializers.RandomNormal
    assert initializers.truncated_normal is initializers.TruncatedNormal
    assert initializers.identity is initializers.Identity
    assert initializers.orthogonal is initializers.Orthogonal
    assert isinstance(initializers.get('zeros'), initializers.Zeros)
    assert isinstance(initializers.get('random_uniform'), initializers.RandomUniform)


@pytest.mark.parametrize('init', [
    initializers.Zeros(), initializers.Ones(), initializers.Constant(0.3),
    initializers.RandomNormal(0.1, 0.2, seed=1), initializers.RandomUniform(-1., 2., seed=2),
    initializers.TruncatedNormal(0., 0.3, seed=3),
    initializers.VarianceScaling(2., 'fan_out', 'uniform', seed=4),
    initializers.Orthogonal(1.5, seed=5), initializers.Identity(0.5),
])
def test_serialization_round_trip(backend, init):
    config = initializers.serialize(init)
    assert config['class_name'] == type(init).__name__
    restored = initializers.deserialize(config)
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config()
    assert initializers.get(config).get_config() == init.get_config()


def test_get_and_errors(backend):
    # tf.keras configs carry an unused dtype.
    init = initializers.get({'class_name': 'RandomNormal',
                             'config': {'mean': 0., 'stddev': 1., 'seed': None,
                                        'dtype': 'float32'}})
    assert init.stddev == 1.

    def custom(shape, dtype=None):
        return None

    assert initializers.get(custom) is custom
    with pytest.raises(ValueError, match='^Unknown initializer: nope$'):
        initializers.get('nope')
    with pytest.raises(ValueError, match='Could not interpret initializer identifier: 5'):
        initializers.get(5)
    with pytest.raises(NotImplementedError):
        initializers.Initializer()((2,))
