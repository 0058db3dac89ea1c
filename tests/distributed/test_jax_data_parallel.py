"""cornu.distribute.DataParallel: data-parallel fit, evaluate and predict over a mesh of JAX
devices give the numbers of one device; PyTorch refuses several devices in one process.

JAX exposes several CPU devices only to a process started with
`--xla_force_host_platform_device_count`, so the checks over 4 devices run in a subprocess.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import cornu
from cornu import layers, models, optimizers
from cornu.distribute import DataParallel, get_distribution, set_distribution

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _no_default_distribution():
    set_distribution(None)
    yield
    set_distribution(None)


def _jax_only(backend):
    if backend.backend() != 'jax':
        pytest.skip('PyTorch runs data parallelism one process per device (torchrun); '
                    'see the PyTorch tests of this file')


def _mlp():
    return models.Sequential([layers.Dense(5, input_shape=(3,), activation='tanh'),
                              layers.Dense(2)])


# ------------------------------------------------------------------ both engines


def test_the_package_exports_the_switch(backend):
    assert cornu.distribute.DataParallel is DataParallel
    assert cornu.distribute.set_distribution is set_distribution


def test_set_distribution_takes_a_data_parallel_or_none(backend):
    distribution = DataParallel()
    set_distribution(distribution)
    assert get_distribution() is distribution
    set_distribution(None)
    assert get_distribution() is None
    with pytest.raises(TypeError, match='DataParallel or None.*got \'gpu\' of type str'):
        set_distribution('gpu')


def test_a_sequential_built_later_keeps_the_distribution_of_its_compile(backend):
    distribution = DataParallel()
    model = models.Sequential([layers.Dense(2)])
    with distribution.scope():
        model.compile('sgd', 'mse')
    model.fit(np.ones((4, 3)), np.ones((4, 2)), batch_size=4, verbose=0)
    assert model._distribution is distribution


def test_a_model_keeps_the_distribution_it_was_compiled_with(backend):
    outer, inner = DataParallel(), DataParallel()
    set_distribution(outer)
    first = _mlp()
    first.compile('sgd', 'mse')
    with inner.scope():
        second = _mlp()
        second.compile('sgd', 'mse')
    set_distribution(None)
    third = _mlp()
    third.compile('sgd', 'mse')
    assert first._distribution is outer
    assert second._distribution is inner
    assert third._distribution is None


# ------------------------------------------------------------------ PyTorch


def test_torch_refuses_several_devices_in_one_process(backend):
    if backend.backend() != 'torch':
        pytest.skip('JAX drives several devices from one process (see the tests below)')
    with pytest.raises(ValueError, match=r"spans 2 devices in one process.*one process per "
                                         r"device.*torchrun --nproc_per_node=2 script.py"):
        DataParallel(['cuda:0', 'cuda:1'])


def test_torch_data_parallel_on_one_device_changes_nothing(backend):
    if backend.backend() != 'torch':
        pytest.skip('on JAX one device is checked against several in the subprocess test')
    x = np.random.rand(20, 3).astype('float32')
    y = np.random.rand(20, 2).astype('float32')
    plain = _mlp()
    twin = _mlp()
    twin.set_weights(plain.get_weights())
    plain.compile(optimizers.SGD(lr=0.1), 'mse')
    with DataParallel().scope():
        twin.compile(optimizers.SGD(lr=0.1), 'mse')
    assert twin._trainer.placement is None
    want = plain.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0).history['loss']
    got = twin.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0).history['loss']
    np.testing.assert_allclose(got, want, rtol=1e-6)
    for a, b in zip(twin.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ------------------------------------------------------------------ JAX, one device


def test_jax_unknown_device_names_are_refused(backend):
    _jax_only(backend)
    with pytest.raises(ValueError, match=r"Unknown device 'cpu:99' for DataParallel: this "
                                         r"run has .*cpu"):
        DataParallel(['cpu:0', 'cpu:99'])
    with pytest.raises(ValueError, match="Unknown device 'tpu:0'"):
        DataParallel(['tpu:0'])
    with pytest.raises(ValueError, match="got the device 'cpu:0' twice"):
        DataParallel(['cpu:0', 'cpu:0'])
    with pytest.raises(ValueError, match=r'at least one device; got devices=\[\]'):
        DataParallel([])
    with pytest.raises(TypeError, match='got 3 of type int'):
        DataParallel([3])


def test_jax_incomplete_multi_process_settings_are_refused(backend, monkeypatch):
    _jax_only(backend)
    from cornu.backend.jax import data_parallel
    monkeypatch.setenv('CORNU_COORDINATOR_ADDRESS', 'localhost:1234')
    monkeypatch.delenv('CORNU_NUM_PROCESSES', raising=False)
    monkeypatch.delenv('CORNU_PROCESS_ID', raising=False)
    with pytest.raises(ValueError, match='CORNU_NUM_PROCESSES, CORNU_PROCESS_ID not set'):
        data_parallel._environment()
    monkeypatch.setenv('CORNU_NUM_PROCESSES', '2')
    monkeypatch.setenv('CORNU_PROCESS_ID', '2')
    with pytest.raises(ValueError, match=r'CORNU_PROCESS_ID=2 with CORNU_NUM_PROCESSES=2'):
        data_parallel._environment()


# ------------------------------------------------------------------ JAX, 4 devices

_FOUR_DEVICES = r"""
import numpy as np
import jax
import cornu
from cornu import layers, models, optimizers
from cornu.distribute import DataParallel

assert len(jax.devices()) == 4, jax.devices()


def assert_close(got, want, what, atol=1e-5):
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=atol, rtol=1e-5, err_msg=what)


def compiled(make, distribution, compile_args):
    np.random.seed(0)
    model = make()
    if distribution is None:
        model.compile(**compile_args())
    else:
        with distribution.scope():
            model.compile(**compile_args())
    return model


def compilations(step):
    return sum(f._cache_size() for f in step._compiled.values())


def compare(name, make, compile_args, x, y, fit_args):
    runs = []
    for distribution in (None, DataParallel()):
        model = compiled(make, distribution, compile_args)
        np.random.seed(1)
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, **fit_args).history
        trainer = model._trainer
        counts = compilations(trainer._train_step), compilations(trainer._test_step)
        more = model.fit(x, y, batch_size=8, epochs=3, verbose=0, **fit_args).history
        assert (compilations(trainer._train_step), compilations(trainer._test_step)) == \
            counts, (name, 'a step was compiled again in later epochs')
        runs.append(dict(
            history=[history[k] + more[k] for k in sorted(history)], keys=sorted(history),
            weights=model.get_weights(),
            evaluated=model.evaluate(x, y, batch_size=8, verbose=0),
            predicted=model.predict(x, batch_size=8),
            model=model))
    one, four = runs
    assert one['keys'] == four['keys']
    assert_close(four['history'], one['history'], name + ' logs')
    assert_close(four['weights'], one['weights'], name + ' weights')
    assert_close(np.ravel(four['evaluated']), np.ravel(one['evaluated']), name + ' evaluate')
    assert_close([four['predicted']], [one['predicted']], name + ' predict')
    # The data-parallel model's state lives on the 4 devices.
    for weight in four['model'].weights:
        assert len(weight._value.sharding.device_set) == 4, (name, weight.name)
    return four['model']


rng = np.random.RandomState(3)

# A small MLP with Dropout and Adam: 30 samples, batches of 8 (the last has 6, which 4 devices
# cannot split), shuffled, with validation data.
x = rng.rand(30, 3).astype('float32')
y = rng.rand(30, 2).astype('float32')
mlp = compare(
    'mlp',
    lambda: models.Sequential([layers.Dense(16, input_shape=(3,), activation='relu'),
                               layers.Dropout(0.3), layers.Dense(2)]),
    lambda: dict(optimizer=optimizers.Adam(lr=0.01), loss='mse', metrics=['mae']),
    x, y, dict(shuffle=True, validation_data=(x[:13], y[:13])))

# A CNN with BatchNormalization, which computes its statistics over the whole batch: the
# moments are reductions over the batch axis, which XLA sums across the devices.
images = rng.rand(22, 6, 6, 2).astype('float32')
labels = np.eye(3, dtype='float32')[rng.randint(0, 3, 22)]
cnn = compare(
    'cnn',
    lambda: models.Sequential([layers.Conv2D(4, 3, input_shape=(6, 6, 2), use_bias=False),
                               layers.BatchNormalization(), layers.Activation('relu'),
                               layers.Flatten(), layers.Dense(3, activation='softmax')]),
    lambda: dict(optimizer=optimizers.SGD(lr=0.1, momentum=0.9),
                 loss='categorical_crossentropy', metrics=['accuracy']),
    images, labels, dict(shuffle=True, validation_split=0.25))

# Batches from a generator (sizes 8, 8, 8, 6) are split the same way.
def batches():
    while True:
        for start in range(0, 30, 8):
            yield x[start:start + 8], y[start:start + 8]


runs = []
for distribution in (None, DataParallel()):
    model = compiled(lambda: models.Sequential([layers.Dense(4, input_shape=(3,)),
                                                layers.Dense(2)]),
                     distribution, lambda: dict(optimizer=optimizers.Adam(lr=0.01),
                                                loss='mse'))
    losses = model.fit_generator(batches(), steps_per_epoch=4, epochs=2,
                                 verbose=0).history['loss']
    runs.append(losses + [model.evaluate_generator(batches(), steps=4),
                          model.predict_generator((b for b, _ in batches()), steps=4)]
                + model.get_weights())
assert_close(runs[1], runs[0], 'generators')

# A batch size the devices cannot share is refused before any step, naming both numbers.
model = compiled(lambda: models.Sequential([layers.Dense(2, input_shape=(3,))]),
                 DataParallel(), lambda: dict(optimizer='sgd', loss='mse'))
before = model.get_weights()
for run in (lambda: model.fit(x, y, batch_size=6, verbose=0),
            lambda: model.evaluate(x, y, batch_size=10, verbose=0),
            lambda: model.predict(x, batch_size=2 + 1)):
    try:
        run()
    except ValueError as error:
        message = str(error)
        assert 'batch_size=' in message and 'the 4 devices' in message, message
    else:
        raise AssertionError('a batch size that 4 devices cannot split was accepted')
assert model._trainer._train_step is None and model._trainer._test_step is None
assert_close(model.get_weights(), before, 'refused fit')

# Devices can be chosen by name: a mesh of two of the four.
pair = DataParallel(['cpu:1', '/cpu:3'])
assert [d.id for d in pair.devices] == [1, 3], pair.devices
model = compiled(lambda: models.Sequential([layers.Dense(2, input_shape=(3,))]), pair,
                 lambda: dict(optimizer='sgd', loss='mse'))
model.fit(x, y, batch_size=4, epochs=1, verbose=0)
assert {d.id for d in model.weights[0]._value.sharding.device_set} == {1, 3}

# One device other than the engine's: the model runs there.
model = compiled(lambda: models.Sequential([layers.Dense(2, input_shape=(3,))]),
                 DataParallel(['cpu:2']), lambda: dict(optimizer='sgd', loss='mse'))
model.fit(x, y, batch_size=5, epochs=1, verbose=0)
assert {d.id for d in model.weights[0]._value.sharding.device_set} == {2}
print('ok')
"""


def _run_with_devices(script, count=4, timeout=300):
    flags = os.environ.get('XLA_FLAGS', '') + \
        ' --xla_force_host_platform_device_count=%d' % count
    env = dict(os.environ, CORNU_BACKEND='jax', JAX_PLATFORMS='cpu', XLA_FLAGS=flags.strip(),
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    env.pop('CORNU_DEVICE', None)
    return subprocess.run([sys.executable, '-c', script], env=env, cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout)


def test_jax_data_parallel_over_four_devices_equals_one_device(backend):
    _jax_only(backend)
    result = _run_with_devices(_FOUR_DEVICES)
    assert result.returncode == 0 and result.stdout.strip().endswith('ok'), result.stdout


# ------------------------------------------------------------------ JAX, 2 processes

_TWO_PROCESSES = r"""
import json
import sys

import numpy as np
import jax
import os

from cornu import callbacks, layers, models, optimizers
from cornu.backend.jax import multihost
from cornu.distribute import DataParallel

process = jax.process_index()
assert jax.process_count() == 2 and len(jax.devices()) == 4, jax.devices()
assert len(jax.local_devices()) == 2

rng = np.random.RandomState(3)
x = rng.rand(30, 3).astype('float32')
y = rng.rand(30, 2).astype('float32')


def mlp():
    return models.Sequential([layers.Dense(16, input_shape=(3,), activation='relu'),
                              layers.Dropout(0.3), layers.Dense(2)])


results = {}
for name, distribution in (('alone', None), ('parallel', DataParallel())):
    np.random.seed(0)
    model = mlp()
    if distribution is None:
        model.compile(optimizers.Adam(lr=0.01), 'mse', metrics=['mae'])
    else:
        assert len(distribution.devices) == 4
        with distribution.scope():
            model.compile(optimizers.Adam(lr=0.01), 'mse', metrics=['mae'])
    np.random.seed(1)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=True,
                        validation_data=(x[:13], y[:13])).history
    results[name] = dict(
        logs=[history[key] for key in sorted(history)],
        weights=[w.tolist() for w in model.get_weights()],
        evaluated=model.evaluate(x, y, batch_size=8, verbose=0),
        predicted=model.predict(x, batch_size=8).tolist())

# Each process fed its own half of every batch of 8 (the rows of its two devices).
assert multihost._local_slices, 'no batch was fed as global arrays'
for (sharding, count), rows in multihost._local_slices.items():
    assert (rows.start, rows.stop) == (process * count // 2, (process + 1) * count // 2), rows

# Weights initialised differently in each process: every replica starts from process 0's.
np.random.seed(100 + process)
model = mlp()
with DataParallel().scope():
    model.compile(optimizers.SGD(lr=0.1), 'mse')
# Files are written by process 0 only, each process naming its own.
files = os.path.dirname(sys.argv[1])
written = [os.path.join(files, '%s_%d' % (name, process)) for name in ('log', 'ckpt', 'saved')]
model.fit(x, y, batch_size=4, epochs=2, verbose=0,
          callbacks=[callbacks.CSVLogger(written[0]), callbacks.ModelCheckpoint(written[1])])
model.save(written[2])
results['unseeded'] = [w.tolist() for w in model.get_weights()]
with open(sys.argv[1], 'w') as f:
    json.dump(results, f)
print('ok')
"""


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(('localhost', 0))
        return s.getsockname()[1]


def test_jax_data_parallel_over_two_processes_equals_one_process(backend, tmp_path):
    """Two processes of two CPU devices each join one run (`CORNU_COORDINATOR_ADDRESS`,
    `CORNU_NUM_PROCESSES`, `CORNU_PROCESS_ID`); their 4-device fit gives the numbers of one
    device, in both processes."""
    _jax_only(backend)
    flags = os.environ.get('XLA_FLAGS', '') + ' --xla_force_host_platform_device_count=2'
    address = 'localhost:%d' % _free_port()
    runs = []
    for process in range(2):
        env = dict(os.environ, CORNU_BACKEND='jax', JAX_PLATFORMS='cpu',
                   XLA_FLAGS=flags.strip(), CORNU_COORDINATOR_ADDRESS=address,
                   CORNU_NUM_PROCESSES='2', CORNU_PROCESS_ID=str(process),
                   PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
        env.pop('CORNU_DEVICE', None)
        out = tmp_path / ('%d.json' % process)
        log = open(tmp_path / ('%d.log' % process), 'w')
        runs.append((subprocess.Popen([sys.executable, '-c', _TWO_PROCESSES, str(out)],
                                      env=env, cwd=REPO, stdout=log,
                                      stderr=subprocess.STDOUT), out, log))
    try:
        for process, _, _ in runs:
            process.wait(timeout=300)
    finally:
        for process, _, log in runs:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()
    logs = [(tmp_path / ('%d.log' % i)).read_text() for i in range(2)]
    for (process, _, _), text in zip(runs, logs):
        assert process.returncode == 0 and 'ok' in text.splitlines(), text[-3000:]
    import json
    results = [json.loads(out.read_text()) for _, out, _ in runs]

    def close(got, want):
        for a, b in zip(got, want):
            np.testing.assert_allclose(np.asarray(a, dtype='float64'),
                                       np.asarray(b, dtype='float64'), atol=1e-5, rtol=1e-5)

    for result in results:
        alone, parallel = result['alone'], result['parallel']
        close(parallel['logs'], alone['logs'])
        close(parallel['weights'], alone['weights'])
        close(parallel['evaluated'], alone['evaluated'])
        close([parallel['predicted']], [alone['predicted']])
    close(results[1]['parallel']['weights'], results[0]['parallel']['weights'])
    close(results[1]['unseeded'], results[0]['unseeded'])
    for name in ('log', 'ckpt', 'saved'):
        assert (tmp_path / ('%s_0' % name)).exists(), name
        assert not (tmp_path / ('%s_1' % name)).exists(), name
