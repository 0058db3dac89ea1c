"""Export for serving: a model's torch module (`model.as_torch_module()`) through
`torch.export.export` (non-strict, its default, and strict), `torch.jit.trace` (also saved and
loaded back) and `torch.onnx.export` (the TorchScript exporter; the dynamo exporter where
`onnxscript` is installed), each artefact run on inputs of another batch size than the
export's and compared with cornu's own predictions. PyTorch engine only."""
import warnings

import numpy as np
import pytest

from cornu import backend as K

if K.backend() != 'torch':
    pytest.skip('export for serving goes through the torch module of a model: torch engine '
                'only', allow_module_level=True)

import torch  # noqa: E402

from cornu import layers, models  # noqa: E402
from cornu.backend.torch import native_rnn  # noqa: E402

ATOL = 1e-5
EXPORT_BATCH, RUN_BATCH = 2, 5


# ---------------------------------------------------------------- models of every family

def _cnn():
    return models.Sequential([
        layers.Conv2D(4, 3, activation='relu', input_shape=(8, 8, 2)),
        layers.MaxPooling2D(), layers.BatchNormalization(), layers.Dropout(0.3),
        layers.SeparableConv2D(3, 2, padding='same'), layers.LeakyReLU(0.1),
        layers.Flatten(), layers.Dense(3, activation='softmax')])


def _masked_rnn(kind, **options):
    def build():
        rnn = getattr(layers, kind)
        return models.Sequential([layers.Masking(0., input_shape=(3, 3)),
                                  rnn(5, return_sequences=True, **options),
                                  rnn(4, go_backwards=True, **options)])
    return build


def _bidirectional():
    return models.Sequential([
        layers.Masking(0., input_shape=(3, 3)),
        layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
        layers.Bidirectional(layers.GRU(3), merge_mode='sum')])


def _embedding_lstm():
    return models.Sequential([layers.Embedding(10, 4, input_length=3, mask_zero=True),
                              layers.LSTM(3)])


def _native_kernels():
    # Sigmoid gates: LSTM and GRU(reset_after=True) run torch's own fused kernels.
    return models.Sequential([
        layers.LSTM(5, recurrent_activation='sigmoid', return_sequences=True,
                    input_shape=(3, 3)),
        layers.GRU(4, recurrent_activation='sigmoid', reset_after=True, go_backwards=True),
        layers.Dense(2)])


def _cudnn_layers():
    return models.Sequential([layers.CuDNNLSTM(4, return_sequences=True, input_shape=(3, 3)),
                              layers.CuDNNGRU(3)])


def _conv_lstm():
    return models.Sequential([layers.ConvLSTM2D(2, 3, padding='same', input_shape=(3, 5, 5, 1)),
                              layers.GlobalAveragePooling2D()])


def _torch_module_inside():
    return models.Sequential([
        layers.Dense(4, input_shape=(3,)),
        layers.TorchModuleLayer(torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Tanh())),
        layers.Dense(1)])


def _multi_input():
    numbers = layers.Input((4,), name='numbers')
    sequence = layers.Input((3, 3), name='sequence')
    hidden = layers.concatenate([layers.Dense(3, activation='tanh')(numbers),
                                 layers.SimpleRNN(3)(layers.Masking(0.)(sequence))])
    return models.Model([numbers, sequence],
                        [layers.Dense(2)(hidden), layers.Dense(1, activation='sigmoid')(hidden)])


MODELS = {'cnn': _cnn, 'lstm_masked': _masked_rnn('LSTM'), 'gru_masked': _masked_rnn('GRU'),
          'simple_rnn_masked': _masked_rnn('SimpleRNN'), 'bidirectional': _bidirectional,
          'embedding_lstm': _embedding_lstm, 'native_kernels': _native_kernels,
          'cudnn_layers': _cudnn_layers, 'conv_lstm': _conv_lstm, 'multi_input': _multi_input,
          'torch_module_inside': _torch_module_inside}
# The recurrent families and the multi-input graph: what every exporter is tested on.
CORE = ['cnn', 'lstm_masked', 'gru_masked', 'bidirectional', 'multi_input']


def _inputs(model, batch, seed=0):
    """Arrays for every model input: sequences zero-padded at their end (different lengths
    per sample, so the masks matter), token ids for an Embedding."""
    rng = np.random.RandomState(seed + batch)
    arrays = []
    for tensor in model.inputs:
        shape = (batch,) + K.int_shape(tensor)[1:]
        if type(model.layers[0]).__name__ == 'Embedding':
            array = rng.randint(1, 10, shape).astype('float32')
        else:
            array = rng.uniform(-1, 1, shape).astype('float32')
        if len(shape) == 3:
            for sample in range(batch):
                array[sample, shape[1] - sample % 3:] = 0
        arrays.append(array)
    return arrays


def _setup(name):
    model = MODELS[name]()
    module = model.as_torch_module().eval()
    examples = tuple(torch.from_numpy(a) for a in _inputs(model, EXPORT_BATCH))
    arrays = _inputs(model, RUN_BATCH, seed=1)
    expected = model.predict(arrays if len(arrays) > 1 else arrays[0])
    return model, module, examples, arrays, expected if isinstance(expected, list) \
        else [expected]


def _check(got, expected):
    got = list(got) if isinstance(got, (tuple, list)) else [got]
    assert len(got) == len(expected)
    for value, reference in zip(got, expected):
        value = value.detach().numpy() if isinstance(value, torch.Tensor) else value
        assert value.shape == reference.shape
        np.testing.assert_allclose(value, reference, rtol=0, atol=ATOL)


def _batch_free(examples):
    # `forward(*inputs)`: the dynamic shapes of a variadic argument are one tuple.
    batch = torch.export.Dim('batch')
    return (tuple({0: batch} for _ in examples),)


# ---------------------------------------------------------------- torch.export

@pytest.mark.parametrize('name', sorted(MODELS))
def test_torch_export_non_strict(name):
    model, module, examples, arrays, expected = _setup(name)
    program = torch.export.export(module, examples, dynamic_shapes=_batch_free(examples))
    # The weights are the program's parameters, under the module's names.
    assert sorted(program.state_dict) == sorted(dict(module.named_parameters()))
    _check(program.module()(*[torch.from_numpy(a) for a in arrays]), expected)
    # Exporting left the model as it was.
    _check(model.predict(arrays if len(arrays) > 1 else arrays[0]), expected)


@pytest.mark.parametrize('name', ['cnn', 'multi_input'])
def test_torch_export_strict(name):
    model, module, examples, arrays, expected = _setup(name)
    program = torch.export.export(module, examples, dynamic_shapes=_batch_free(examples),
                                  strict=True)
    _check(program.module()(*[torch.from_numpy(a) for a in arrays]), expected)


def test_exported_program_saved_and_loaded(tmp_path):
    model, module, examples, arrays, expected = _setup('cnn')
    program = torch.export.export(module, examples, dynamic_shapes=_batch_free(examples))
    torch.export.save(program, str(tmp_path / 'model.pt2'))
    loaded = torch.export.load(str(tmp_path / 'model.pt2'))
    _check(loaded.module()(torch.from_numpy(arrays[0])), expected)


def test_export_with_gradients_enabled_and_the_model_still_trains():
    model, module, examples, arrays, expected = _setup('gru_masked')
    with torch.enable_grad():
        program = torch.export.export(module, examples, dynamic_shapes=_batch_free(examples))
    _check(program.module()(torch.from_numpy(arrays[0])), expected)
    # The model's own variables, not the export's placeholders, are back in the layers.
    model.compile('sgd', 'mse')
    x = arrays[0]
    before = model.evaluate(x, np.zeros((RUN_BATCH, 4)), verbose=0)
    model.fit(x, np.zeros((RUN_BATCH, 4)), epochs=3, verbose=0)
    assert model.evaluate(x, np.zeros((RUN_BATCH, 4)), verbose=0) < before


def test_native_kernels_keep_no_placeholder_after_export():
    """torch's fused kernels take a zero bias kept between calls: one made while exporting
    would be a fake tensor, so none is kept then."""
    model, module, examples, arrays, expected = _setup('native_kernels')
    native_rnn._zero_biases.clear()
    torch.export.export(module, examples)
    assert not native_rnn._zero_biases
    _check(model.predict(arrays[0]), expected)
    assert all(type(b) is torch.Tensor for b in native_rnn._zero_biases.values())


def test_functional_call_uses_the_given_parameters():
    model = models.Sequential([layers.Dense(2, input_shape=(3,)), layers.Dense(1)])
    module = model.as_torch_module().eval()
    x = np.random.rand(3, 3).astype('float32')
    kernel, bias = (np.random.rand(3, 2).astype('float32'),
                    np.random.rand(2).astype('float32'))
    weights = model.get_weights()
    got = torch.func.functional_call(module, {'dense_1.kernel': torch.from_numpy(kernel),
                                              'dense_1.bias': torch.from_numpy(bias)},
                                     (torch.from_numpy(x),))
    reference = (x @ kernel + bias) @ weights[2] + weights[3]
    np.testing.assert_allclose(got.detach().numpy(), reference, rtol=1e-5)
    # The model's weights are untouched and back in its layers.
    for now, before in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(now, before)
    np.testing.assert_allclose(model.predict(x), (x @ weights[0] + weights[1]) @ weights[2] +
                               weights[3], rtol=1e-5)


def test_parameters_assigned_by_load_state_dict_are_computed_with():
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    module = model.as_torch_module().eval()
    kernel = np.arange(6, dtype='float32').reshape(3, 2)
    before = model.get_weights()
    module.load_state_dict({'dense_1.kernel': torch.from_numpy(kernel),
                            'dense_1.bias': torch.ones(2)}, assign=True)
    x = np.random.rand(4, 3).astype('float32')
    np.testing.assert_allclose(module(torch.from_numpy(x)).detach().numpy(), x @ kernel + 1,
                               rtol=1e-6)
    # The model keeps its own variables.
    np.testing.assert_allclose(model.predict(x), x @ before[0] + before[1], rtol=1e-5)


# ---------------------------------------------------------------- torch.jit.trace

@pytest.mark.parametrize('name', sorted(MODELS))
def test_jit_trace_saved_and_loaded(name, tmp_path):
    model, module, examples, arrays, expected = _setup(name)
    with warnings.catch_warnings():
        # Python-level shape checks are constants in the trace; only the batch axis varies.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        traced = torch.jit.trace(module, examples)
    inputs = [torch.from_numpy(a) for a in arrays]
    _check(traced(*inputs), expected)
    torch.jit.save(traced, str(tmp_path / 'model.pt'))
    loaded = torch.jit.load(str(tmp_path / 'model.pt'))
    _check(loaded(*inputs), expected)


# ---------------------------------------------------------------- ONNX

def _run_onnx(path, names, arrays):
    onnxruntime = pytest.importorskip('onnxruntime')
    session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
    return session.run(None, dict(zip(names, arrays)))


@pytest.mark.parametrize('name', sorted(MODELS))
def test_onnx_torchscript_exporter(name, tmp_path):
    model, module, examples, arrays, expected = _setup(name)
    names = ['input_%d' % k for k in range(len(examples))]
    path = str(tmp_path / 'model.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        torch.onnx.export(module, examples, path, input_names=names,
                          dynamic_axes={n: {0: 'batch'} for n in names}, opset_version=17,
                          dynamo=False)
    _check(_run_onnx(path, names, arrays), expected)


@pytest.mark.parametrize('name', CORE)
def test_onnx_dynamo_exporter(name, tmp_path):
    pytest.importorskip('onnxscript', reason='the dynamo ONNX exporter needs onnxscript (the '
                                             'onnx extra installs it)')
    model, module, examples, arrays, expected = _setup(name)
    names = ['input_%d' % k for k in range(len(examples))]
    path = str(tmp_path / 'model.onnx')
    torch.onnx.export(module, examples, path, input_names=names,
                      dynamic_shapes=_batch_free(examples), dynamo=True)
    _check(_run_onnx(path, names, arrays), expected)
