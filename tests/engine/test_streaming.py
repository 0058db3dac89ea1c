"""Streamed input data: arrays above the streaming threshold, `np.memmap`s and `HDF5Matrix`
stay on the host and `fit`/`evaluate`/`predict` copy one batch at a time.

Checked here: a streamed `fit` holds about one batch of converted data, not the whole array
(measured in a subprocess); streamed results equal those of in-memory arrays; a uint8 memmap
is converted batch by batch and the user's arrays are left as they were; the feeder copies
each announced batch once, ahead of its use; the threshold setting; on JAX, the steps are
traced per batch shape, not per array length.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import common, streaming
from cornu.engine import streamed_batches
from cornu.engine.streamed_batches import StreamedBatches
from cornu.layers import Dense, Lambda
from cornu.models import Sequential
from cornu.utils.io_utils import HDF5Matrix

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def threshold():
    """Sets the streaming threshold for one test (`threshold(bytes)`), then restores it."""
    before = common.streaming_threshold_setting()
    yield streaming.set_streaming_threshold
    streaming.set_streaming_threshold(before)


def _memmap(path, array, mode='r'):
    stored = np.memmap(str(path), dtype=array.dtype, mode='w+', shape=array.shape)
    stored[:] = array
    stored.flush()
    del stored
    return np.memmap(str(path), dtype=array.dtype, mode=mode, shape=array.shape)


def _model(input_dim=6, seed=3):
    np.random.seed(seed)
    model = Sequential([Dense(8, activation='tanh', input_shape=(input_dim,)),
                        Dense(3, activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
    return model


def _train_evaluate_predict(x, y, shuffle, sample_weight=None):
    model = _model(x.shape[1])
    np.random.seed(11)  # the same shuffled orders for every data source
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=shuffle, verbose=0,
                        validation_split=0.2, sample_weight=sample_weight)
    return (model.get_weights(), history.history, model.evaluate(x, y, batch_size=16, verbose=0),
            model.predict(x, batch_size=16))


def _assert_same_results(got, expected):
    for a, b in zip(got[0], expected[0]):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    assert sorted(got[1]) == sorted(expected[1])
    for name in expected[1]:
        np.testing.assert_allclose(got[1][name], expected[1][name], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got[2], expected[2], atol=1e-6, rtol=0)
    np.testing.assert_allclose(got[3], expected[3], atol=1e-6, rtol=0)


def _data(n=160, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 6)).astype('float32')
    y = np.eye(3, dtype='float32')[rng.randint(0, 3, n)]
    weights = rng.uniform(0.5, 1.5, size=n).astype('float32')
    return x, y, weights


# ------------------------------------------------------------------------------ results

@pytest.mark.parametrize('shuffle', [True, 'batch', False])
def test_a_memmap_gives_the_results_of_the_array_in_memory(tmp_path, shuffle):
    x, y, weights = _data()
    expected = _train_evaluate_predict(x, y, shuffle, weights)
    streamed = _train_evaluate_predict(_memmap(tmp_path / 'x', x), _memmap(tmp_path / 'y', y),
                                       shuffle, _memmap(tmp_path / 'w', weights))
    _assert_same_results(streamed, expected)


@pytest.mark.parametrize('shuffle', [True, 'batch'])
def test_arrays_above_the_threshold_give_the_same_results(threshold, shuffle):
    x, y, weights = _data()
    expected = _train_evaluate_predict(x, y, shuffle, weights)
    threshold(1024)  # x alone is 3.8 KB
    copies = []
    original = streaming.start_copy

    def counting_copy(arrays, dtypes):
        copies.append(max(a.shape[0] for a in arrays if a is not None))
        return original(arrays, dtypes)

    streaming.start_copy = counting_copy
    try:
        streamed = _train_evaluate_predict(x, y, shuffle, weights)
    finally:
        streaming.start_copy = original
    _assert_same_results(streamed, expected)
    assert copies and max(copies) == 16  # batch by batch, never the whole array


def test_prefetching_as_on_a_gpu_gives_the_same_results(tmp_path, monkeypatch):
    # On a GPU the next batch is copied while a step runs; here the device is the CPU, where
    # the feeder does not prefetch unless told the device is elsewhere.
    x, y, weights = _data()
    expected = _train_evaluate_predict(x, y, True, weights)
    monkeypatch.setattr(streaming, 'device_is_host', lambda: False)
    streamed = _train_evaluate_predict(_memmap(tmp_path / 'x', x), _memmap(tmp_path / 'y', y),
                                       True, _memmap(tmp_path / 'w', weights))
    _assert_same_results(streamed, expected)


def test_a_sequence_of_memmap_slices_is_read_batch_by_batch(tmp_path):
    from cornu.utils import Sequence

    class Slices(Sequence):
        def __init__(self, x, y):
            self.x, self.y = x, y

        def __len__(self):
            return len(self.x) // 16

        def __getitem__(self, index):
            rows = slice(index * 16, (index + 1) * 16)
            return self.x[rows], self.y[rows]

    x, y, _ = _data()
    stored = _memmap(tmp_path / 'x', x)
    results = []
    for source in (x, stored):
        model = _model()
        model.fit_generator(Slices(source, y), epochs=2, shuffle=False, verbose=0)
        results.append((model.get_weights(), model.evaluate_generator(Slices(source, y))))
    assert isinstance(Slices(stored, y)[0][0], np.memmap)  # the batches themselves are memmaps
    for a, b in zip(results[1][0], results[0][0]):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)
    np.testing.assert_allclose(results[1][1], results[0][1], atol=1e-6, rtol=0)


def test_hdf5_inputs_with_in_memory_targets_stay_aligned_when_shuffled(tmp_path):
    # HDF5 reads each batch's rows in increasing order; the targets must follow that order.
    x, y, _ = _data(96)
    y = np.eye(3, dtype='float32')[np.argmax(x[:, :3], axis=1)]  # a target tied to its row
    path = str(tmp_path / 'data.h5')
    with h5py.File(path, 'w') as f:
        f.create_dataset('x', data=x)
    try:
        model = _model()
        np.random.seed(5)
        model.fit(HDF5Matrix(path, 'x'), y, batch_size=16, epochs=1, shuffle=True, verbose=0)
        reference = _model()
        np.random.seed(5)
        reference.fit(x, y, batch_size=16, epochs=1, shuffle=True, verbose=0)
        # The rows of a batch come in another order: equal up to float summation order.
        for a, b in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5, rtol=0)
    finally:
        for f in HDF5Matrix.refs.values():
            if isinstance(f, h5py.File) and f.id.valid:
                f.close()
        HDF5Matrix.refs.clear()


def test_a_uint8_memmap_is_converted_batch_by_batch_and_left_unchanged(tmp_path):
    rng = np.random.RandomState(2)
    pixels = rng.randint(0, 256, size=(150, 6)).astype('uint8')
    y = np.eye(3, dtype='float32')[rng.randint(0, 3, 150)]
    stored = _memmap(tmp_path / 'x', pixels, mode='r+')  # writable: a cast in place would show
    y_given = y.copy()
    handed = []
    original = streaming.start_copy

    def recording_copy(arrays, dtypes):
        handed.append([(a.shape, a.dtype) for a in arrays if a is not None])
        return original(arrays, dtypes)

    expected = _train_evaluate_predict(pixels.astype('float32') / 1., y, True)
    streaming.start_copy = recording_copy
    try:
        streamed = _train_evaluate_predict(stored, y, True)
    finally:
        streaming.start_copy = original
    _assert_same_results(streamed, expected)
    # Each copy holds one batch, the pixels still uint8 (widened by the engine).
    assert handed and all(shape[0] <= 16 for batch in handed for shape, _ in batch)
    assert all(batch[0][1] == np.uint8 for batch in handed)
    assert stored.dtype == np.uint8 and isinstance(stored, np.memmap)
    np.testing.assert_array_equal(np.asarray(stored), pixels)
    np.testing.assert_array_equal(y, y_given)


# ------------------------------------------------------------------------------ the feeder

def test_the_feeder_copies_each_announced_batch_once_ahead_of_its_use(monkeypatch):
    rng = np.random.RandomState(4)
    x = rng.randint(0, 100, size=(10, 2)).astype('int16')
    y = rng.normal(size=(10, 1))  # float64, narrowed to float32 on the host
    started = []
    original = streaming.start_copy

    def recording_copy(arrays, dtypes):
        started.append(arrays[0][:, 0].tolist())
        return original(arrays, dtypes)

    monkeypatch.setattr(streaming, 'start_copy', recording_copy)
    feeder = StreamedBatches([x, y], ['float32', 'float32'], prefetch=True)
    order = np.array([3, 7, 1, 0, 9, 2, 8, 4, 6, 5])
    batches = [(0, 4), (4, 8), (8, 10)]
    feeder.expect(batches, order)
    assert started == [x[order[0:4], 0].tolist()]  # the first batch, before it is asked for
    for i, (start, stop) in enumerate(batches):
        got_x, got_y = (K.eval(t) for t in feeder.take(order[start:stop]))
        np.testing.assert_array_equal(got_x, x[order[start:stop]].astype('float32'))
        np.testing.assert_array_equal(got_y, y[order[start:stop]].astype('float32'))
        assert got_x.dtype == np.float32 and got_y.dtype == np.float32
        # Taking batch i started the copy of batch i + 1, and nothing was copied twice.
        assert len(started) == min(i + 2, len(batches))
    # A batch out of the announced order is copied when asked for.
    got_x, _ = feeder.take((2, 5))
    np.testing.assert_array_equal(K.eval(got_x), x[2:5].astype('float32'))
    assert started[-1] == x[2:5, 0].tolist()


def test_what_must_stay_on_the_host(tmp_path, threshold):
    x = np.zeros((4, 3), 'float32')
    threshold(None)
    assert not streamed_batches.should_stream([x, None], ['float32', None])
    assert streamed_batches.should_stream([_memmap(tmp_path / 'x', x)], ['float32'])
    threshold(4 * 3 * 4)
    assert not streamed_batches.should_stream([x], ['float32'])
    # Counted in the dtype the model is fed: uint8 pixels fed as float32 take 4 bytes each.
    assert streamed_batches.should_stream([x.astype('uint8'), x], ['float32', 'float32'])
    assert not streamed_batches.should_stream([x.astype('uint8')], ['uint8'])


# ------------------------------------------------------------------------------ the setting

def test_the_streaming_threshold_setting(tmp_path, monkeypatch, threshold):
    threshold(None)
    # On the CPU the automatic threshold is 256 MiB.
    assert streaming.free_device_memory() is None
    assert streaming.streaming_threshold() == 256 * 2 ** 20
    threshold(1000)
    assert streaming.streaming_threshold() == 1000
    threshold(2048.0)
    assert streaming.streaming_threshold() == 2048
    with pytest.raises(ValueError, match='streaming_threshold.*-1'):
        threshold(-1)
    with pytest.raises(TypeError, match="streaming_threshold.*'64MB'"):
        threshold('64MB')
    with pytest.raises(TypeError, match='streaming_threshold.*0.5'):
        threshold(0.5)
    assert streaming.streaming_threshold() == 2048
    (tmp_path / 'cornu.json').write_text(json.dumps({'streaming_threshold': 12345}))
    monkeypatch.setenv('CORNU_HOME', str(tmp_path))
    common.load_user_config()
    assert streaming.streaming_threshold() == 12345


# ------------------------------------------------------------------------------ memory

# Run in a fresh process: trains on a uint8 memmap (several times the threshold) once to
# warm up, then again while a thread samples the process's anonymous resident memory
# (RssAnon). File-backed pages of the memmap count in RssFile (page cache), not RssAnon, so
# RssAnon is the memory the feeding allocates: converted batches, or a converted copy of the
# whole array.
_MEMORY_SCRIPT = r'''
import json, sys, threading, time
import numpy as np
from cornu.backend import streaming
from cornu.layers import Dense
from cornu.models import Sequential

def rss_anon():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('RssAnon:'):
                return int(line.split()[1]) * 1024

path, rows, features, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
streaming.set_streaming_threshold(4 * 2 ** 20)
x = np.memmap(path, dtype='uint8', mode='r', shape=(rows, features))
y = np.eye(10, dtype='float32')[np.arange(rows) % 10]
# The first layer is frozen so that the step needs no batch-sized gradient buffers: what is
# measured is the feeding.
model = Sequential([Dense(32, activation='relu', input_shape=(features,), trainable=False),
                    Dense(10, activation='softmax')])
model.compile('sgd', 'categorical_crossentropy')
model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
peak = [0]
done = threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_anon())
        time.sleep(0.0005)

base = rss_anon()
sampler = threading.Thread(target=sample)
sampler.start()
model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
done.set()
sampler.join()
peak[0] = max(peak[0], rss_anon())
print(json.dumps({'growth': peak[0] - base}))
'''


def test_fit_on_a_memmap_holds_about_one_batch(tmp_path):
    rows, features, batch = 40000, 784, 4096
    path = tmp_path / 'pixels'
    stored = np.memmap(str(path), dtype='uint8', mode='w+', shape=(rows, features))
    rng = np.random.RandomState(0)
    for start in range(0, rows, 8192):
        stored[start:start + 8192] = rng.randint(0, 256, size=stored[start:start + 8192].shape)
    stored.flush()
    del stored
    env = dict(os.environ, PYTHONPATH=REPOSITORY,
               # glibc otherwise keeps freed batch-sized blocks in its heap, and RssAnon would
               # show its cache of freed memory rather than the memory in use.
               MALLOC_MMAP_THRESHOLD_='131072')
    result = subprocess.run([sys.executable, '-c', _MEMORY_SCRIPT, str(path), str(rows),
                             str(features), str(batch)],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path),
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    growth = json.loads(result.stdout.strip().splitlines()[-1])['growth']
    batch_bytes = batch * features * 4  # one batch converted to float32
    # The whole array converted would be 125 MB (10 batches); streamed, one converted batch
    # (plus its uint8 rows) is alive at a time.
    assert growth < 2 * batch_bytes, (growth, batch_bytes)


# ------------------------------------------------------------------------------ JAX traces

@pytest.mark.skipif(K.backend() != 'jax', reason="counts the traces of the jax engine's steps")
def test_streamed_steps_are_traced_per_batch_shape_not_per_array_length(tmp_path):
    traces = []

    def spy(x):
        traces.append(K.int_shape(x)[0])
        return x

    np.random.seed(0)
    model = Sequential([Dense(4, input_shape=(3,)), Lambda(spy), Dense(1)])
    model.compile('sgd', 'mse')
    del traces[:]  # building the model probes the layers: not a step
    rng = np.random.RandomState(1)
    # 100 and 196 rows: batches of 32 and a last batch of 4 in both.
    for n in (100, 196):
        x = _memmap(tmp_path / ('x%d' % n), rng.normal(size=(n, 3)).astype('float32'))
        y = _memmap(tmp_path / ('y%d' % n), rng.normal(size=(n, 1)).astype('float32'))
        model.fit(x, y, batch_size=32, epochs=2, verbose=0)
        if n == 100:
            assert sorted(traces) == [4, 32]
    assert sorted(traces) == [4, 32]


@pytest.mark.skipif(K.backend() != 'jax', reason="JAX's deferred deletion of device arrays")
def test_jax_frees_a_batch_once_its_step_has_run_but_not_an_output():
    batch = streaming.start_copy([np.ones((2, 3), 'uint8'), np.zeros((2, 1), 'float32')],
                                 ['float32', 'float32'])
    assert batch[0].dtype == np.float32  # widened on the device
    streaming.release(batch, [batch[0]])  # a step that returned its first input
    assert not batch[0].is_deleted() and batch[1].is_deleted()
    np.testing.assert_array_equal(np.asarray(batch[0]), np.ones((2, 3), 'float32'))
