"""Mixed precision: dtype policies, layers under them, float32 losses, loss scaling, floatx."""
import h5py
import numpy as np
import pytest

from cornu import backend as K
from cornu import layers, mixed_precision, optimizers
from cornu.mixed_precision import LossScaleOptimizer, Policy
from cornu.models import Model, Sequential, load_model

# bfloat16 keeps 8 significant bits: relative errors up to ~2 ** -8 per rounding.
BF16 = dict(rtol=3e-2, atol=3e-2)


@pytest.fixture(autouse=True)
def _default_policy():
    """Every test starts and ends with the default policy and floatx."""
    mixed_precision.set_global_policy(None)
    K.set_floatx('float32')
    yield
    mixed_precision.set_global_policy(None)
    K.set_floatx('float32')


def _dtypes(variables):
    return sorted(set(K.dtype(v) for v in variables))


# ---------------------------------------------------------------- policies

@pytest.mark.parametrize('name, compute, variable', [
    ('float32', 'float32', 'float32'), ('float16', 'float16', 'float16'),
    ('bfloat16', 'bfloat16', 'bfloat16'), ('float64', 'float64', 'float64'),
    ('mixed_float16', 'float16', 'float32'), ('mixed_bfloat16', 'bfloat16', 'float32')])
def test_policy_names_and_dtypes(name, compute, variable):
    policy = Policy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert Policy.from_config(policy.get_config()) == policy


def test_an_unknown_policy_name_is_a_value_error_listing_the_valid_ones():
    with pytest.raises(ValueError) as info:
        Policy('mixed_half')
    message = str(info.value)
    assert "'mixed_half'" in message
    for name in ('float32', 'mixed_float16', 'mixed_bfloat16', 'bfloat16'):
        assert repr(name) in message
    with pytest.raises(ValueError, match='mixed_half'):
        mixed_precision.set_global_policy('mixed_half')
    with pytest.raises(ValueError, match='mixed_half'):
        layers.Dense(2, dtype='mixed_half')
    with pytest.raises(TypeError, match='string'):
        Policy(16)


def test_the_global_policy_follows_floatx_until_set(backend):
    assert mixed_precision.global_policy().name == 'float32'
    K.set_floatx('float64')
    assert mixed_precision.global_policy().name == 'float64'
    K.set_floatx('float32')
    mixed_precision.set_global_policy('mixed_bfloat16')
    assert mixed_precision.global_policy() == Policy('mixed_bfloat16')
    assert layers.Dense(2).dtype_policy.name == 'mixed_bfloat16'
    mixed_precision.set_global_policy(Policy('float32'))
    assert layers.Dense(2).dtype_policy.name == 'float32'


# ---------------------------------------------------------------- layers under mixed_bfloat16

def _dense():
    inputs = layers.Input((4,))
    return inputs, layers.Dense(3)(inputs), np.random.rand(5, 4)


def _conv2d():
    inputs = layers.Input((5, 5, 2))
    return inputs, layers.Conv2D(3, 3)(inputs), np.random.rand(2, 5, 5, 2)


def _lstm():
    inputs = layers.Input((4, 2))
    return inputs, layers.LSTM(3)(inputs), np.random.rand(2, 4, 2)


def _embedding():
    inputs = layers.Input((4,), dtype='int32')
    return inputs, layers.Embedding(7, 3)(inputs), np.random.randint(0, 7, (2, 4))


def _batch_normalization():
    inputs = layers.Input((4,))
    return inputs, layers.BatchNormalization()(inputs), np.random.rand(6, 4) * 3 + 1


def _bidirectional_lstm():
    inputs = layers.Input((4, 2))
    return inputs, layers.Bidirectional(layers.LSTM(3, return_sequences=True))(inputs), \
        np.random.rand(2, 4, 2)


def _time_distributed_dense():
    inputs = layers.Input((3, 4))
    return inputs, layers.TimeDistributed(layers.Dense(2))(inputs), np.random.rand(2, 3, 4)


LAYER_MODELS = [_dense, _conv2d, _lstm, _embedding, _batch_normalization, _bidirectional_lstm,
                _time_distributed_dense]


@pytest.mark.parametrize('make', LAYER_MODELS, ids=lambda f: f.__name__.strip('_'))
def test_layers_keep_float32_variables_and_compute_in_bfloat16(backend, make):
    mixed_precision.set_global_policy('mixed_bfloat16')
    inputs, outputs, x = make()
    mixed = Model(inputs, outputs)
    layer = mixed.layers[-1]
    assert layer.dtype == 'float32' and layer.compute_dtype == 'bfloat16'
    assert _dtypes(mixed.weights) == ['float32']
    assert outputs.dtype == 'bfloat16'
    concrete = layer(K.constant(x) if x.dtype.kind == 'f' else K.variable(x, dtype='int64'))
    assert K.dtype(concrete) == 'bfloat16'
    # The same layer in float32, with the same weights, is the reference.
    mixed_precision.set_global_policy('float32')
    K.clear_session()
    inputs, outputs, _ = make()
    full = Model(inputs, outputs)
    full.set_weights(mixed.get_weights())
    np.testing.assert_allclose(mixed.predict(x), full.predict(x), **BF16)


def test_dense_under_mixed_bfloat16_matches_numpy(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    layer = layers.Dense(3, activation='relu')
    x = np.random.rand(4, 5)
    y = K.eval(layer(K.constant(x)))
    kernel, bias = layer.get_weights()
    assert kernel.dtype == np.float32
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), **BF16)


def test_batch_normalization_keeps_float32_statistics(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    model = Sequential([layers.BatchNormalization(momentum=0.5, input_shape=(3,))])
    model.compile('sgd', 'mse')
    x = np.random.rand(16, 3) * 4 + 10
    model.fit(x, np.zeros((16, 3)), batch_size=16, epochs=1, verbose=0)
    gamma, beta, mean, variance = model.get_weights()
    assert _dtypes(model.weights) == ['float32']
    # One update with momentum 0.5 from the initial (0, 1): the batch's float32 statistics
    # (the variance unbiased, as Keras 2's); a bfloat16 mean of values near 12 would be off by
    # up to ~0.03.
    np.testing.assert_allclose(mean, 0.5 * x.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(variance, 0.5 + 0.5 * x.var(axis=0, ddof=1), rtol=1e-3)


def test_a_stateful_rnn_keeps_float32_states(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    model = Sequential([layers.SimpleRNN(3, stateful=True, batch_input_shape=(2, 4, 2))])
    model.compile('sgd', 'mse')
    x = np.random.rand(4, 4, 2)
    model.fit(x, np.zeros((4, 3)), batch_size=2, shuffle=False, epochs=1, verbose=0)
    states = model.layers[0].states
    assert _dtypes(states) == ['float32']
    # The states carried over are the last batch's final outputs.
    model.reset_states()
    model.predict(x[:2], batch_size=2)
    carried = K.get_value(states[0])
    assert np.abs(carried).sum() > 0
    mixed_precision.set_global_policy('float32')
    full = Sequential([layers.SimpleRNN(3, batch_input_shape=(2, 4, 2))])
    full.set_weights(model.get_weights())
    np.testing.assert_allclose(carried, full.predict(x[:2]), **BF16)


def test_a_layer_dtype_policy_and_a_float32_last_layer(backend):
    inputs = layers.Input((4,))
    hidden = layers.Dense(8, dtype='mixed_bfloat16')(inputs)
    outputs = layers.Dense(2, dtype=Policy('float32'))(hidden)
    model = Model(inputs, outputs)
    assert hidden.dtype == 'bfloat16' and outputs.dtype == 'float32'
    assert model.layers[1].dtype_policy.name == 'mixed_bfloat16'
    assert model.layers[2].dtype_policy.name == 'float32'
    assert _dtypes(model.weights) == ['float32']
    out = model.layers[2](model.layers[1](K.constant(np.ones((2, 4)))))
    assert K.dtype(out) == 'float32'
    x = np.random.rand(3, 4)
    (k1, b1), (k2, b2) = model.layers[1].get_weights(), model.layers[2].get_weights()
    np.testing.assert_allclose(model.predict(x), (x @ k1 + b1) @ k2 + b2, **BF16)


def test_gradients_reach_the_float32_variables(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    kernel, bias = model.get_weights()
    x, y = np.random.rand(8, 3), np.random.rand(8, 2)
    model.train_on_batch(x, y)
    # mse = mean over the 8 x 2 errors; its gradient, then one SGD step.
    error = x @ kernel + bias - y
    expected_kernel = kernel - 0.1 * 2 * x.T @ error / error.size
    expected_bias = bias - 0.1 * 2 * error.sum(axis=0) / error.size
    new_kernel, new_bias = model.get_weights()
    assert new_kernel.dtype == np.float32
    assert not np.array_equal(new_kernel, kernel)
    np.testing.assert_allclose(new_kernel, expected_kernel, rtol=1e-2, atol=2e-3)
    np.testing.assert_allclose(new_bias, expected_bias, rtol=1e-2, atol=2e-3)


def test_losses_and_metrics_are_computed_in_float32(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    model = Sequential([layers.Dense(3, activation='softmax', input_shape=(4,))])
    model.compile('sgd', 'categorical_crossentropy', metrics=['acc'])
    x = np.random.rand(32, 4) * 3
    y = np.eye(3)[np.random.randint(0, 3, 32)]
    loss, accuracy = model.evaluate(x, y, batch_size=32, verbose=0)
    probabilities = model.predict(x)
    # The loss is the float32 crossentropy of the (bfloat16) outputs: far closer to it than
    # bfloat16's resolution of the loss itself (~0.004 near 1) would allow.
    expected = -np.mean(np.sum(y * np.log(probabilities.astype(np.float64)), axis=1))
    assert abs(loss - expected) < 1e-3
    assert accuracy == pytest.approx(np.mean(probabilities.argmax(1) == y.argmax(1)))


# ---------------------------------------------------------------- configs and saved files

def test_configs_write_and_read_the_policy(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    dense = layers.Dense(2)
    config = dense.get_config()
    assert config['dtype'] == 'mixed_bfloat16'
    mixed_precision.set_global_policy(None)
    again = layers.Dense.from_config(config)
    assert again.dtype_policy.name == 'mixed_bfloat16' and again.dtype == 'float32'
    # tf.keras's serialized policy is read too; a float32 layer's config is as before.
    tf_keras = layers.Dense(2, dtype={'class_name': 'Policy',
                                      'config': {'name': 'mixed_float16'}})
    assert tf_keras.compute_dtype == 'float16'
    assert 'dtype' not in layers.Dense(2).get_config()
    mixed_precision.set_global_policy('bfloat16')
    assert layers.Dense(2).get_config()['dtype'] == 'bfloat16'


def _classifier():
    return Sequential([layers.Conv2D(4, 3, activation='relu', input_shape=(6, 6, 1)),
                       layers.BatchNormalization(), layers.Flatten(),
                       layers.Dense(3, activation='softmax')])


def test_weights_saved_under_mixed_bfloat16_load_into_a_float32_model(backend, tmp_path):
    mixed_precision.set_global_policy('mixed_bfloat16')
    mixed = _classifier()
    mixed.compile('adam', 'categorical_crossentropy')
    x = np.random.rand(16, 6, 6, 1)
    mixed.fit(x, np.eye(3)[np.random.randint(0, 3, 16)], epochs=1, verbose=0)
    path = str(tmp_path / 'mixed.h5')
    mixed.save_weights(path)
    with h5py.File(path, 'r') as f:
        datasets = []
        f.visititems(lambda name, obj: datasets.append(obj.dtype)
                     if isinstance(obj, h5py.Dataset) else None)
    assert datasets and set(datasets) == {np.dtype('float32')}
    mixed_precision.set_global_policy(None)
    K.clear_session()
    full = _classifier()
    full.load_weights(path)
    assert _dtypes(full.weights) == ['float32']
    np.testing.assert_allclose(full.predict(x), mixed.predict(x), **BF16)

    # A whole model file keeps the policy in its config and its float32 weights.
    model_path = str(tmp_path / 'model.h5')
    mixed.save(model_path)
    loaded = load_model(model_path)
    assert loaded.layers[0].dtype_policy.name == 'mixed_bfloat16'
    np.testing.assert_allclose(loaded.predict(x), mixed.predict(x), rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- accuracy

def _image_data():
    """Fashion-MNIST when it loads offline (its files installed), else scikit-learn's digits;
    small, so that a few epochs take a few seconds."""
    from cornu.datasets import fashion_mnist
    try:
        (x, y), (x_test, y_test) = fashion_mnist.load_data()
        x, x_test = x[:2000, ::2, ::2], x_test[:2000, ::2, ::2]
        y, y_test = y[:2000], y_test[:2000]
        scale = 255.
    except Exception:
        from sklearn.datasets import load_digits
        digits = load_digits()
        x, y = digits.images, digits.target
        x, x_test, y, y_test = x[:1200], x[1200:], y[:1200], y[1200:]
        scale = 16.
    return ((x[..., None] / scale).astype('float32'), y,
            (x_test[..., None] / scale).astype('float32'), y_test)


def test_a_small_cnn_under_mixed_bfloat16_reaches_the_float32_accuracy(backend):
    x, y, x_test, y_test = _image_data()
    accuracies = {}
    start = None
    for policy in ('float32', 'mixed_bfloat16'):
        mixed_precision.set_global_policy(policy)
        K.clear_session()
        model = Sequential([
            layers.Conv2D(8, 3, activation='relu', input_shape=x.shape[1:]),
            layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation='softmax')])
        if start is None:
            start = model.get_weights()
        model.set_weights(start)
        model.compile(optimizers.Adam(lr=0.005), 'sparse_categorical_crossentropy',
                      metrics=['acc'])
        model.fit(x, y, batch_size=64, epochs=3, shuffle=False, verbose=0)
        accuracies[policy] = model.evaluate(x_test, y_test, batch_size=500, verbose=0)[1]
    assert accuracies['float32'] > 0.6
    assert abs(accuracies['mixed_bfloat16'] - accuracies['float32']) <= 0.01, accuracies


# ---------------------------------------------------------------- loss scaling

class MomentumSGD(optimizers.Optimizer):
    """A Keras 2-style optimizer: its own `get_updates`, state made with `K.zeros`."""

    def __init__(self, lr=0.05, momentum=0.5, **kwargs):
        super(MomentumSGD, self).__init__(**kwargs)
        self.iterations = K.variable(0, dtype='int64', name='iterations')
        self.lr = K.variable(lr, name='lr')
        self.momentum = momentum

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        moments = [K.zeros(K.int_shape(p)) for p in params]
        self.weights = [self.iterations] + moments
        self.updates = [K.update_add(self.iterations, 1)]
        for p, g, m in zip(params, grads, moments):
            v = self.momentum * m - self.lr * g
            self.updates.append(K.update(m, v))
            self.updates.append(K.update(p, p + v))
        return self.updates


def _regression():
    x = np.random.rand(256, 4).astype('float32')
    return x, x @ np.random.rand(4, 2).astype('float32')


def _float16_regressor():
    return Sequential([layers.Dense(16, activation='relu', input_shape=(4,)), layers.Dense(2)])


def test_compile_wraps_the_optimizer_under_mixed_float16_only(backend):
    mixed_precision.set_global_policy('mixed_bfloat16')
    model = _float16_regressor()
    model.compile('adam', 'mse')
    assert isinstance(model.optimizer, optimizers.Adam)
    mixed_precision.set_global_policy('mixed_float16')
    model = _float16_regressor()
    model.compile('adam', 'mse')
    assert isinstance(model.optimizer, LossScaleOptimizer)
    assert isinstance(model.optimizer.inner_optimizer, optimizers.Adam)
    assert K.get_value(model.optimizer.loss_scale) == 2 ** 15
    chosen = LossScaleOptimizer(optimizers.SGD(), initial_scale=8)
    model.compile(chosen, 'mse')
    assert model.optimizer is chosen


def test_loss_scale_optimizer_arguments_and_config():
    with pytest.raises(TypeError, match='inner_optimizer'):
        LossScaleOptimizer('adam')
    with pytest.raises(ValueError, match='initial_scale.*-1'):
        LossScaleOptimizer(optimizers.SGD(), initial_scale=-1)
    with pytest.raises(ValueError, match='dynamic_growth_steps.*0'):
        LossScaleOptimizer(optimizers.SGD(), dynamic_growth_steps=0)
    wrapped = LossScaleOptimizer(optimizers.SGD(lr=0.5), initial_scale=64,
                                 dynamic_growth_steps=7)
    again = optimizers.deserialize(optimizers.serialize(wrapped))
    assert isinstance(again, LossScaleOptimizer)
    assert (again.initial_scale, again.dynamic_growth_steps) == (64, 7)
    assert again.inner_optimizer.get_config()['lr'] == pytest.approx(0.5)
    assert K.get_value(again.lr) == pytest.approx(0.5)


@pytest.mark.parametrize('inner', ['adam', 'keras2_get_updates'])
def test_loss_scaling_skips_an_overflowing_step_and_recovers(backend, inner):
    mixed_precision.set_global_policy('mixed_float16')
    x, y = _regression()
    model = _float16_regressor()
    inner_optimizer = optimizers.Adam(lr=0.01) if inner == 'adam' else MomentumSGD()
    model.compile(LossScaleOptimizer(inner_optimizer, initial_scale=256,
                                     dynamic_growth_steps=2), 'mse')
    model.train_on_batch(x[:32], y[:32])
    weights, state = model.get_weights(), model.optimizer.get_weights()
    assert state[-2:] == [256, 1]  # one finite step counted
    # 1e6 is beyond float16's range (65504): the input overflows to inf in the first layer.
    overflowing = x[:32].copy()
    overflowing[0, 0] = 1e6
    loss = model.train_on_batch(overflowing, y[:32])
    assert not np.isfinite(loss)
    for before, after in zip(weights + state[:-2],
                             model.get_weights() + model.optimizer.get_weights()[:-2]):
        np.testing.assert_array_equal(after, before)
    assert model.optimizer.get_weights()[-2:] == [128, 0]
    # Two finite steps in a row double the scale.
    model.train_on_batch(x[:32], y[:32])
    assert model.optimizer.get_weights()[-2:] == [128, 1]
    model.train_on_batch(x[:32], y[:32])
    assert model.optimizer.get_weights()[-2:] == [256, 0]
    assert K.get_value(model.optimizer.iterations) == 3
    untrained = np.mean((y - y.mean(axis=0)) ** 2)
    model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.1 * untrained
    assert _dtypes(model.weights) == ['float32']


def test_the_loss_scale_is_saved_with_the_optimizer(backend, tmp_path):
    mixed_precision.set_global_policy('mixed_float16')
    x, y = _regression()
    model = _float16_regressor()
    model.compile(optimizers.Adam(lr=0.01), 'mse')
    model.optimizer.set_weights(model.optimizer.get_weights()[:-2] + [np.float32(512),
                                                                      np.float32(3)])
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    scale = model.optimizer.get_weights()[-2:]
    path = str(tmp_path / 'scaled.h5')
    model.save(path)
    loaded = load_model(path)
    assert isinstance(loaded.optimizer, LossScaleOptimizer)
    assert loaded.optimizer.get_weights()[-2:] == scale
    np.testing.assert_allclose(loaded.predict(x), model.predict(x))


# ---------------------------------------------------------------- floatx

@pytest.mark.parametrize('floatx', ['bfloat16', 'float16'])
def test_floatx_half_makes_half_variables_and_outputs(backend, floatx):
    K.set_floatx(floatx)
    assert K.dtype(K.variable(np.ones(3))) == floatx
    assert K.dtype(K.zeros((2,))) == floatx
    assert mixed_precision.global_policy().name == floatx
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    assert _dtypes(model.weights) == [floatx]
    assert model.output.dtype == floatx
    assert K.dtype(model.layers[0](K.variable(np.ones((2, 2))))) == floatx
    x = np.random.rand(4, 2)
    (k1, b1), (k2, b2) = model.layers[0].get_weights(), model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(x), (x @ k1 + b1) @ k2 + b2, **BF16)
    try:
        import ml_dtypes  # noqa: F401 (NumPy's bfloat16, when installed)
        expected = floatx
    except ImportError:
        expected = 'float32' if floatx == 'bfloat16' else floatx
    assert K.cast_to_floatx(np.ones(2)).dtype.name == expected


# ---------------------------------------------------------------- the default costs nothing

_DEFAULT_POLICY_SCRIPT = '''
from cornu import layers
from cornu.models import Sequential
model = Sequential([layers.Dense(4, input_shape=(3,)), layers.BatchNormalization(),
                    layers.Dense(2)])
steps = model._plan.steps
print(all(step.call == step.layer.call for step in steps), len(steps))
'''


def test_under_the_default_policy_layer_calls_are_not_wrapped():
    # In a fresh process, where no mixed policy was ever made, a model's plan calls each
    # layer's own `call`: the float32 default adds nothing to a step.
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get('PYTHONPATH', ''))
    result = subprocess.run([sys.executable, '-c', _DEFAULT_POLICY_SCRIPT], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ['True', '3']
