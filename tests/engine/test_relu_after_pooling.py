"""An execution plan moves a convolution's ReLU past a max pooling that alone reads it
(`relu(maxpool(x)) == maxpool(relu(x))`): training-phase outputs against NumPy, including
ties, zeros, negative windows, -inf and NaN; one training step's weights identical to the
model that spells the ReLU out before the pooling; and the cases it must leave alone."""
import numpy as np
import pytest

from cornu import backend as K
from cornu import layers, models, optimizers
from cornu.layers.convolutional.conv import _Conv

# A 4x4 single-channel image in 2x2 windows: a positive maximum with ties, a window of
# zeros and negatives, a NaN beside positives, and -inf beside a negative.
IMAGE = np.array([[3., 3., -1., 0.],
                  [1., -2., -5., -0.5],
                  [np.nan, 2., -np.inf, -3.],
                  [4., 0., -2., -7.]], dtype=np.float32)


def _numpy_relu_then_pool(x):
    """ReLU, then 2x2 max pooling with stride 2 (NaN wins a window), on (n, h, w, c)."""
    r = np.where(np.isnan(x), x, np.maximum(x, 0.))
    n, h, w, c = r.shape
    windows = r.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
    windows = windows.reshape(n, h // 2, w // 2, c, 4)
    return np.where(np.isnan(windows).any(axis=-1), np.nan, np.nanmax(
        np.where(np.isnan(windows), -np.inf, windows), axis=-1))


def _identity_conv_model(extra_reader=False):
    """Conv2D(1, 1x1, relu) with weight 1 and bias 0 (so its output is its input), then
    MaxPooling2D; with `extra_reader`, the convolution's output is a second output too."""
    inputs = layers.Input((4, 4, 1))
    conv = layers.Conv2D(1, (1, 1), activation='relu', kernel_initializer='ones')
    features = conv(inputs)
    pooled = layers.MaxPooling2D((2, 2))(features)
    outputs = [pooled, features] if extra_reader else pooled
    return models.Model(inputs, outputs), conv


def _count_calls_before_relu(conv):
    calls = []
    plain = conv._before_relu

    def counted(inputs):
        calls.append(1)
        return plain(inputs)
    conv._before_relu = counted
    return calls


def test_training_phase_output_matches_numpy_with_ties_nan_and_inf():
    model, conv = _identity_conv_model()
    calls = _count_calls_before_relu(conv)
    x = np.stack([IMAGE, -IMAGE, np.zeros_like(IMAGE)])[..., None]
    run = K.function([model.input, K.learning_phase()], [model.output])
    np.testing.assert_array_equal(run([x, 1])[0], _numpy_relu_then_pool(x))
    # The test phase keeps the layers' own calls (the ReLU inside the convolution).
    finite = np.nan_to_num(x, nan=1.5, posinf=9., neginf=-9.)
    np.testing.assert_array_equal(run([finite, 0])[0], _numpy_relu_then_pool(finite))
    assert len(calls) == 1


def test_a_second_reader_keeps_the_relu_where_it_is():
    model, conv = _identity_conv_model(extra_reader=True)
    calls = _count_calls_before_relu(conv)
    # (Without the move, a run that wants no gradient may fuse the ReLU into the
    # convolution, where a NaN becomes 0: finite values here.)
    x = np.nan_to_num(np.stack([IMAGE, -IMAGE]), nan=1.5, posinf=9., neginf=-9.)[..., None]
    pooled, features = K.function([model.input, K.learning_phase()], model.outputs)([x, 1])
    np.testing.assert_array_equal(pooled, _numpy_relu_then_pool(x))
    np.testing.assert_array_equal(features, np.maximum(x, 0.))
    assert calls == []


def _trained_weights(relu_in_conv, x, y):
    np.random.seed(7)
    model = models.Sequential()
    conv = layers.Conv2D(4, (3, 3), activation='relu' if relu_in_conv else None,
                         input_shape=(9, 9, 2))
    calls = _count_calls_before_relu(conv)
    model.add(conv)
    if not relu_in_conv:
        model.add(layers.Activation('relu'))
    model.add(layers.MaxPooling2D((2, 2), padding='same'))
    model.add(layers.Flatten())
    model.add(layers.Dense(3))
    model.compile(optimizers.SGD(lr=0.5), 'mse')
    for _ in range(3):
        model.train_on_batch(x, y)
    return model.get_weights(), len(calls)


def test_training_steps_give_the_weights_of_the_relu_before_the_pooling():
    rng = np.random.RandomState(0)
    # Rounded inputs make exact ties and zero sums in the convolution's output.
    x = np.round(rng.randn(6, 9, 9, 2) * 2).astype(np.float32)
    y = rng.randn(6, 3).astype(np.float32)
    moved, moved_calls = _trained_weights(True, x, y)
    spelled_out, _ = _trained_weights(False, x, y)
    assert moved_calls >= 1  # once per step, or once when the step is traced (JAX)
    for a, b in zip(moved, spelled_out):
        np.testing.assert_array_equal(a, b)


def test_a_convolution_subclass_with_its_own_call_is_left_alone():
    class Doubled(layers.Conv2D):
        def call(self, inputs):
            return 2. * super(Doubled, self).call(inputs)

    assert type(Doubled(1, (1, 1), activation='relu'))._relu_split is _Conv._relu_split
    inputs = layers.Input((4, 4, 1))
    features = Doubled(1, (1, 1), activation='relu', kernel_initializer='ones')(inputs)
    model = models.Model(inputs, layers.MaxPooling2D((2, 2))(features))
    x = np.nan_to_num(np.stack([IMAGE, -IMAGE]), nan=1.5, posinf=9., neginf=-9.)[..., None]
    got = K.function([model.input, K.learning_phase()], [model.output])([x, 1])[0]
    np.testing.assert_array_equal(got, 2. * _numpy_relu_then_pool(x))


@pytest.mark.parametrize('pooling', ['avg', 'max-subclass'])
def test_poolings_that_do_not_commute_with_relu_are_left_alone(pooling):
    if pooling == 'avg':
        pool = layers.AveragePooling2D((2, 2))
    else:
        class Negated(layers.MaxPooling2D):
            def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
                return -K.pool2d(-inputs, pool_size, strides, padding, data_format, 'max')
        pool = Negated((2, 2))
    inputs = layers.Input((4, 4, 1))
    conv = layers.Conv2D(1, (1, 1), activation='relu', kernel_initializer='ones')
    model = models.Model(inputs, pool(conv(inputs)))
    calls = _count_calls_before_relu(conv)
    x = np.nan_to_num(np.stack([IMAGE, -IMAGE]), nan=1.5, posinf=9., neginf=-9.)[..., None]
    got = K.function([model.input, K.learning_phase()], [model.output])([x, 1])[0]
    r = np.maximum(x, 0.).reshape(2, 2, 2, 2, 2, 1).transpose(0, 1, 3, 5, 2, 4).reshape(
        2, 2, 2, 1, 4)
    expected = r.mean(axis=-1) if pooling == 'avg' else r.min(axis=-1)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert calls == []
