"""The base `Layer`: names, weights, configuration, graph introspection and losses, as Keras
2.2.4 defines them. Numbers are checked against NumPy."""
import numpy as np
import pytest

from cornu import constraints, initializers, regularizers
from cornu.engine.base_layer import Layer
from cornu.engine.input_spec import InputSpec
from cornu.layers import Activation, Dense, Input, RepeatVector
from cornu.models import Model, Sequential, model_from_json


# ---------------------------------------------------------------------------- custom layers

class MyDense(Layer):
    """A Keras-2-style custom layer, written as the Keras 2 guide teaches."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(MyDense, self).__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(name='kernel', shape=(input_shape[1], self.output_dim),
                                      initializer='uniform', trainable=True)
        super(MyDense, self).build(input_shape)

    def call(self, x):
        from cornu import backend as K
        return K.dot(x, self.kernel)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = super(MyDense, self).get_config()
        config['output_dim'] = self.output_dim
        return config


class HalveLastAxis(Layer):
    """A custom layer without `compute_output_shape`: keeps the first half of the last axis."""

    def call(self, inputs):
        from cornu import backend as K
        return inputs[..., :K.int_shape(inputs)[-1] // 2]


class WithWeights(Layer):
    """Exercises every option of `add_weight`."""

    def build(self, input_shape):
        self.w = self.add_weight(name='w', shape=(2, 3), initializer='ones',
                                 regularizer=regularizers.l1(0.5),
                                 constraint=constraints.NonNeg(), trainable=True)
        self.stat = self.add_weight(name='stat', shape=(3,),
                                    initializer=initializers.Constant(2.), trainable=False)
        self.built = True

    def call(self, inputs):
        return inputs


def _built_dense(name=None, units=2, input_dim=3, **kwargs):
    layer = Dense(units, name=name, **kwargs)
    layer(Input(shape=(input_dim,)))
    return layer


# ---------------------------------------------------------------------------- names

def test_auto_names_count_per_class_and_reset_by_clear_session(backend):
    assert Dense(2).name == 'dense_1'
    assert Dense(2).name == 'dense_2'
    assert Activation('relu').name == 'activation_1'
    assert Dense(2).name == 'dense_3'
    backend.clear_session()
    assert Dense(2).name == 'dense_1'
    assert Activation('relu').name == 'activation_1'


def test_auto_names_are_snake_case_of_the_class_name(backend):
    class BatchNormalization(Layer):
        pass

    class SimpleRNN(Layer):
        pass

    class Conv2D(Layer):
        pass

    assert BatchNormalization().name == 'batch_normalization_1'
    assert BatchNormalization().name == 'batch_normalization_2'
    assert SimpleRNN().name == 'simple_rnn_1'
    assert Conv2D().name == 'conv2d_1'


def test_model_and_input_names(backend):
    x = Input(shape=(3,))
    assert x._keras_history[0].name == 'input_1'
    assert Model(x, Dense(2)(x)).name == 'model_1'
    assert Sequential().name == 'sequential_1'
    assert Dense(2, name='custom').name == 'custom'


def test_weight_names_follow_keras_2(backend):
    layer = _built_dense()
    assert [w.name for w in layer.weights] == ['dense_1/kernel:0', 'dense_1/bias:0']
    named = _built_dense(name='head')
    assert [w.name for w in named.weights] == ['head/kernel:0', 'head/bias:0']


# ---------------------------------------------------------------------------- weights

def test_add_weight_initializer_regularizer_constraint_trainable(backend):
    K = backend
    layer = WithWeights(name='ww')
    layer.build((None, 2))
    np.testing.assert_array_equal(K.get_value(layer.w), np.ones((2, 3)))
    np.testing.assert_array_equal(K.get_value(layer.stat), np.full((3,), 2.))
    assert layer.w.name == 'ww/w:0' and layer.stat.name == 'ww/stat:0'
    assert layer.trainable_weights == [layer.w]
    assert layer.non_trainable_weights == [layer.stat]
    assert [w.name for w in layer.weights] == ['ww/w:0', 'ww/stat:0']
    assert isinstance(layer.w.constraint, constraints.NonNeg)
    # l1(0.5) on a 2x3 matrix of ones.
    assert len(layer.losses) == 1
    assert float(K.eval(layer.losses[0])) == pytest.approx(3.0)


def test_trainable_false_moves_weights_to_non_trainable(backend):
    layer = _built_dense()
    kernel, bias = layer.weights
    assert layer.trainable_weights == [kernel, bias]
    assert layer.non_trainable_weights == []
    layer.trainable = False
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == [kernel, bias]
    assert layer.weights == [kernel, bias]
    layer.trainable = True
    assert layer.trainable_weights == [kernel, bias]

    frozen = _built_dense(trainable=False)
    assert frozen.trainable is False
    assert frozen.trainable_weights == []
    assert len(frozen.non_trainable_weights) == 2


def test_get_and_set_weights_round_trip(backend):
    layer = _built_dense()
    kernel = np.arange(6, dtype='float32').reshape(3, 2)
    bias = np.array([0.5, -1.], dtype='float32')
    layer.set_weights([kernel, bias])
    got = layer.get_weights()
    assert isinstance(got[0], np.ndarray)
    np.testing.assert_array_equal(got[0], kernel)
    np.testing.assert_array_equal(got[1], bias)


def test_set_weights_wrong_count_names_the_layer(backend):
    layer = _built_dense(name='counted')
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.zeros((3, 2))])
    message = str(info.value)
    assert 'counted' in message
    assert 'length 1' in message
    assert 'expecting 2 weights' in message


def test_set_weights_wrong_shape_names_layer_and_both_shapes_and_changes_nothing(backend):
    layer = _built_dense(name='shaped')
    before = layer.get_weights()
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.full((3, 2), 7.), np.zeros((5,))])
    message = str(info.value)
    assert 'shaped' in message
    assert '(2,)' in message and '(5,)' in message
    after = layer.get_weights()
    # The kernel (which matched) must not have been assigned either.
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])


def test_weights_kwarg_sets_initial_weights_at_build(backend):
    kernel = np.array([[1., 2.], [3., 4.], [5., 6.]], dtype='float32')
    bias = np.array([10., 20.], dtype='float32')
    layer = Dense(2, weights=[kernel, bias])
    layer(Input(shape=(3,)))
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    np.testing.assert_array_equal(layer.get_weights()[1], bias)


def test_count_params(backend):
    assert _built_dense(units=5, input_dim=4).count_params() == 4 * 5 + 5
    assert _built_dense(units=5, input_dim=4, use_bias=False).count_params() == 20


def test_count_params_before_build_raises_runtime_error(backend):
    layer = Dense(3, name='unbuilt')
    with pytest.raises(RuntimeError) as info:
        layer.count_params()
    assert 'unbuilt' in str(info.value)
    assert "isn't built" in str(info.value)


# ---------------------------------------------------------------------------- input specs

def test_dense_on_a_1d_input_is_refused_naming_the_layer(backend):
    with pytest.raises(ValueError) as info:
        Dense(2, name='flat_dense')(Input(shape=()))
    message = str(info.value)
    assert 'flat_dense' in message
    assert 'min_ndim=2' in message and 'ndim=1' in message


def test_wrong_ndim_is_refused_naming_the_layer(backend):
    with pytest.raises(ValueError) as info:
        RepeatVector(2, name='rep')(Input(shape=(3, 4)))
    message = str(info.value)
    assert 'Input 0 is incompatible with layer rep' in message
    assert 'expected ndim=2, found ndim=3' in message


def test_built_dense_refuses_a_different_feature_size(backend):
    layer = _built_dense(name='fixed', input_dim=3)
    with pytest.raises(ValueError) as info:
        layer(Input(shape=(4,)))
    assert 'fixed' in str(info.value)
    assert 'axis -1' in str(info.value)


def test_input_spec_shape_and_axes_checks(backend):
    class NeedsFour(Layer):
        def __init__(self, **kwargs):
            super(NeedsFour, self).__init__(**kwargs)
            self.input_spec = InputSpec(shape=(None, 4))

    NeedsFour()(Input(shape=(4,)))
    with pytest.raises(ValueError) as info:
        NeedsFour(name='four')(Input(shape=(5,)))
    assert 'four' in str(info.value)
    assert 'expected shape=(None, 4)' in str(info.value)


def test_input_spec_dtype_check(backend):
    class IntsOnly(Layer):
        def __init__(self, **kwargs):
            super(IntsOnly, self).__init__(**kwargs)
            self.input_spec = InputSpec(dtype='int32')

    IntsOnly()(Input(shape=(2,), dtype='int32'))
    with pytest.raises(ValueError) as info:
        IntsOnly(name='ints')(Input(shape=(2,)))
    assert str(info.value) == ('Input 0 is incompatible with layer ints: expected '
                               'dtype=int32, found dtype=float32')


# ---------------------------------------------------------------------------- configuration

def test_get_config_from_config_round_trip(backend):
    layer = Dense(5, activation='relu', use_bias=False, name='cfg', trainable=False,
                  kernel_initializer='ones')
    config = layer.get_config()
    assert config['name'] == 'cfg'
    assert config['trainable'] is False
    assert config['units'] == 5 and config['use_bias'] is False
    assert config['activation'] == 'relu'
    # As Keras 2.2.4: `dtype` is written for layers given an input shape (or a dtype) only.
    assert 'dtype' not in config and 'batch_input_shape' not in config
    first = Dense(2, input_shape=(3,)).get_config()
    assert first['dtype'] == 'float32' and first['batch_input_shape'] == (None, 3)
    assert Dense.from_config(first).get_config() == first
    clone = Dense.from_config(config)
    assert clone is not layer
    assert clone.get_config() == config


def test_input_shape_kwargs_become_batch_input_shape(backend):
    assert Dense(2, input_shape=(3,)).batch_input_shape == (None, 3)
    assert Dense(2, input_shape=(3,), batch_size=8).batch_input_shape == (8, 3)
    assert Dense(2, batch_input_shape=(4, 3)).batch_input_shape == (4, 3)
    assert Dense(2, input_dim=7).batch_input_shape == (None, 7)
    assert Dense(2, input_shape=(3,)).get_config()['batch_input_shape'] == (None, 3)
    assert 'batch_input_shape' not in Dense(2).get_config()


def test_batch_size_kwarg_fixes_the_model_batch_axis(backend):
    model = Sequential([Dense(2, input_shape=(3,), batch_size=4)])
    assert model.input_shape == (4, 3)
    assert model.output_shape == (4, 2)


def test_dtype_kwarg_sets_the_weight_dtype(backend):
    K = backend
    layer = Dense(2, dtype='float64')
    assert layer.dtype == 'float64'
    layer.build((None, 3))
    assert K.dtype(layer.kernel) == 'float64'
    assert layer.get_config()['dtype'] == 'float64'


def test_unknown_kwarg_is_a_type_error(backend):
    with pytest.raises(TypeError) as info:
        Dense(2, input_shapes=(3,))
    assert 'Keyword argument not understood' in str(info.value)
    assert 'input_shapes' in str(info.value)


# ---------------------------------------------------------------------------- graph introspection

def test_single_node_attributes(backend):
    x = Input(shape=(3,))
    layer = Dense(2)
    y = layer(x)
    assert layer.input is x
    assert layer.output is y
    assert layer.input_shape == (None, 3)
    assert layer.output_shape == (None, 2)
    assert layer.get_input_at(0) is x
    assert layer.get_output_at(0) is y
    assert layer.get_input_shape_at(0) == (None, 3)
    assert layer.get_output_shape_at(0) == (None, 2)
    assert layer.get_input_mask_at(0) is None
    assert layer.get_output_mask_at(0) is None
    assert layer.input_mask is None and layer.output_mask is None
    assert y._keras_history == (layer, 0, 0)


def test_unconnected_layer_attributes_raise(backend):
    layer = Dense(2, name='lonely')
    with pytest.raises(AttributeError, match='Layer lonely is not connected, no input to return.'):
        layer.input
    with pytest.raises(AttributeError, match='Layer lonely has no inbound nodes.'):
        layer.output
    with pytest.raises(AttributeError, match='never been called'):
        layer.input_shape
    with pytest.raises(AttributeError, match='never been called'):
        layer.output_shape
    with pytest.raises(RuntimeError):
        layer.get_input_at(0)


def test_shared_layer_node_attributes(backend):
    a = Input(shape=(3,))
    b = Input(shape=(3,))
    shared = Dense(2, name='shared')
    ya = shared(a)
    yb = shared(b)
    assert ya._keras_history[1] == 0 and yb._keras_history[1] == 1
    assert shared.get_input_at(0) is a and shared.get_input_at(1) is b
    assert shared.get_output_at(0) is ya and shared.get_output_at(1) is yb
    # Same shapes on every node: the shape properties are still defined.
    assert shared.input_shape == (None, 3)
    assert shared.output_shape == (None, 2)
    with pytest.raises(AttributeError) as info:
        shared.input
    assert str(info.value) == ('Layer shared has multiple inbound nodes, hence the notion of '
                               '"layer input" is ill-defined. Use `get_input_at(node_index)` '
                               'instead.')
    with pytest.raises(AttributeError) as info:
        shared.output
    assert str(info.value) == ('Layer shared has multiple inbound nodes, hence the notion of '
                               '"layer output" is ill-defined. Use `get_output_at(node_index)` '
                               'instead.')
    with pytest.raises(ValueError) as info:
        shared.get_output_at(2)
    assert str(info.value) == ('Asked to get output at node 2, but the layer has only 2 '
                               'inbound nodes.')


def test_shared_layer_with_different_shapes(backend):
    shared = Dense(2, name='multi')
    shared(Input(shape=(3,)))
    shared(Input(shape=(5, 3)))
    assert shared.get_input_shape_at(1) == (None, 5, 3)
    assert shared.get_output_shape_at(1) == (None, 5, 2)
    with pytest.raises(AttributeError) as info:
        shared.input_shape
    assert 'multiple inbound nodes' in str(info.value)
    assert 'get_input_shape_at(node_index)' in str(info.value)
    with pytest.raises(AttributeError) as info:
        shared.output_shape
    assert 'get_output_shape_at(node_index)' in str(info.value)


# ---------------------------------------------------------------------------- losses

def test_weight_regularizer_losses_follow_the_current_weights(backend):
    K = backend
    layer = Dense(3, kernel_regularizer=regularizers.l2(0.1),
                  bias_regularizer=regularizers.l1(1.))
    layer.build((None, 2))
    layer.set_weights([np.ones((2, 3)), np.array([1., -2., 3.])])
    values = [float(K.eval(loss)) for loss in layer.losses]
    assert values == [pytest.approx(0.1 * 6), pytest.approx(6.)]
    layer.set_weights([np.full((2, 3), 2.), np.zeros(3)])
    values = [float(K.eval(loss)) for loss in layer.losses]
    assert values == [pytest.approx(0.1 * 4 * 6), pytest.approx(0.)]
    assert len(layer.get_losses_for(None)) == 2


def test_add_loss_stores_losses(backend):
    layer = Layer()
    layer.add_loss(0.5)
    layer.add_loss([1.5, None])
    assert layer.losses == [0.5, 1.5]


class AddsCallLoss(Layer):
    """Adds a loss computed from its inputs in `call`, as Keras 2 layers (e.g. VAE) do."""

    def call(self, inputs):
        from cornu import backend as K
        self.add_loss(K.mean(inputs))
        return inputs


def test_predict_does_not_accumulate_losses_added_in_call(backend):
    x = Input(shape=(2,))
    layer = AddsCallLoss()
    model = Model(x, layer(Dense(2)(x)))
    before = (len(layer.losses), len(model.losses))
    model.predict(np.ones((3, 2)))
    model.predict(np.ones((70, 2)))  # three batches
    assert (len(layer.losses), len(model.losses)) == before


# ---------------------------------------------------------------------------- custom layers

def test_custom_layer_in_sequential_and_functional_models(backend):
    K = backend
    x = np.random.rand(4, 3).astype('float32')

    sequential = Sequential([MyDense(2, input_shape=(3,))])
    layer = sequential.layers[0]
    assert layer.name == 'my_dense_1'
    assert [w.name for w in layer.weights] == ['my_dense_1/kernel:0']
    kernel = K.get_value(layer.kernel)
    # 'uniform' is RandomUniform(-0.05, 0.05).
    assert np.all(np.abs(kernel) <= 0.05)
    assert sequential.output_shape == (None, 2)
    np.testing.assert_allclose(sequential.predict(x), x.dot(kernel), rtol=1e-5, atol=1e-6)

    inputs = Input(shape=(3,))
    hidden = MyDense(4)(inputs)
    outputs = MyDense(1)(hidden)
    functional = Model(inputs, outputs)
    k1, k2 = functional.get_weights()
    assert k1.shape == (3, 4) and k2.shape == (4, 1)
    assert K.int_shape(outputs) == (None, 1)
    np.testing.assert_allclose(functional.predict(x), x.dot(k1).dot(k2), rtol=1e-5, atol=1e-6)
    assert functional.count_params() == 16


def test_custom_layer_json_round_trip_with_custom_objects(backend):
    model = Sequential([MyDense(2, input_shape=(3,))])
    restored = model_from_json(model.to_json(), custom_objects={'MyDense': MyDense})
    assert isinstance(restored.layers[0], MyDense)
    assert restored.layers[0].output_dim == 2
    restored.set_weights(model.get_weights())
    x = np.random.rand(2, 3)
    np.testing.assert_allclose(restored.predict(x), model.predict(x), rtol=1e-6)
    with pytest.raises(ValueError) as info:
        model_from_json(model.to_json())
    assert 'MyDense' in str(info.value)


def test_custom_layer_without_compute_output_shape_has_its_shape_inferred(backend):
    K = backend
    layer = HalveLastAxis()
    y = layer(Input(shape=(5, 6)))
    assert K.int_shape(y) == (None, 5, 3)
    assert layer.output_shape == (None, 5, 3)
    # Unknown sizes stay unknown.
    z = HalveLastAxis()(Input(shape=(None, 8)))
    assert K.int_shape(z) == (None, None, 4)

    inputs = Input(shape=(5, 6))
    model = Model(inputs, HalveLastAxis()(inputs))
    x = np.random.rand(2, 5, 6).astype('float32')
    np.testing.assert_array_equal(model.predict(x), x[..., :3])


def test_layer_called_on_a_concrete_tensor_computes_its_value(backend):
    K = backend
    x = np.array([[1., 2., 3.], [-1., 0., 4.]], dtype='float32')
    layer = Dense(2, kernel_initializer='ones', bias_initializer=initializers.Constant(0.5))
    out = layer(K.variable(x))
    assert not isinstance(out, K.KerasTensor)
    assert layer.built
    expected = x.dot(np.ones((3, 2))) + 0.5
    np.testing.assert_allclose(K.eval(out), expected)
    # The same layer, now built, also works on symbolic inputs.
    assert K.int_shape(layer(Input(shape=(3,)))) == (None, 2)


class _TwoArgumentError(Exception):
    def __init__(self, code, detail):
        super().__init__(f'{code}: {detail}')
        self.code = code


class _FailingLayer(Layer):
    def __init__(self, error, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def call(self, inputs):
        raise self.error


def test_a_failing_call_names_the_layer_and_chains_the_original(backend):
    original = ValueError('bad input')
    with pytest.raises(ValueError, match=r'Layer failing \(_FailingLayer\) failed when called '
                                         r'on inputs of shape \(None, 3\): bad input') as info:
        _FailingLayer(original, name='failing')(Input((3,)))
    assert info.value.__cause__ is original


def test_an_error_class_not_built_from_one_message_is_chained_too(backend):
    original = _TwoArgumentError(7, 'odd')
    with pytest.raises(RuntimeError, match=r'Layer odd_one .* 7: odd') as info:
        _FailingLayer(original, name='odd_one')(Input((3,)))
    assert info.value.__cause__ is original and info.value.__cause__.code == 7
