"""PyTorch interop: a model as a `torch.nn.Module`, a `torch.nn.Module` as a layer, and
`compile(..., jit_compile=True)`. These tests check torch behaviour, so they import torch and
run on the torch engine only."""
import warnings

import numpy as np
import pytest

from cornu import backend as K

if K.backend() != 'torch':
    pytest.skip('PyTorch interop needs the torch engine', allow_module_level=True)

import torch  # noqa: E402

from cornu import regularizers  # noqa: E402
from cornu.backend.torch import interop  # noqa: E402
from cornu.layers import (Input, Dense, Dropout, BatchNormalization, Activation,  # noqa: E402
                          TorchModuleLayer, concatenate)
from cornu.models import Sequential, Model  # noqa: E402
from cornu.optimizers import Adam, SGD  # noqa: E402


def _mlp(dropout=0.):
    model = Sequential()
    model.add(Dense(6, activation='relu', input_shape=(4,)))
    if dropout:
        model.add(Dropout(dropout))
    model.add(Dense(3, activation='softmax'))
    return model


def _tensor(array):
    return torch.from_numpy(np.asarray(array, dtype='float32'))


_compile_checks = {}


def _require_torch_compile(backend='inductor'):
    """Skips when torch.compile with `backend` fails on this machine (inductor needs a C++
    compiler); tried once per backend and session."""
    if backend not in _compile_checks:
        try:
            torch.compile(lambda t: t * 2 + 1, backend=backend)(torch.ones(2))
            _compile_checks[backend] = None
        except Exception as error:  # pragma: no cover - depends on the machine
            _compile_checks[backend] = '%s: %s' % (type(error).__name__, error)
    if _compile_checks[backend]:
        pytest.skip('torch.compile (%s) does not work here: %s'
                    % (backend, _compile_checks[backend][:200]))


# ---------------------------------------------------------------- a model as a torch module

def test_module_parameters_are_the_model_variables():
    model = _mlp()
    module = model.as_torch_module()
    assert isinstance(module, torch.nn.Module)
    named = dict(module.named_parameters())
    assert list(named) == ['dense_1.kernel', 'dense_1.bias', 'dense_2.kernel', 'dense_2.bias']
    for weight in model.weights:
        name = weight.name.replace('/', '.').replace(':0', '')
        assert named[name] is weight
    assert [p for p in module.parameters()] == model.trainable_weights


def test_non_trainable_weights_are_parameters_without_grad():
    model = Sequential([BatchNormalization(input_shape=(3,))])
    module = model.as_torch_module()
    named = dict(module.named_parameters())
    assert set(named) == {'batch_normalization_1.gamma', 'batch_normalization_1.beta',
                          'batch_normalization_1.moving_mean',
                          'batch_normalization_1.moving_variance'}
    assert not named['batch_normalization_1.moving_mean'].requires_grad
    assert named['batch_normalization_1.gamma'].requires_grad


def test_frozen_layers_are_frozen_in_the_module_until_compiled_trainable():
    model = _mlp()
    model.layers[0].trainable = False
    module = model.as_torch_module()
    assert [n for n, p in module.named_parameters() if p.requires_grad] == [
        'dense_2.kernel', 'dense_2.bias']
    model.layers[0].trainable = True
    model.compile(SGD(lr=0.1), 'mse')
    before = model.get_weights()[0]
    model.fit(np.random.rand(4, 4), np.random.rand(4, 3), verbose=0)
    assert not np.allclose(model.get_weights()[0], before)


def test_state_dict_round_trip():
    # Parameter names follow layer names: a model built the same way in a fresh session has
    # the same ones (or give the layers names).
    source = _mlp()
    K.clear_session()
    target = _mlp()
    x = np.random.rand(5, 4).astype('float32')
    state = source.as_torch_module().state_dict()
    assert list(state) == ['dense_1.kernel', 'dense_1.bias', 'dense_2.kernel', 'dense_2.bias']
    assert all(type(v) is torch.Tensor for v in state.values())
    target_module = target.as_torch_module()
    target_module.load_state_dict(state)
    np.testing.assert_allclose(target.predict(x), source.predict(x), rtol=1e-6)
    for mine, theirs in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    # set_weights on the model shows in the module's state_dict
    new = [np.full_like(w, 0.5) for w in source.get_weights()]
    target.set_weights(new)
    np.testing.assert_array_equal(target_module.state_dict()['dense_2.bias'].numpy(), new[3])


def test_forward_follows_the_module_mode():
    model = Sequential([Dense(64, input_shape=(4,)), Dropout(0.5)])
    module = model.as_torch_module()
    x = np.random.rand(8, 4).astype('float32')
    assert module.training  # as every new torch module
    module.eval()
    out = module(_tensor(x))
    np.testing.assert_allclose(out.detach().numpy(), model.predict(x), rtol=1e-5, atol=1e-6)
    module.train()
    dropped = module(_tensor(x)).detach().numpy()
    assert (dropped == 0).mean() > 0.2
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], 2 * model.predict(x)[kept], rtol=1e-5)


def test_batch_normalization_statistics_update_only_in_train_mode():
    model = Sequential([BatchNormalization(input_shape=(3,), momentum=0.5)])
    module = model.as_torch_module()
    x = np.random.rand(16, 3).astype('float32') * 4 + 2
    module.eval()
    module(_tensor(x))
    np.testing.assert_array_equal(model.get_weights()[2], np.zeros(3))
    module.train()
    module(_tensor(x))
    np.testing.assert_allclose(model.get_weights()[2], 0.5 * x.mean(axis=0), rtol=1e-5)


def test_forward_hooks():
    model = _mlp()
    module = model.as_torch_module().eval()
    seen = []
    handle = module.register_forward_hook(lambda mod, args, output: seen.append(output))
    pre = module.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    out = module(torch.ones(2, 4))
    assert seen and seen[0] is out
    np.testing.assert_allclose(out.detach().numpy(), model.predict(np.zeros((2, 4))),
                               rtol=1e-6)
    handle.remove()
    pre.remove()


def test_plain_torch_training_loop_updates_the_model():
    model = Sequential([Dense(1, input_shape=(3,))])
    module = model.as_torch_module()
    x = np.random.rand(10, 3).astype('float32')
    y = np.random.rand(10, 1).astype('float32')
    kernel, bias = model.get_weights()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
    loss = torch.nn.functional.mse_loss(module(_tensor(x)), _tensor(y))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    # the SGD step of mean((x W + b - y)^2), written out
    error = x @ kernel + bias - y
    expected_kernel = kernel - 0.1 * 2 * x.T @ error / len(x)
    expected_bias = bias - 0.1 * 2 * error.mean(axis=0)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, expected_kernel, rtol=1e-5)
    np.testing.assert_allclose(new_bias, expected_bias, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x), x @ new_kernel + new_bias, rtol=1e-5)


def test_module_losses_hold_regularization_terms():
    inputs = Input((3,))
    outputs = Dense(2, kernel_regularizer=regularizers.l2(0.1),
                    activity_regularizer=regularizers.l1(0.01))(inputs)
    model = Model(inputs, outputs)
    module = model.as_torch_module()
    x = np.random.rand(4, 3).astype('float32')
    out = module(_tensor(x))
    kernel = model.get_weights()[0]
    values = sorted(float(v.detach()) for v in module.losses)
    expected = sorted([0.1 * np.sum(kernel ** 2), 0.01 * np.sum(np.abs(out.detach().numpy()))])
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_several_inputs_and_outputs():
    a, b = Input((2,), name='a'), Input((3,), name='b')
    merged = concatenate([a, b])
    model = Model([a, b], [Dense(1, name='first')(merged), Dense(2, name='second')(merged)])
    module = model.as_torch_module().eval()
    xa, xb = np.random.rand(4, 2).astype('float32'), np.random.rand(4, 3).astype('float32')
    first, second = module(_tensor(xa), _tensor(xb))
    expected = model.predict([xa, xb])
    np.testing.assert_allclose(first.detach().numpy(), expected[0], rtol=1e-6)
    np.testing.assert_allclose(second.detach().numpy(), expected[1], rtol=1e-6)
    with pytest.raises(ValueError, match='expects 2 input'):
        module(_tensor(xa))


def test_copies_of_the_module_share_the_weights_of_a_copied_model():
    import copy
    import pickle
    model = _mlp()
    module = model.as_torch_module().eval()
    x = _tensor(np.random.rand(3, 4))
    for clone in (copy.deepcopy(module), pickle.loads(pickle.dumps(module))):
        assert clone.keras_model is not model and not clone.training
        named = dict(clone.named_parameters())
        assert named['dense_1.kernel'] is clone.keras_model.layers[0].kernel
        np.testing.assert_allclose(clone(x).detach().numpy(), module(x).detach().numpy(),
                                   rtol=1e-6)
        with torch.no_grad():
            named['dense_1.kernel'].zero_()
        assert float(model.layers[0].kernel.detach().abs().sum()) > 0


def test_unbuilt_model_has_no_module():
    model = Sequential([Dense(2)])
    with pytest.raises(ValueError, match='not built'):
        model.as_torch_module()


def test_compiled_module():
    # Dynamo capture and AOT autograd, without inductor's C++ code generation (slow to
    # compile here); the jit_compile test below runs the full inductor pipeline.
    _require_torch_compile('aot_eager')
    model = _mlp(dropout=0.5)
    module = model.as_torch_module()
    compiled = torch.compile(module, backend='aot_eager', fullgraph=True)
    x = np.random.rand(5, 4).astype('float32')
    module.eval()
    np.testing.assert_allclose(compiled(_tensor(x)).detach().numpy(), model.predict(x),
                               rtol=1e-5, atol=1e-6)
    module.train()
    optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
    before = model.get_weights()[0]
    compiled(_tensor(x))[:, 0].sum().backward()
    optimizer.step()
    assert not np.allclose(model.get_weights()[0], before)


# ---------------------------------------------------------------- a torch module as a layer

def test_layer_weights_are_the_module_tensors():
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    net[1].bias.requires_grad_(False)
    tensors = [net[0].weight, net[0].bias, net[1].weight, net[1].bias, net[1].running_mean]
    layer = TorchModuleLayer(net)
    assert layer.name == 'torch_module_layer_1'
    assert [w.name for w in layer.trainable_weights] == [
        'torch_module_layer_1/0/weight:0', 'torch_module_layer_1/0/bias:0',
        'torch_module_layer_1/1/weight:0']
    assert [w.name for w in layer.non_trainable_weights] == [
        'torch_module_layer_1/1/bias:0', 'torch_module_layer_1/1/running_mean:0',
        'torch_module_layer_1/1/running_var:0', 'torch_module_layer_1/1/num_batches_tracked:0']
    weights = layer.weights
    for tensor in tensors:
        assert any(tensor is w for w in weights)
    assert net[0].weight is tensors[0] and isinstance(net[0].weight, torch.nn.Parameter)


def test_layer_in_sequential_computes_and_trains_the_module():
    linear = torch.nn.Linear(4, 3)
    model = Sequential([TorchModuleLayer(linear, input_shape=(4,)), Activation('tanh')])
    assert model.output_shape == (None, 3)
    x = np.random.rand(6, 4).astype('float32')
    weight, bias = (t.detach().numpy().copy() for t in (linear.weight, linear.bias))
    np.testing.assert_allclose(model.predict(x), np.tanh(x @ weight.T + bias),
                               rtol=1e-5, atol=1e-6)
    model.compile(SGD(lr=0.1), 'mse')
    model.fit(x, np.random.rand(6, 3), epochs=2, batch_size=3, verbose=0)
    new_weight = linear.weight.detach().numpy()
    assert not np.allclose(new_weight, weight)
    np.testing.assert_array_equal(model.get_weights()[0], new_weight)


def test_layer_in_functional_model_with_several_inputs_and_outputs():
    class SplitSum(torch.nn.Module):
        def __init__(self):
            super(SplitSum, self).__init__()
            self.scale = torch.nn.Parameter(torch.tensor([2.0]))

        def forward(self, a, b):
            return a * self.scale, (a + b).sum(dim=1, keepdim=True)

    a, b = Input((3,)), Input((3,))
    scaled, summed = TorchModuleLayer(SplitSum())([a, b])
    assert scaled._keras_shape == (None, 3) and summed._keras_shape == (None, 1)
    model = Model([a, b], [scaled, Dense(2)(summed)])
    xa, xb = np.random.rand(5, 3).astype('float32'), np.random.rand(5, 3).astype('float32')
    out_scaled, _ = model.predict([xa, xb])
    np.testing.assert_allclose(out_scaled, 2 * xa, rtol=1e-6)


def test_output_shape_inferred_with_unknown_sizes_or_given():
    conv = torch.nn.Conv1d(2, 5, kernel_size=3)
    inputs = Input((2, None))
    assert TorchModuleLayer(conv)(inputs)._keras_shape == (None, 5, None)
    given = TorchModuleLayer(torch.nn.Conv1d(2, 5, kernel_size=3), output_shape=(5, None))
    assert given(inputs)._keras_shape == (None, 5, None)
    calls = []

    def shape_of(input_shape):
        calls.append(input_shape)
        return input_shape[:1] + (7,)
    assert TorchModuleLayer(torch.nn.Linear(2, 7), output_shape=shape_of)(
        Input((2,)))._keras_shape == (None, 7)
    assert calls == [(None, 2)]


def test_learning_phase_sets_the_module_mode():
    class Recorder(torch.nn.Module):
        def __init__(self):
            super(Recorder, self).__init__()
            self.linear = torch.nn.Linear(2, 1)
            self.modes = []

        def forward(self, x):
            self.modes.append(self.training)
            return self.linear(x)

    recorder = Recorder()
    model = Sequential([TorchModuleLayer(recorder, input_shape=(2,))])
    model.compile('sgd', 'mse')
    x, y = np.random.rand(4, 2), np.random.rand(4, 1)
    del recorder.modes[:]
    model.fit(x, y, batch_size=4, verbose=0)
    assert recorder.modes == [True] and recorder.linear.training
    model.predict(x)
    model.evaluate(x, y, verbose=0)
    assert recorder.modes == [True, False, False] and not recorder.linear.training


def test_module_buffers_and_weights_round_trip(tmp_path):
    def build():
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
        return net, Sequential([TorchModuleLayer(net, input_shape=(3,)), Dense(1)])

    net, model = build()
    model.compile(Adam(lr=0.01), 'mse')
    x, y = np.random.rand(16, 3), np.random.rand(16, 1)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert int(net[1].num_batches_tracked) == 4
    path = str(tmp_path / 'weights.h5')
    model.save_weights(path)
    other_net, other = build()
    other.load_weights(path)
    np.testing.assert_allclose(other_net[1].running_mean.detach().numpy(),
                               net[1].running_mean.detach().numpy())
    np.testing.assert_allclose(other.predict(x), model.predict(x), rtol=1e-6)
    other.set_weights([np.zeros_like(w) for w in other.get_weights()])
    assert float(other_net[0].weight.detach().abs().sum()) == 0.


def test_saving_the_architecture_raises_a_clear_error(tmp_path):
    model = Sequential([TorchModuleLayer(torch.nn.Linear(2, 2), input_shape=(2,))])
    with pytest.raises(NotImplementedError, match='save_weights'):
        model.get_config()
    with pytest.raises(NotImplementedError, match='torch.nn.Module'):
        model.save(str(tmp_path / 'model.h5'))
    with pytest.raises(NotImplementedError):
        model.to_json()


def test_wrapping_errors():
    with pytest.raises(TypeError, match='torch.nn.Module'):
        TorchModuleLayer(lambda x: x)
    with pytest.raises(ValueError, match='uninitialized'):
        TorchModuleLayer(torch.nn.LazyLinear(3))
    with pytest.raises(TypeError, match='output_shape'):
        TorchModuleLayer(torch.nn.Linear(2, 2), output_shape=3)


def test_wrapped_module_inside_a_torch_module_view():
    linear = torch.nn.Linear(3, 2)
    model = Sequential([TorchModuleLayer(linear, input_shape=(3,)), Dense(1)])
    named = dict(model.as_torch_module().named_parameters())
    assert list(named) == ['torch_module_layer_1.weight', 'torch_module_layer_1.bias',
                           'dense_1.kernel', 'dense_1.bias']
    assert named['torch_module_layer_1.weight'] is linear.weight


# ---------------------------------------------------------------- jit_compile

def _classifier(jit_compile, seed=3):
    np.random.seed(seed)
    model = Sequential([Dense(8, use_bias=False, input_shape=(5,)), BatchNormalization(),
                        Activation('relu'), Dense(3, activation='softmax')])
    model.compile(Adam(lr=0.01), 'categorical_crossentropy', metrics=['accuracy'],
                  jit_compile=jit_compile)
    return model


def _classification_data():
    x = np.random.rand(64, 5).astype('float32')
    y = np.eye(3, dtype='float32')[np.random.randint(0, 3, 64)]
    return x, y


def test_jit_compile_matches_eager():
    _require_torch_compile()
    eager, compiled = _classifier(False), _classifier(True)
    compiled.set_weights(eager.get_weights())
    x, y = _classification_data()
    with warnings.catch_warnings():
        warnings.simplefilter('error', RuntimeWarning)  # no fallback to eager
        history = compiled.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    reference = eager.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert compiled._trainer._value_and_grad.forward.compiled is not None
    for key in ('loss', 'acc'):
        np.testing.assert_allclose(history.history[key], reference.history[key], rtol=1e-5)
    for mine, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


def test_jit_compile_falls_back_to_eager_with_a_warning(monkeypatch):
    def failing_backend(graph, example_inputs):
        raise RuntimeError('no compiler today')

    monkeypatch.setattr(interop, 'COMPILE_OPTIONS', {'backend': failing_backend})
    eager, compiled = _classifier(False), _classifier(True)
    compiled.set_weights(eager.get_weights())
    x, y = _classification_data()
    with pytest.warns(RuntimeWarning, match='runs eagerly'):
        history = compiled.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    reference = eager.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history['loss'], reference.history['loss'], rtol=1e-6)
    assert compiled._trainer._value_and_grad.forward.compiled is None
