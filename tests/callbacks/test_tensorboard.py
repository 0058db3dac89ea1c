"""The `TensorBoard` callback, its files read back with TensorBoard's own readers.

Every option runs inside `Model.fit`; the event files are read with `EventAccumulator` and
the projector files with the projector plugin's config reader, and every tag, step and value
is checked against NumPy computed here from the model's weights.
"""
import io
import sys

import numpy as np
import pytest

from cornu import callbacks
from cornu.layers import (Conv2D, Dense, Dropout, Embedding, Flatten, Input, concatenate)
from cornu.models import Model, Sequential

event_accumulator = pytest.importorskip(
    'tensorboard.backend.event_processing.event_accumulator')
projector_plugin = pytest.importorskip('tensorboard.plugins.projector.projector_plugin')

_LOAD_ALL = {kind: 0 for kind in (event_accumulator.SCALARS, event_accumulator.HISTOGRAMS,
                                  event_accumulator.IMAGES, event_accumulator.TENSORS,
                                  event_accumulator.COMPRESSED_HISTOGRAMS,
                                  event_accumulator.AUDIO)}


def _read(log_dir):
    acc = event_accumulator.EventAccumulator(str(log_dir), size_guidance=_LOAD_ALL)
    acc.Reload()
    return acc


def _data(rows=20, features=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(rows, features).astype('float32')
    y = np.eye(2, dtype='float32')[rng.randint(0, 2, rows)]
    return x, y


def _mlp():
    model = Sequential([Dense(4, activation='relu', input_shape=(3,), name='hidden'),
                        Dropout(0.5, name='drop'),
                        Dense(2, activation='softmax', name='probs')])
    model.compile('sgd', 'categorical_crossentropy', metrics=['acc'])
    return model


class _WeightsAtEpochEnd(callbacks.Callback):
    """Records the weights at each epoch's end (placed before `TensorBoard`)."""

    def __init__(self):
        super(_WeightsAtEpochEnd, self).__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def _forward(weights, x):
    kernel, bias, kernel2, bias2 = weights
    hidden = np.maximum(x.astype(np.float64) @ kernel + bias, 0)
    logits = hidden @ kernel2 + bias2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return hidden, e / e.sum(axis=1, keepdims=True)


def _assert_histogram(histo, values):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert histo.num == values.size
    np.testing.assert_allclose([histo.min, histo.max, histo.sum, histo.sum_squares],
                               [values.min(), values.max(), values.sum(),
                                np.sum(values ** 2)], rtol=1e-5, atol=1e-6)
    limits, counts = np.array(histo.bucket_limit), np.array(histo.bucket)
    assert (np.diff(limits) > 0).all() and counts.sum() == values.size
    # Each bucket counts the values in [previous limit, limit).
    lower = np.concatenate([[-np.inf], limits[:-1]])
    expected = [np.sum((values >= lo) & (values < hi)) for lo, hi in zip(lower, limits)]
    np.testing.assert_array_equal(counts, expected)


# --- scalars -----------------------------------------------------------------------------------

def test_epoch_scalars_equal_history(backend, tmp_path):
    model = _mlp()
    x, y = _data()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), write_graph=False)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_data=(x[:6], y[:6]),
                        verbose=0, callbacks=[board])
    acc = _read(tmp_path)
    tags = acc.Tags()
    assert sorted(tags['scalars']) == ['acc', 'loss', 'val_acc', 'val_loss']
    assert tags['histograms'] == [] and tags['images'] == [] and not tags['graph']
    for name, values in history.history.items():
        events = acc.Scalars(name)
        assert [e.step for e in events] == [0, 1, 2]
        np.testing.assert_array_equal([e.value for e in events],
                                      np.float32(values))
    assert board.writer.closed


class _BatchLosses(callbacks.Callback):
    def __init__(self):
        super(_BatchLosses, self).__init__()
        self.losses = []

    def on_batch_end(self, batch, logs=None):
        self.losses.append(float(np.asarray(logs['loss'])))


@pytest.mark.parametrize('update_freq, steps', [
    ('batch', [5, 10, 15, 20, 25, 30, 35, 40]),
    (12, [15, 30])])  # written once 12 samples or more were seen since the last write
def test_batch_scalars_at_samples_seen(backend, tmp_path, update_freq, steps):
    model = _mlp()
    x, y = _data()
    losses = _BatchLosses()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), write_graph=False,
                                  update_freq=update_freq)
    history = model.fit(x, y, epochs=2, batch_size=5, shuffle=False, verbose=0,
                        callbacks=[losses, board])
    events = _read(tmp_path).Scalars('loss')
    # Batch logs at the number of samples seen; the epoch logs too (after its batches).
    by_step = {}
    for e in events:
        by_step.setdefault(e.step, []).append(e.value)
    batch_loss = dict(zip(range(5, 45, 5), losses.losses))
    epoch_end = {20: history.history['loss'][0], 40: history.history['loss'][1]}
    expected = {}
    for step in steps:
        expected.setdefault(step, []).append(np.float32(batch_loss[step]))
    for step, value in epoch_end.items():
        expected.setdefault(step, []).append(np.float32(value))
    assert by_step == expected


def test_update_freq_is_checked(backend, tmp_path):
    with pytest.raises(ValueError, match="`update_freq` should be 'batch', 'epoch' or a "
                                         "positive number of samples, but is 'batches'"):
        callbacks.TensorBoard(log_dir=str(tmp_path), update_freq='batches')


# --- histograms: weights, layer outputs, gradients ---------------------------------------------

def test_histograms_of_weights_outputs_and_gradients(backend, tmp_path):
    model = _mlp()
    x, y = _data()
    x_val, y_val = x[:10], y[:10]
    weights = _WeightsAtEpochEnd()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=2, batch_size=4,
                                  write_grads=True, write_graph=False)
    model.fit(x, y, epochs=3, batch_size=8, validation_data=(x_val, y_val), verbose=0,
              callbacks=[weights, board])
    acc = _read(tmp_path)
    weight_tags = ['hidden/kernel_0', 'hidden/bias_0', 'probs/kernel_0', 'probs/bias_0']
    output_tags = ['hidden_out', 'drop_out', 'probs_out']
    assert sorted(acc.Tags()['histograms']) == sorted(
        weight_tags + [t + '_grad' for t in weight_tags] + output_tags)
    batches = [slice(0, 4), slice(4, 8), slice(8, 10)]
    for tag in acc.Tags()['histograms']:
        # Epochs 0 and 2; one event per validation batch of `batch_size` rows.
        assert [e.step for e in acc.Histograms(tag)] == [0, 0, 0, 2, 2, 2]
    for epoch_index, epoch in enumerate((0, 2)):
        values = weights.weights[epoch]
        for tag, value in zip(weight_tags, values):
            for event in acc.Histograms(tag)[3 * epoch_index:3 * epoch_index + 3]:
                _assert_histogram(event.histogram_value, value)
        for i, rows in enumerate(batches):
            event_index = 3 * epoch_index + i
            hidden, probs = _forward(values, x_val[rows])
            _assert_histogram(acc.Histograms('hidden_out')[event_index].histogram_value,
                              hidden)
            # Dropout is the identity in the test phase.
            _assert_histogram(acc.Histograms('drop_out')[event_index].histogram_value,
                              hidden)
            _assert_histogram(acc.Histograms('probs_out')[event_index].histogram_value,
                              probs)
            # The mean categorical crossentropy of the batch, differentiated by hand.
            d_logits = (probs - y_val[rows]) / len(probs)
            d_hidden = (d_logits @ values[2].T) * (hidden > 0)
            grads = [x_val[rows].T.astype(np.float64) @ d_hidden, d_hidden.sum(axis=0),
                     hidden.T @ d_logits, d_logits.sum(axis=0)]
            for tag, grad in zip(weight_tags, grads):
                _assert_histogram(acc.Histograms(tag + '_grad')[event_index].histogram_value,
                                  grad)


def test_histograms_of_several_outputs_masks_and_an_output_without_loss(backend, tmp_path):
    from cornu.layers import LSTM, Masking
    inputs = Input((4, 2), name='seq')
    masked = Masking(name='mask')(inputs)
    sequence, state_h, state_c = LSTM(3, return_state=True, name='lstm')(masked)
    scored = Dense(1, name='scored')(sequence)
    unscored = Dense(2, name='unscored')(state_c)
    model = Model(inputs, [scored, unscored])
    model.compile('sgd', ['mse', None])
    rng = np.random.RandomState(0)
    x = rng.rand(6, 4, 2).astype('float32')
    x[:3, -2:] = 0.  # masked steps
    y = rng.rand(6, 1).astype('float32')
    board = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1, batch_size=6,
                                  write_grads=True, write_graph=False)
    model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0, callbacks=[board])
    acc = _read(tmp_path)
    outputs = ['seq_out', 'mask_out', 'lstm_out_0', 'lstm_out_1', 'lstm_out_2',
               'scored_out', 'unscored_out']
    assert set(outputs) <= set(acc.Tags()['histograms'])
    reference = Model(inputs, [masked, sequence, state_h, state_c, scored, unscored]).predict(x)
    expected = dict(zip(outputs, [x] + list(reference)))
    for tag, value in expected.items():
        _assert_histogram(acc.Histograms(tag)[0].histogram_value, value)
    # The loss does not depend on the output without a loss: zero gradients.
    for tag in ('unscored/kernel_0_grad', 'unscored/bias_0_grad'):
        histo = acc.Histograms(tag)[0].histogram_value
        assert (histo.min, histo.max, histo.sum) == (0., 0., 0.)
    histo = acc.Histograms('scored/bias_0_grad')[0].histogram_value
    assert histo.num == 1 and histo.sum != 0.


def test_histograms_leave_the_states_of_stateful_layers_as_they_were(backend, tmp_path):
    from cornu import backend as K
    from cornu.layers import LSTM
    model = Sequential([LSTM(3, stateful=True, batch_input_shape=(2, 4, 2), name='lstm'),
                        Dense(1, name='out')])
    model.compile('sgd', 'mse')
    rng = np.random.RandomState(0)
    x = rng.rand(4, 4, 2).astype('float32')
    y = rng.rand(4, 1).astype('float32')
    lstm = model.get_layer('lstm')

    class States(callbacks.Callback):
        def __init__(self):
            super(States, self).__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(K.batch_get_value(lstm.states))

    before, after = States(), States()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1, batch_size=2,
                                  write_grads=True, embeddings_freq=1,
                                  embeddings_layer_names=['lstm'], embeddings_data=x)
    model.fit(x, y, epochs=1, batch_size=2, shuffle=False, validation_data=(x, y),
              verbose=0, callbacks=[before, board, after])
    for state_before, state_after in zip(before.seen[0], after.seen[0]):
        assert np.abs(state_before).sum() > 0
        np.testing.assert_array_equal(state_before, state_after)
    assert 'lstm_out' in _read(tmp_path).Tags()['histograms']


def test_histograms_need_validation_data(backend, tmp_path):
    model = _mlp()
    x, y = _data()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1)
    with pytest.raises(ValueError, match='If printing histograms, validation_data must be '
                                         'provided, and cannot be a generator.'):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[board])


def test_histograms_with_validation_tuple_in_fit_generator(backend, tmp_path):
    model = _mlp()
    x, y = _data(40)
    log_dir = tmp_path / 'logs'

    def batches():
        while True:
            yield x[:8], y[:8]

    weights = _WeightsAtEpochEnd()
    board = callbacks.TensorBoard(log_dir=str(log_dir), histogram_freq=1, batch_size=32)
    model.fit_generator(batches(), steps_per_epoch=2, epochs=2, verbose=0,
                        validation_data=(x[:10], y[:10]), callbacks=[weights, board])
    acc = _read(log_dir)
    assert [e.step for e in acc.Scalars('val_loss')] == [0, 1]
    events = acc.Histograms('probs/kernel_0')
    assert [e.step for e in events] == [0, 1]
    _assert_histogram(events[1].histogram_value, weights.weights[1][2])
    # A generator gives no validation arrays: histograms cannot be asked for.
    with pytest.raises(ValueError, match='If printing histograms, validation_data must be '
                                         'provided, and cannot be a generator.'):
        model.fit_generator(batches(), steps_per_epoch=2, epochs=1, verbose=0,
                            validation_data=batches(), validation_steps=1,
                            callbacks=[callbacks.TensorBoard(log_dir=str(tmp_path / 'gen'),
                                                             histogram_freq=1)])


# --- images ------------------------------------------------------------------------------------

def _expected_pixels(image):
    """TensorFlow's scaling of a float image to bytes (in float32, truncated)."""
    image = np.asarray(image, dtype=np.float32)
    if image.min() < 0:
        scaled = image * (np.float32(127.) / np.abs(image).max()) + np.float32(128.)
    else:
        scaled = image * (np.float32(255.) / image.max())
    return scaled.astype(np.uint8)


def test_image_scaling_as_tensorflow(backend):
    from cornu.callbacks.event_summaries import image_pixels
    column = lambda *values: np.array(values, dtype=np.float32).reshape(-1, 1, 1)
    # Non-negative: the largest is 255.
    np.testing.assert_array_equal(image_pixels(column(0., 1., 2.))[:, 0, 0], [0, 127, 255])
    # Negative values: the largest magnitude is 127 away from 128.
    np.testing.assert_array_equal(image_pixels(column(-2., 0., 1.))[:, 0, 0], [1, 128, 191])
    # A range under 1e-6 is flat; non-finite values are drawn as 255 and left out of the
    # range.
    np.testing.assert_array_equal(image_pixels(column(0., 5e-7))[:, 0, 0], [0, 0])
    np.testing.assert_array_equal(image_pixels(column(np.nan, 1., np.inf))[:, 0, 0],
                                  [255, 255, 255])
    np.testing.assert_array_equal(image_pixels(column(np.nan, -1., 0.5))[:, 0, 0],
                                  [255, 1, 191])


def _decoded(event):
    from PIL import Image
    return np.array(Image.open(io.BytesIO(event.encoded_image_string)))


def test_weights_as_images(backend, tmp_path):
    model = Sequential([Conv2D(4, (3, 3), input_shape=(5, 5, 1), name='conv'),
                        Flatten(name='flat'),
                        Dense(2, activation='softmax', name='probs')])
    model.compile('sgd', 'categorical_crossentropy')
    rng = np.random.RandomState(0)
    x = rng.rand(6, 5, 5, 1).astype('float32')
    y = np.eye(2, dtype='float32')[rng.randint(0, 2, 6)]
    weights = _WeightsAtEpochEnd()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), histogram_freq=1, batch_size=6,
                                  write_images=True, write_graph=False)
    model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0, callbacks=[weights, board])
    acc = _read(tmp_path)
    conv_kernel, conv_bias, dense_kernel, dense_bias = weights.weights[0]
    # A conv kernel (3, 3, 1, 4) squeezes to (3, 3, 4): one image per filter, 3 at most.
    filters = np.transpose(conv_kernel[:, :, 0, :], (2, 0, 1))
    expected = {'conv/kernel_0/image/%d' % i: filters[i] for i in range(3)}
    # A vector: one image one pixel wide.
    expected['conv/bias_0/image/0'] = conv_bias.reshape(4, 1)
    # A (36, 2) matrix has more rows than columns: shown transposed, (2, 36).
    expected['probs/kernel_0/image/0'] = dense_kernel.T
    expected['probs/bias_0/image/0'] = dense_bias.reshape(2, 1)
    assert sorted(acc.Tags()['images']) == sorted(expected)
    for tag, image in expected.items():
        events = acc.Images(tag)
        assert [e.step for e in events] == [0]
        assert (events[0].height, events[0].width) == image.shape
        np.testing.assert_array_equal(_decoded(events[0]), _expected_pixels(image))


# --- graph -------------------------------------------------------------------------------------

def test_graph_of_a_functional_model(backend, tmp_path):
    a = Input((3,), name='a')
    b = Input((2,), name='b')
    merged = concatenate([a, b], name='merged')
    shared = Dense(4, name='shared')
    out = Dense(1, name='out')(concatenate([shared(merged), shared(concatenate(
        [b, a], name='swapped'))], name='both'))
    model = Model([a, b], out)
    model.compile('sgd', 'mse')
    board = callbacks.TensorBoard(log_dir=str(tmp_path))
    model.fit([np.ones((4, 3)), np.ones((4, 2))], np.ones((4, 1)), epochs=1, verbose=0,
              callbacks=[board])
    graph = _read(tmp_path).Graph()
    nodes = {node.name: node for node in graph.node}
    assert sorted(nodes) == ['a', 'b', 'both', 'merged', 'out', 'shared', 'swapped']
    ops = {name: node.op for name, node in nodes.items()}
    assert ops == {'a': 'InputLayer', 'b': 'InputLayer', 'merged': 'Concatenate',
                   'swapped': 'Concatenate', 'shared': 'Dense', 'both': 'Concatenate',
                   'out': 'Dense'}
    inputs = {name: list(node.input) for name, node in nodes.items()}
    assert inputs == {'a': [], 'b': [], 'merged': ['a', 'b'], 'swapped': ['b', 'a'],
                      'shared': ['merged', 'swapped'], 'both': ['shared'], 'out': ['both']}
    shapes = {name: [[d.size for d in s.dim] for s in node.attr['_output_shapes'].list.shape]
              for name, node in nodes.items()}
    assert shapes == {'a': [[-1, 3]], 'b': [[-1, 2]], 'merged': [[-1, 5]],
                      'swapped': [[-1, 5]], 'shared': [[-1, 4]], 'both': [[-1, 8]],
                      'out': [[-1, 1]]}


def test_graph_of_a_sequential_model_has_its_input_layer(backend, tmp_path):
    model = _mlp()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.TensorBoard(log_dir=str(tmp_path))])
    graph = _read(tmp_path).Graph()
    assert [(n.name, n.op, list(n.input)) for n in graph.node] == [
        ('hidden_input', 'InputLayer', []), ('hidden', 'Dense', ['hidden_input']),
        ('drop', 'Dropout', ['hidden']), ('probs', 'Dense', ['drop'])]


# --- embeddings --------------------------------------------------------------------------------

def _embedding_model():
    model = Sequential([Embedding(10, 3, input_length=4, name='words'),
                        Flatten(name='flat'),
                        Dense(2, activation='softmax', name='probs')])
    model.compile('sgd', 'categorical_crossentropy')
    rng = np.random.RandomState(0)
    x = rng.randint(0, 10, (12, 4))
    y = np.eye(2, dtype='float32')[rng.randint(0, 2, 12)]
    return model, x, y


def _projector(log_dir):
    """The projector plugin with its configs read from `log_dir`."""
    from tensorboard.plugins import base_plugin
    plugin = projector_plugin.ProjectorPlugin(base_plugin.TBContext(logdir=str(log_dir)))
    plugin._update_configs()
    return plugin


@pytest.mark.parametrize('names, metadata', [
    (None, 'words.tsv'), (['words', 'flat'], {'flat': 'flat.tsv'})])
def test_embeddings_for_the_projector(backend, tmp_path, names, metadata):
    model, x, y = _embedding_model()
    weights = _WeightsAtEpochEnd()
    data = x[:7]
    board = callbacks.TensorBoard(log_dir=str(tmp_path), embeddings_freq=2, batch_size=3,
                                  embeddings_layer_names=names,
                                  embeddings_metadata=metadata, embeddings_data=data)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[weights, board])
    plugin = _projector(tmp_path)
    config = plugin._configs['.']
    # Written at epoch 0 only (embeddings_freq=2): the weights at the end of that epoch.
    table = weights.weights[0][0]
    expected = table[data].reshape(7, 12)
    watched = ['words'] if names is None else names
    assert [e.tensor_name for e in config.embeddings] == [n + '_embedding' for n in watched]
    assert [e.tensor_path for e in config.embeddings] == [n + '_embedding.tsv'
                                                          for n in watched]
    for embedding in config.embeddings:
        assert list(embedding.tensor_shape) == [7, 12]
        values = projector_plugin._read_tensor_tsv_file(projector_plugin._rel_to_abs_asset_path(
            embedding.tensor_path, plugin.config_fpaths['.']))
        # The Embedding's output flattened, and Flatten's output: the same rows.
        np.testing.assert_array_equal(values, expected.astype(np.float32))
    got_metadata = {e.tensor_name: e.metadata_path for e in config.embeddings}
    if names is None:
        assert got_metadata == {'words_embedding': 'words.tsv'}
    else:
        assert got_metadata == {'words_embedding': '', 'flat_embedding': 'flat.tsv'}


def test_embeddings_need_data_and_known_layers(backend, tmp_path):
    model, x, y = _embedding_model()
    with pytest.raises(ValueError, match='To visualize embeddings, embeddings_data must be '
                                         'provided.'):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.TensorBoard(
            log_dir=str(tmp_path), embeddings_freq=1)])
    with pytest.raises(ValueError, match=r"`embeddings_layer_names` names \['nope'\], which "
                                         r"the model has no layer of"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.TensorBoard(
            log_dir=str(tmp_path), embeddings_freq=1, embeddings_layer_names=['nope'],
            embeddings_data=x)])


# --- without the package -----------------------------------------------------------------------

def test_missing_tensorboard_package_names_the_install(backend, tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == 'tensorboard' or name.startswith('tensorboard.'):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, 'tensorboard', None)
    with pytest.raises(ImportError, match=r"TensorBoard logging needs the `tensorboard` "
                                          r"package, which is not installed: run "
                                          r"`pip install 'cornu\[tensorboard\]'`"):
        callbacks.TensorBoard(log_dir=str(tmp_path))
