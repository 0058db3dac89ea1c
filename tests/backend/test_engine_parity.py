"""The two engines agree: the same public names, and the same numbers for the same model.

This is the one test that imports both engines' modules (they live in `cornu.backend`, so the
house rule holds); the numbers come from one subprocess per engine (`CORNU_BACKEND`), since the
engine is chosen once per process.
"""
import ast
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import cornu.backend
from cornu.backend import _ENGINE_MODULES, kernels

PACKAGE = os.path.dirname(cornu.backend.__file__)

# Files only one engine needs: torch's nn.Module interop, ONNX export, the LSTM's and GRU's C
# loops for the CPU with their recurrent dropout helpers, and its steps' flushing of denormals
# (XLA flushes them itself); jax's dtype table, gradient re-tracing, step tracing and
# grouping, and the global arrays of a mesh over several processes.
ENGINE_ONLY = {'torch': {'interop', 'onnx_export', 'lstm_loops', 'gru_loops',
                         'recurrent_dropout', 'denormals'},
               'jax': {'dtypes', 'gradient_retracing', 'tracing', 'step_groups', 'multihost'}}


def _modules(engine):
    return {name[:-3] for name in os.listdir(os.path.join(PACKAGE, engine))
            if name.endswith('.py') and name != '__init__.py'}


# Every module both engines have, so that a new module is covered without editing here.
ENGINE_MODULES = sorted(_modules('torch') - ENGINE_ONLY['torch'])


def _public_names(engine, name):
    """The `__all__` of an engine module, read from its source: importing the other engine
    in this process would start its threads, and forked data workers later in the run must
    not inherit them."""
    path = os.path.join(PACKAGE, engine, name + '.py')
    tree = ast.parse(open(path).read(), filename=path)
    found = [node for node in tree.body if isinstance(node, (ast.Assign, ast.AugAssign))
             and any(getattr(t, 'id', None) == '__all__'
                     for t in getattr(node, 'targets', [getattr(node, 'target', None)]))]
    assert len(found) == 1 and isinstance(found[0], ast.Assign), \
        '%s must set __all__ once, in one list' % path
    return set(ast.literal_eval(found[0].value))


def test_the_engines_have_the_same_files():
    assert sorted(_modules('torch') - ENGINE_ONLY['torch']) == \
        sorted(_modules('jax') - ENGINE_ONLY['jax'])


def test_k_and_the_kernels_come_from_shared_files():
    assert set(_ENGINE_MODULES) <= set(ENGINE_MODULES)
    assert set(kernels._KERNEL_MODULES) <= set(ENGINE_MODULES)
    assert not set(_ENGINE_MODULES) & set(kernels._KERNEL_MODULES)


@pytest.mark.parametrize('name', ENGINE_MODULES)
def test_public_names_are_the_same(name):
    torch_names = _public_names('torch', name)
    jax_names = _public_names('jax', name)
    assert torch_names, name
    assert sorted(torch_names - jax_names) == [] and sorted(jax_names - torch_names) == []


@pytest.mark.parametrize('name', ENGINE_MODULES)
def test_no_imports_below_the_top(name):
    for engine in ('torch', 'jax'):
        path = os.path.join(PACKAGE, engine, name + '.py')
        tree = ast.parse(open(path).read(), filename=path)
        body = [node for node in tree.body
                if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
        imports = [i for i, node in enumerate(body)
                   if isinstance(node, (ast.Import, ast.ImportFrom))]
        assert imports == list(range(len(imports))), path


# ------------------------------------------------------------------------- numbers

# Runs in a fresh process per engine. Weights and data come from NumPy generators, so both
# engines start from the same numbers; results are written as .npz to the path in argv[1].
SCRIPT = r'''
import sys
import numpy as np
import cornu
from cornu import backend as K
from cornu import layers, optimizers
from cornu.models import Model, Sequential

out = {}
rng = np.random.RandomState(0)


def set_weights(model):
    values = []
    for w in model.get_weights():
        if w.ndim == 1 and w.size and np.all(w == 1.):  # gammas, moving variances
            values.append(1. + 0.1 * rng.rand(*w.shape).astype('float32'))
        else:
            values.append(0.2 * rng.randn(*w.shape).astype('float32'))
    model.set_weights(values)


# A convolutional network: conv, batch norm (its moving statistics too), pooling, dense.
cnn = Sequential([
    layers.Conv2D(4, 3, padding='same', input_shape=(8, 8, 2)),
    layers.BatchNormalization(),
    layers.Activation('relu'),
    layers.MaxPooling2D(),
    layers.Conv2D(3, 3, strides=2, padding='same', activation='tanh'),
    layers.AveragePooling2D(padding='same'),
    layers.Flatten(),
    layers.Dense(5, activation='softmax'),
])
set_weights(cnn)
x = rng.rand(48, 8, 8, 2).astype('float32')
y = np.eye(5)[rng.randint(0, 5, 48)].astype('float32')
out['cnn_predict'] = cnn.predict(x)
cnn.compile(optimizers.SGD(lr=0.1, momentum=0.9), 'categorical_crossentropy',
            metrics=['accuracy'])
history = cnn.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
out['cnn_loss'] = np.array(history.history['loss'])
for i, w in enumerate(cnn.get_weights()):
    out['cnn_weight_%d' % i] = w
out['cnn_evaluate'] = np.array(cnn.evaluate(x, y, verbose=0))

# A recurrent network: embedding with masking, LSTM (hard_sigmoid), GRU, Adam.
inputs = layers.Input((6,))
h = layers.Embedding(7, 4, mask_zero=True)(inputs)
h = layers.LSTM(5, return_sequences=True)(h)
h = layers.GRU(3)(h)
rnn = Model(inputs, layers.Dense(1, activation='sigmoid')(h))
set_weights(rnn)
ids = rng.randint(1, 7, (32, 6))
ids[::3, 4:] = 0
labels = rng.randint(0, 2, (32, 1)).astype('float32')
out['rnn_predict'] = rnn.predict(ids)
rnn.compile(optimizers.Adam(lr=0.01), 'binary_crossentropy')
history = rnn.fit(ids, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)
out['rnn_loss'] = np.array(history.history['loss'])
for i, w in enumerate(rnn.get_weights()):
    out['rnn_weight_%d' % i] = w

# Symbolic gradients through K.function: with respect to weights and to the input.
loss = K.mean(K.square(cnn.output))
grads = K.gradients(loss, cnn.trainable_weights + [cnn.input])
values = K.function([cnn.input], grads)([x[:4]])
for i, g in enumerate(values):
    out['grad_%d' % i] = g

# Every optimizer formula, one epoch each from the same weights.
features = rng.rand(40, 6).astype('float32')
classes = np.eye(3)[rng.randint(0, 3, 40)].astype('float32')
start = None
for name, kwargs in [('SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'decay': 0.01}),
                     ('RMSprop', {'clipnorm': 0.5}), ('Adagrad', {}),
                     ('Adadelta', {'clipvalue': 0.01}), ('Adam', {'amsgrad': True}),
                     ('Adamax', {}), ('Nadam', {})]:
    dense = Sequential([layers.Dense(4, activation='relu', input_shape=(6,)),
                        layers.Dense(3, activation='softmax')])
    if start is None:
        set_weights(dense)
        start = dense.get_weights()
    dense.set_weights(start)
    dense.compile(getattr(optimizers, name)(**kwargs), 'categorical_crossentropy')
    dense.fit(features, classes, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for i, w in enumerate(dense.get_weights() + dense.optimizer.get_weights()):
        out['optimizer_%s_%d' % (name, i)] = w


# A Keras 2-style optimizer (its own get_updates, state made with K.zeros).
class MomentumSGD(optimizers.Optimizer):
    def __init__(self, lr=0.1, momentum=0.5, **kwargs):
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


dense.set_weights(start)
dense.compile(MomentumSGD(), 'categorical_crossentropy')
dense.fit(features, classes, batch_size=8, epochs=2, shuffle=False, verbose=0)
for i, w in enumerate(dense.get_weights() + dense.optimizer.get_weights()):
    out['custom_optimizer_%d' % i] = w

# A stateful RNN: its states (variables outside the model's weights) carry across batches.
stateful = Sequential([layers.SimpleRNN(4, stateful=True, batch_input_shape=(2, 3, 2)),
                       layers.Dense(1)])
set_weights(stateful)
stateful.compile(optimizers.SGD(lr=0.1), 'mse')
sequences = rng.rand(4, 3, 2).astype('float32')
stateful.fit(sequences, rng.rand(4, 1).astype('float32'), batch_size=2, epochs=2,
             shuffle=False, verbose=0)
out['stateful_states'] = K.get_value(stateful.layers[0].states[0])
out['stateful_predict'] = stateful.predict(sequences, batch_size=2)

np.savez(sys.argv[1], **out)
'''


def _run(engine, path):
    env = dict(os.environ, CORNU_BACKEND=engine, CORNU_DEVICE='cpu',
               OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '2'))
    result = subprocess.run([sys.executable, '-c', SCRIPT, str(path)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, '%s engine failed:\n%s' % (engine, result.stderr[-4000:])
    return dict(np.load(str(path)))


@pytest.fixture(scope='module')
def engine_results(tmp_path_factory):
    pytest.importorskip('torch')
    pytest.importorskip('jax')
    folder = tmp_path_factory.mktemp('parity')
    return {engine: _run(engine, folder / (engine + '.npz')) for engine in ('torch', 'jax')}


def _compare(results, prefix, atol, rtol=0.):
    torch_values, jax_values = results['torch'], results['jax']
    names = sorted(k for k in torch_values if k.startswith(prefix))
    assert names and names == sorted(k for k in jax_values if k.startswith(prefix))
    worst = {}
    for name in names:
        a, b = torch_values[name], jax_values[name]
        assert a.shape == b.shape, name
        worst[name] = float(np.max(np.abs(a - b))) if a.size else 0.
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=name + ' ' +
                                   json.dumps(worst))


def test_same_weights_same_predictions(engine_results):
    _compare(engine_results, 'cnn_predict', atol=1e-5)
    _compare(engine_results, 'rnn_predict', atol=1e-5)


def test_one_epoch_from_the_same_weights(engine_results):
    _compare(engine_results, 'cnn_weight_', atol=1e-4)
    _compare(engine_results, 'cnn_loss', atol=1e-4)
    _compare(engine_results, 'cnn_evaluate', atol=1e-4)
    _compare(engine_results, 'rnn_weight_', atol=1e-4)
    _compare(engine_results, 'rnn_loss', atol=1e-4)


def test_every_optimizer_and_a_keras2_style_one(engine_results):
    _compare(engine_results, 'optimizer_', atol=1e-5, rtol=1e-4)
    _compare(engine_results, 'custom_optimizer_', atol=1e-5, rtol=1e-4)


def test_stateful_recurrent_states(engine_results):
    _compare(engine_results, 'stateful_', atol=1e-5)


def test_symbolic_gradients(engine_results):
    _compare(engine_results, 'grad_', atol=1e-5, rtol=1e-4)
