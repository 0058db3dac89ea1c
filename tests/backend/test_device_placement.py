"""Every tensor the PyTorch engine creates while building, training, evaluating or predicting
is made on the engine's device (`DEVICE`, a GPU when one is present) or on the device of a
tensor it already has.

On a machine without a GPU `DEVICE` is the CPU, so the device of the tensors made cannot
tell a mistake apart: `torch.zeros(n)` lands on the CPU whichever was meant. What can be
checked everywhere is *how* a tensor is made: a factory function (`torch.zeros`,
`torch.arange`, `torch.as_tensor`, ...) called without an explicit `device=` makes a CPU
tensor on a GPU machine too, and a step mixing it with CUDA tensors then either fails or
copies it to the GPU (synchronously) at every batch. `_FactoryCalls`, a `TorchFunctionMode`,
sees every factory call made while it is active and records those without a `device`
argument, with where they were made. `*_like` and `Tensor.new_*` functions take the device of
their input and are not recorded.

One place may build a tensor on the host and then move it: the conversion of host data
(`convert_to_tensor` of NumPy arrays and Python numbers, which ends in `.to(DEVICE)`). Calls
from it are allowed by name; any other call without a device fails the test, so adding
`torch.zeros(n)` to a layer, an optimizer or the training loop makes it fail
(`test_the_recorder_catches_a_factory_call_without_a_device` shows it).

These tests check how the torch engine makes tensors, so they run on the torch engine only.
"""
import traceback

import numpy as np
import pytest

from cornu import backend as K

if K.backend() != 'torch':
    pytest.skip('checks how the torch engine makes tensors', allow_module_level=True)

import torch  # noqa: E402
from torch.overrides import TorchFunctionMode  # noqa: E402

from cornu import callbacks, optimizers  # noqa: E402
from cornu import layers as L  # noqa: E402
from cornu.models import Model, Sequential  # noqa: E402

_FACTORIES = frozenset([
    torch.tensor, torch.as_tensor, torch.asarray, torch.from_numpy, torch.zeros, torch.ones,
    torch.empty, torch.full, torch.arange, torch.range, torch.linspace, torch.logspace,
    torch.eye, torch.rand, torch.randn, torch.randint, torch.randperm, torch.normal,
    torch.scalar_tensor, torch.empty_strided, torch.tril_indices, torch.triu_indices,
    torch.sparse_coo_tensor,
])

# The one function allowed to build a tensor on the host: it converts host data and moves
# the result to DEVICE in the same call.
_HOST_CONVERSION = ('cornu/backend/torch/core.py', '_numpy_to_tensor')


class _FactoryCalls(TorchFunctionMode):
    """Records the factory calls, made while active, that give no `device`."""

    def __init__(self):
        super(_FactoryCalls, self).__init__()
        self.without_device = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES and kwargs.get('device') is None:
            frames = traceback.extract_stack()[:-1]
            caller = frames[-1]
            if not (caller.filename.replace('\\', '/').endswith(_HOST_CONVERSION[0])
                    and caller.name == _HOST_CONVERSION[1]):
                where = ''.join(traceback.format_list(frames[-4:]))
                self.without_device.append('torch.%s without device=, made at\n%s'
                                           % (func.__name__, where))
        return func(*args, **kwargs)


def _assert_all_placed(recorder):
    assert not recorder.without_device, '\n'.join(recorder.without_device[:5])


def _exercise(model, x, y, optimizer='adam', loss='categorical_crossentropy', **fit_kwargs):
    """Compiles and runs `model` through the whole API while recording factory calls."""
    recorder = _FactoryCalls()
    with recorder:
        model.compile(optimizer, loss, metrics=['accuracy'])
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_split=0.25,
                  **fit_kwargs)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle='batch')
        model.evaluate(x, y, batch_size=8, verbose=0)
        model.predict(x, batch_size=8)
        model.train_on_batch(x[:8], y[:8])
        model.test_on_batch(x[:8], y[:8])
        model.predict_on_batch(x[:8])
    _assert_all_placed(recorder)


def _one_hot(count, classes=3):
    return np.eye(classes, dtype='float32')[np.random.randint(0, classes, count)]


def _mlp():
    return Sequential([L.Dense(16, activation='relu', input_dim=6), L.BatchNormalization(),
                       L.Dropout(0.3), L.Dense(3, activation='softmax')])


@pytest.mark.parametrize('optimizer', [
    optimizers.SGD(lr=0.01, momentum=0.9, nesterov=True, decay=1e-4),
    optimizers.RMSprop(clipnorm=1.), optimizers.Adagrad(clipvalue=0.5),
    optimizers.Adadelta(), optimizers.Adam(amsgrad=True), optimizers.Adamax(),
    optimizers.Nadam()], ids=lambda optimizer: type(optimizer).__name__)
def test_dense_batchnorm_dropout_with_every_optimizer(optimizer):
    x = np.random.rand(32, 6).astype('float32')
    _exercise(_mlp(), x, _one_hot(32), optimizer=optimizer,
              class_weight={0: 1., 1: 2., 2: 0.5})


def test_construction_places_weights_and_state():
    recorder = _FactoryCalls()
    with recorder:
        model = _mlp()
        model.compile('adam', 'categorical_crossentropy')
        model.set_weights(model.get_weights())
    _assert_all_placed(recorder)


def test_convolutions_and_pooling():
    x = np.random.rand(16, 8, 8, 3).astype('float32')
    model = Sequential([
        L.Conv2D(4, 3, padding='same', input_shape=(8, 8, 3)), L.BatchNormalization(),
        L.MaxPooling2D(), L.SeparableConv2D(4, 3, padding='same'), L.AveragePooling2D(),
        L.Conv2DTranspose(2, 2, strides=2), L.ZeroPadding2D(1), L.Cropping2D(1),
        L.UpSampling2D(), L.GlobalAveragePooling2D(), L.Dense(3, activation='softmax')])
    _exercise(model, x, _one_hot(16))


def test_one_dimensional_convolutions():
    x = np.random.rand(16, 10, 3).astype('float32')
    model = Sequential([L.Conv1D(4, 3, input_shape=(10, 3)), L.MaxPooling1D(),
                        L.LocallyConnected1D(2, 2), L.GlobalMaxPooling1D(),
                        L.Dense(3, activation='softmax')])
    _exercise(model, x, _one_hot(16))


@pytest.mark.parametrize('layer', [L.LSTM, L.GRU, L.SimpleRNN])
@pytest.mark.parametrize('native', [False, True], ids=['keras-activations', 'fused-kernel'])
def test_recurrent_layers_with_masking_and_dropout(layer, native):
    tokens = np.random.randint(1, 20, (16, 7))
    tokens[:, 5:] = 0  # padding, masked out by the Embedding
    kwargs = {'activation': 'tanh'}
    if native and layer is not L.SimpleRNN:
        kwargs['recurrent_activation'] = 'sigmoid'
    if not native:
        kwargs.update(dropout=0.2, recurrent_dropout=0.2)
    model = Sequential([L.Embedding(20, 4, mask_zero=True, input_length=7),
                        L.Bidirectional(layer(5, return_sequences=True, **kwargs)),
                        layer(5, **kwargs), L.Dense(3, activation='softmax')])
    _exercise(model, tokens, _one_hot(16))


def test_stateful_recurrent_layer_and_noise():
    x = np.random.rand(8, 5, 3).astype('float32')
    model = Sequential([L.GaussianNoise(0.1, batch_input_shape=(8, 5, 3)),
                        L.LSTM(4, stateful=True), L.GaussianDropout(0.1), L.AlphaDropout(0.1),
                        L.Dense(3, activation='softmax')])
    recorder = _FactoryCalls()
    with recorder:
        model.compile('rmsprop', 'categorical_crossentropy')
        model.fit(x, _one_hot(8), batch_size=8, epochs=2, verbose=0, shuffle=False)
        model.reset_states()
        model.predict(x, batch_size=8)
    _assert_all_placed(recorder)


def test_functional_model_with_callbacks_and_backend_function(tmp_path):
    inputs = L.Input((6,))
    hidden = L.Dense(8, activation='relu')(inputs)
    merged = L.concatenate([hidden, L.Dense(8)(inputs)])
    outputs = L.Dense(3, activation='softmax')(L.Dropout(0.5)(merged))
    model = Model(inputs, outputs)
    x = np.random.rand(32, 6).astype('float32')
    watch = [callbacks.ReduceLROnPlateau(patience=0), callbacks.EarlyStopping(patience=5),
             callbacks.LearningRateScheduler(lambda epoch: 0.01 / (1 + epoch)),
             callbacks.TerminateOnNaN(),
             callbacks.ModelCheckpoint(str(tmp_path / 'weights.h5'), save_weights_only=True)]
    recorder = _FactoryCalls()
    with recorder:
        _exercise(model, x, _one_hot(32), callbacks=watch,
                  sample_weight=np.linspace(0.5, 1.5, 32))
        hidden_of = K.function([model.input, K.learning_phase()], [merged])
        hidden_of([x, 0])
        gradient = K.function([model.input], K.gradients(K.mean(outputs), [model.input]))
        gradient([x])
    _assert_all_placed(recorder)


def test_fit_generator():
    x = np.random.rand(32, 6).astype('float32')
    y = _one_hot(32)

    def batches():
        while True:
            for start in range(0, 32, 8):
                yield x[start:start + 8], y[start:start + 8]

    model = _mlp()
    recorder = _FactoryCalls()
    with recorder:
        model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
        model.fit_generator(batches(), steps_per_epoch=4, epochs=2, verbose=0,
                            validation_data=batches(), validation_steps=2)
        model.evaluate_generator(batches(), steps=2)
        model.predict_generator((x[s:s + 8] for s in range(0, 32, 8)), steps=4)
    _assert_all_placed(recorder)


def test_the_recorder_catches_a_factory_call_without_a_device():
    """The check can fail: a layer that makes a tensor without a device is reported."""
    def add_zeros(x):
        return x + torch.zeros(x.shape[-1])

    model = Sequential([L.Dense(3, input_dim=6), L.Lambda(add_zeros),
                        L.Activation('softmax')])
    with pytest.raises(AssertionError, match='torch.zeros without device='):
        _exercise(model, np.random.rand(16, 6).astype('float32'), _one_hot(16))


def test_the_recorder_accepts_a_tensor_made_on_the_device_of_its_input():
    def add_zeros(x):
        return x + torch.zeros(x.shape[-1], device=x.device) + torch.ones_like(x)

    model = Sequential([L.Dense(3, input_dim=6), L.Lambda(add_zeros),
                        L.Activation('softmax')])
    _exercise(model, np.random.rand(16, 6).astype('float32'), _one_hot(16))
