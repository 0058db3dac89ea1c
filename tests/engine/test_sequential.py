"""`Sequential`: the seed's first sample, building, add/pop, prediction and its input checks."""
import warnings

import numpy as np
import pytest

from cornu.engine.input_layer import InputLayer
from cornu.layers import Activation, Dense, Dropout, Input
from cornu.models import Model, Sequential


def _relu(x):
    return np.maximum(x, 0.)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _seed_model():
    model = Sequential()
    model.add(Dense(units=64, activation='relu', input_dim=100))
    model.add(Dense(units=10, activation='softmax'))
    return model


def test_seed_first_sample(backend):
    K = backend
    model = _seed_model()
    assert [layer.name for layer in model.layers] == ['dense_1', 'dense_2']
    assert model.built
    assert model.input_shape == (None, 100)
    assert model.output_shape == (None, 10)
    assert model.input_names == ['dense_1_input']
    assert model.output_names == ['dense_2']
    assert K.int_shape(model.input) == (None, 100)
    assert model.count_params() == 7114
    assert [w.shape for w in model.get_weights()] == [(100, 64), (64,), (64, 10), (10,)]

    x = np.random.rand(5, 100).astype('float32')
    k1, b1, k2, b2 = model.get_weights()
    expected = _softmax(_relu(x.dot(k1) + b1).dot(k2) + b2)
    predictions = model.predict(x, batch_size=128)
    assert predictions.shape == (5, 10)
    np.testing.assert_allclose(predictions, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(predictions.sum(axis=1), np.ones(5), rtol=1e-5)


def test_list_constructor_equals_add(backend):
    model = Sequential([Dense(4, input_shape=(3,)), Activation('tanh'), Dense(2)],
                       name='stack')
    assert model.name == 'stack'
    assert [layer.name for layer in model.layers] == ['dense_1', 'activation_1', 'dense_2']
    assert model.output_shape == (None, 2)
    x = np.random.rand(3, 3)
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(model.predict(x), np.tanh(x.dot(k1) + b1).dot(k2) + b2,
                               rtol=1e-5, atol=1e-6)


def test_layers_excludes_the_input_layer(backend):
    model = Sequential([Dense(2, input_shape=(3,))])
    assert len(model.layers) == 1
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)
    explicit = Sequential([InputLayer(input_shape=(3,)), Dense(2)])
    assert [type(layer) for layer in explicit.layers] == [Dense]
    assert explicit.output_shape == (None, 2)


def test_model_property_is_the_model_itself(backend):
    model = _seed_model()
    assert model.model is model


def test_add_refuses_a_non_layer(backend):
    model = Sequential()
    with pytest.raises(TypeError) as info:
        model.add('dense')
    assert str(info.value).startswith('The added layer must be an instance of class Layer. '
                                      'Found: dense')


def test_pop(backend):
    model = Sequential([Dense(4, input_shape=(3,)), Dense(5), Dense(2)])
    model.pop()
    assert [layer.name for layer in model.layers] == ['dense_1', 'dense_2']
    assert model.output_shape == (None, 5)
    x = np.random.rand(2, 3)
    assert model.predict(x).shape == (2, 5)
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(model.predict(x), (x.dot(k1) + b1).dot(k2) + b2,
                               rtol=1e-5, atol=1e-6)
    model.add(Dense(1, name='new_head'))
    assert model.output_shape == (None, 1)
    assert model.layers[-1].name == 'new_head'
    assert model.predict(x).shape == (2, 1)


def test_pop_on_an_empty_model(backend):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.pop()
    assert model.layers == []
    with pytest.raises(TypeError) as info:
        model.pop()
    assert str(info.value) == 'There are no layers in the model.'


def test_deferred_build_on_first_predict(backend):
    model = Sequential([Dense(3), Dense(2)])
    assert not model.built
    assert not model.inputs
    x = np.random.rand(4, 5).astype('float32')
    predictions = model.predict(x)
    assert model.built
    assert predictions.shape == (4, 2)
    k1, b1, k2, b2 = model.get_weights()
    assert k1.shape == (5, 3)
    np.testing.assert_allclose(predictions, (x.dot(k1) + b1).dot(k2) + b2, rtol=1e-5,
                               atol=1e-6)


def test_explicit_build(backend):
    model = Sequential([Dense(3), Dense(2)])
    model.build((None, 6))
    assert model.built
    assert model.input_shape == (None, 6)
    assert model.count_params() == 6 * 3 + 3 + 3 * 2 + 2


def test_summary_of_an_unbuilt_model_raises(backend):
    model = Sequential([Dense(3)])
    with pytest.raises(ValueError) as info:
        model.summary(print_fn=lambda line: None)
    # Keras 2.2.4's message.
    assert str(info.value) == ('This model has not yet been built. Build the model first by '
                               'calling build() or calling fit() with some data. Or specify '
                               'input_shape or batch_input_shape in the first layer for '
                               'automatic build. ')
    model.build((None, 4))
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[3] == 'dense_1 (Dense)              (None, 3)                 15        '


def test_summary_counts_frozen_layers_as_non_trainable(backend):
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.layers[0].trainable = False
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[-4:-1] == ['Total params: 13', 'Trainable params: 4',
                            'Non-trainable params: 9']


def test_sequential_in_a_functional_model_and_as_a_layer(backend):
    inner = Sequential([Dense(2, input_shape=(3,))])
    x = Input(shape=(3,))
    outer = Sequential([inner, Dense(1)])
    assert outer.output_shape == (None, 1)
    model = Model(x, outer(x))
    data = np.random.rand(2, 3)
    np.testing.assert_allclose(model.predict(data), outer.predict(data), rtol=1e-6)


# ---------------------------------------------------------------------------- predict

def test_predict_accepts_array_list_and_dict(backend):
    model = Sequential([Dense(2, input_shape=(3,))])
    x = np.random.rand(6, 3).astype('float32')
    reference = model.predict(x)
    np.testing.assert_array_equal(model.predict([x]), reference)
    np.testing.assert_array_equal(model.predict({'dense_1_input': x}), reference)


def test_predict_batch_size_and_steps_give_the_same_result(backend):
    model = Sequential([Dense(4, input_shape=(3,), activation='relu'), Dense(2)])
    x = np.random.rand(7, 3).astype('float32')
    reference = model.predict(x)
    assert reference.shape == (7, 2)
    for batch_size in (1, 3, 7, 100):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size), reference,
                                   rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, steps=1), reference, rtol=1e-6)


def test_predict_refuses_batch_size_with_steps(backend):
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match='If steps is set, the `batch_size` must be None.'):
        model.predict(np.ones((4, 3)), batch_size=2, steps=1)


def test_predict_on_batch(backend):
    model = Sequential([Dense(2, input_shape=(3,)), Dropout(0.5)])
    x = np.random.rand(5, 3).astype('float32')
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict_on_batch(x), x.dot(kernel) + bias, rtol=1e-5,
                               atol=1e-6)


def test_predict_shape_error_message(backend):
    model = _seed_model()
    with pytest.raises(ValueError) as info:
        model.predict(np.zeros((2, 99)))
    assert str(info.value) == ('Error when checking input: expected dense_1_input to have '
                               'shape (100,) but got array with shape (99,)')


def test_predict_rank_error_message(backend):
    model = _seed_model()
    with pytest.raises(ValueError) as info:
        model.predict(np.zeros((2, 10, 10)))
    assert str(info.value) == ('Error when checking input: expected dense_1_input to have 2 '
                               'dimensions, but got array with shape (2, 10, 10)')


def test_predict_wrong_number_of_arrays(backend):
    model = _seed_model()
    x = np.zeros((2, 100))
    with pytest.raises(ValueError) as info:
        model.predict([x, x])
    assert str(info.value).startswith(
        'Error when checking model input: the list of Numpy arrays that you are passing to '
        'your model is not the size the model expected. Expected to see 1 array(s), but '
        'instead got the following list of 2 arrays:')


def test_predict_classes_and_proba(backend):
    model = _seed_model()
    x = np.random.rand(6, 100).astype('float32')
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba, model.predict(x), rtol=1e-6)
    np.testing.assert_array_equal(model.predict_classes(x), proba.argmax(axis=-1))

    binary = Sequential([Dense(1, input_shape=(2,), activation='sigmoid',
                               kernel_initializer='ones')])
    data = np.array([[1., 1.], [-1., -2.], [0.5, -0.1]], dtype='float32')
    classes = binary.predict_classes(data)
    assert classes.shape == (3, 1)
    assert classes.dtype == np.int32
    np.testing.assert_array_equal(classes[:, 0], [1, 0, 1])


def test_predict_proba_warns_on_values_outside_0_1(backend):
    model = Sequential([Dense(1, input_shape=(2,), kernel_initializer='ones')])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model.predict_proba(np.array([[3., 4.]]))
    assert any('Network returning invalid probability values' in str(w.message)
               for w in caught)
