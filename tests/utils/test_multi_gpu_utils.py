"""cornu.utils.multi_gpu_utils: Keras 2.2.4's errors, and the replicated model's numbers.

The machine running the suite may have no GPU: the batch splitting, weight sharing and training
are checked through `_replicate`, which takes any list of devices (CPU ones here).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import cornu
from cornu.backend import kernels
from cornu import layers, models, optimizers
from cornu.utils import multi_gpu_utils
from cornu.utils.multi_gpu_utils import multi_gpu_model


def _mlp():
    model = models.Sequential([layers.Dense(5, input_shape=(3,), activation='tanh'),
                               layers.Dense(2)])
    return model


def _copy_of(model):
    twin = _mlp()
    twin.set_weights(model.get_weights())
    return twin


def _gpus(backend, monkeypatch, count):
    monkeypatch.setattr(kernels, 'gpu_count', lambda: count)


def test_reexported(backend):
    assert cornu.utils.multi_gpu_model is multi_gpu_model
    from cornu.utils import multi_gpu_model as again
    assert again is multi_gpu_model


@pytest.mark.parametrize('visible', [0, 1])
def test_errors_without_enough_gpus(backend, monkeypatch, visible):
    _gpus(backend, monkeypatch, visible)
    model = _mlp()
    available = ['/cpu:0'] + ['/gpu:%d' % i for i in range(visible)]
    expected = ("To call `multi_gpu_model` with `gpus=2`, we expect the following devices to "
                "be available: ['/cpu:0', '/gpu:0', '/gpu:1']. However this machine only has: "
                "%s. Try reducing `gpus`." % available)
    with pytest.raises(ValueError) as info:
        multi_gpu_model(model, gpus=2)
    assert str(info.value) == expected
    with pytest.raises(ValueError, match=r"gpus=\[0, 1\]`, we expect the following devices"):
        multi_gpu_model(model, gpus=[0, 1])
    # By default every visible GPU is used: fewer than 2 is refused.
    with pytest.raises(ValueError) as info:
        multi_gpu_model(model)
    assert str(info.value) == ('For multi-gpu usage to be effective, call `multi_gpu_model` '
                               'with `gpus >= 2`. Received: `gpus=%d`' % visible)
    with pytest.raises(ValueError, match=r'with `len\(gpus\) >= 2`. Received: `gpus=\[0\]`'):
        multi_gpu_model(model, gpus=[0])


def test_builds_one_replica_per_gpu(backend, monkeypatch):
    _gpus(backend, monkeypatch, 4)
    model = _mlp()
    parallel = multi_gpu_model(model, gpus=[1, 3], cpu_merge=False, cpu_relocation=True)
    lambdas = [layer for layer in parallel.layers if isinstance(layer, layers.Lambda)]
    assert [layer.arguments for layer in lambdas] == [
        {'i': 0, 'parts': 2, 'device': 'cuda:1'}, {'i': 1, 'parts': 2, 'device': 'cuda:3'}]
    parallel = multi_gpu_model(model)
    assert [layer.arguments['device'] for layer in parallel.layers
            if isinstance(layer, layers.Lambda)] == ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3']
    # The replicas share the template's weights.
    assert parallel.count_params() == model.count_params()
    assert [id(w) for w in parallel.trainable_weights] == \
        [id(w) for w in model.trainable_weights]


def test_graph_as_keras_builds_it(backend):
    model = _mlp()
    parallel = multi_gpu_utils._replicate(model, ['cpu', 'cpu'])
    assert isinstance(parallel, models.Model)
    assert [type(layer).__name__ for layer in parallel.layers] == [
        'InputLayer', 'Lambda', 'Lambda', 'Sequential', 'Concatenate']
    # Each output is a concatenation named after the template's output.
    assert parallel.output_names == model.output_names
    assert parallel.input_names == model.input_names
    assert parallel.layers[3] is model and len(model._inbound_nodes) == 3


@pytest.mark.parametrize('batch_size', [10, 4, 2])
def test_predictions_equal_the_template(backend, batch_size):
    model = _mlp()
    parallel = multi_gpu_utils._replicate(model, ['cpu'] * 3)
    x = np.random.rand(10, 3).astype('float32')
    # Batches of 10, 4 and 2 split unevenly over 3 replicas (the last slice takes the rest;
    # with 2 samples, two slices are empty).
    np.testing.assert_allclose(parallel.predict(x, batch_size=batch_size), model.predict(x),
                               rtol=1e-6, atol=1e-6)


def test_several_inputs_and_outputs(backend):
    a = layers.Input(shape=(3,), name='a')
    b = layers.Input(shape=(2,), name='b')
    shared = layers.Dense(4, name='shared')
    merged = layers.concatenate([shared(a), layers.Dense(4, name='other')(b)])
    out = layers.Dense(1, name='out')(merged)
    model = models.Model([a, b], [out, out])   # the same output twice (Siamese-style)
    parallel = multi_gpu_utils._replicate(model, ['cpu', 'cpu'])
    assert parallel.output_names == ['out_1', 'out_2']
    xa, xb = np.random.rand(7, 3), np.random.rand(7, 2)
    expected = model.predict([xa, xb])
    for got, want in zip(parallel.predict([xa, xb], batch_size=7), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_training_updates_the_shared_weights(backend):
    model = _mlp()
    reference = _copy_of(model)
    initial = model.get_weights()
    parallel = multi_gpu_utils._replicate(model, ['cpu', 'cpu', 'cpu'])
    parallel.compile(optimizers.SGD(lr=0.1), 'mse')
    reference.compile(optimizers.SGD(lr=0.1), 'mse')
    x = np.random.rand(20, 3).astype('float32')
    y = np.random.rand(20, 2).astype('float32')
    history = parallel.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    reference.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    # The template trained: the gradient of the loss over the whole batch, as one model.
    for got, want, before in zip(model.get_weights(), reference.get_weights(), initial):
        assert not np.allclose(got, before)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert history.history['loss'][-1] < history.history['loss'][0]
    np.testing.assert_allclose(parallel.evaluate(x, y, batch_size=20, verbose=0),
                               reference.evaluate(x, y, batch_size=20, verbose=0), rtol=1e-5)


def test_a_replica_runs_where_its_slice_is(backend):
    """Under `kernels.replica_placement`, a model whose weights are on the CPU runs on an input
    held on another device ('meta' here, the one other device every machine has), reading its
    weights through copies, without a device-mismatch error."""
    if backend.backend() != 'torch':
        pytest.skip('on jax the batch is split over devices by XLA: see the test below')
    inputs = layers.Input(shape=(5, 3))
    x = layers.LSTM(4, return_sequences=True)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(2, activation='softmax')(layers.Flatten()(x))
    model = models.Model(inputs, x)
    data = kernels.to_device(backend.constant(np.random.rand(6, 5, 3)), 'meta')
    with backend.learning_phase_scope(0), kernels.replica_placement() as placement:
        outputs = model(data)
    assert str(outputs.device) == 'meta' and tuple(outputs.shape) == (6, 2)
    # Weights met as they are were copied once each, kept for the other ops that read them.
    weight_ids = set(id(w) for w in model.weights)
    assert placement.copies
    for source, copy in placement.copies.values():
        assert id(source) in weight_ids and str(copy.device) == 'meta'


# Run in a fresh process: JAX shows several CPU devices only when told so before it starts.
_SPREAD_SCRIPT = r"""
import numpy as np
from cornu import backend as K, layers, models, optimizers
from cornu.backend import kernels
from cornu.engine import training_arrays
from cornu.backend import steps
from cornu.utils import multi_gpu_utils

DEVICES = ['cpu:0', 'cpu:1', 'cpu:2', 'cpu:3']


def mlp(normalized=False):
    model = models.Sequential([layers.Dense(8, input_shape=(3,), activation='tanh')])
    if normalized:
        model.add(layers.BatchNormalization())
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(2))
    return model


def twin_of(model, normalized=False):
    twin = mlp(normalized)
    twin.set_weights(model.get_weights())
    return twin


def assert_close(got, want, tol):
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


np.random.seed(1)
x = np.random.rand(30, 3).astype('float32')
y = np.random.rand(30, 2).astype('float32')

# The template alone and its replicas over 4 devices compute the same numbers: predictions
# (batches of 8 split evenly, and a last batch of 6 that is not), one epoch of training from
# equal weights, a batch of 7 trained on its own.
model = mlp()
alone = twin_of(model)
parallel = multi_gpu_utils._replicate(model, DEVICES)
mesh = parallel._trainer.placement
assert mesh is not None and mesh.size == 4, mesh
assert_close([parallel.predict(x, batch_size=8)], [alone.predict(x)], 1e-5)
parallel.compile(optimizers.Adam(lr=0.01), 'mse')
alone.compile(optimizers.Adam(lr=0.01), 'mse')
losses = parallel.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history['loss']
expected = alone.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history['loss']
assert_close(losses, expected, 1e-4)
assert_close(model.get_weights(), alone.get_weights(), 1e-4)
assert_close([parallel.train_on_batch(x[:7], y[:7])], [alone.train_on_batch(x[:7], y[:7])],
             1e-4)
assert_close(model.get_weights(), alone.get_weights(), 1e-4)

# The work is spread: the state lives on the 4 devices, and the compiled step splits a batch
# of 8 into rows of 2 per device and sums the gradients across them.
trainer = parallel._trainer
for value in [w._value for w in model.weights + parallel.optimizer.weights]:
    assert len(value.sharding.device_set) == 4, value.sharding
data = training_arrays.ArrayBatches([x], [y], [None], ['float32'], ['float32'])
groups, rows, valid = steps.feed(steps.place_arrays(data, trainer.placement), np.arange(8),
                                 trainer.placement, 8, trainer._padding('train'))
inputs, targets, weights = groups
step = trainer._train_step
with K.learning_phase_scope(1):
    plan = step._plans[1]
    compiled = plan.compiled.lower(
        *step._values(plan), (list(inputs), list(targets), list(weights), rows, valid)).compile()
program = compiled.as_text()
assert 'all-reduce' in program, 'the gradients are not summed across devices'
assert 'f32[2,3]' in program, 'the batch is not split over the devices'

# BatchNormalization (statistics of each replica's slice) and Dropout: splitting the batch
# over devices changes no number, against the same replicas run on one device.
runs = []
for devices in (DEVICES, ['cpu:0'] * 4):
    np.random.seed(2)
    template = mlp(normalized=True)
    replicated = multi_gpu_utils._replicate(template, devices)
    replicated.compile(optimizers.SGD(lr=0.1), 'mse')
    loss = replicated.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    runs.append(loss.history['loss'] + [replicated.predict(x, batch_size=8)] +
                template.get_weights())
assert_close(runs[0], runs[1], 1e-4)
print('ok')
"""


def test_jax_splits_the_batch_over_the_replica_devices(backend):
    """On jax, a replicated model's steps run on a mesh of its replicas' devices: 4 CPU
    devices here, which JAX exposes only when the process starts with the flag below."""
    if backend.backend() != 'jax':
        pytest.skip('the jax engine splits batches with XLA; torch places replicas itself')
    flags = os.environ.get('XLA_FLAGS', '') + ' --xla_force_host_platform_device_count=4'
    env = dict(os.environ, CORNU_BACKEND='jax', JAX_PLATFORMS='cpu', XLA_FLAGS=flags.strip())
    env.pop('CORNU_DEVICE', None)
    result = subprocess.run([sys.executable, '-c', _SPREAD_SCRIPT], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip().endswith('ok'), result.stdout
