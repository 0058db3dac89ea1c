"""Saving and loading: Keras 2 HDF5 files both ways, weights, JSON/YAML, custom objects,
pickling, atomic writes, bad files, and exact resumption of training.

Layouts are checked against Keras 2.2.4's `keras.engine.saving` format; the files under
`tests/fixtures/keras2/` were written by real tf.keras (see `make_keras2_fixtures.py`).
"""
import glob
import json
import os
import pickle
import shutil
import warnings

import h5py
import numpy as np
import pytest

import cornu
from cornu import layers as layers_module
from cornu import optimizers
from cornu.engine import saving
from cornu.engine import config_conversion
from cornu.engine import weight_conversion
from cornu.engine.base_layer import Layer
from cornu.layers import (Activation, BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input,
                          Lambda, concatenate)
from cornu.models import Model, Sequential, load_model, model_from_json, model_from_yaml
from cornu.utils.generic_utils import CustomObjectScope

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'fixtures', 'keras2')


# ---------------------------------------------------------------------------- helpers

class Scale(Layer):
    """A custom layer with one weight (module level, so that models using it pickle)."""

    def __init__(self, factor=1., **kwargs):
        self.factor = factor
        super(Scale, self).__init__(**kwargs)

    def build(self, input_shape):
        self.scale = self.add_weight(name='scale', shape=(input_shape[-1],),
                                     initializer='ones')
        super(Scale, self).build(input_shape)

    def call(self, inputs):
        return inputs * self.scale * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super(Scale, self).get_config()
        config['factor'] = self.factor
        return config


class Exploding(Dense):
    """A Dense layer whose weights cannot be read while `boom` is set."""

    boom = False

    @property
    def weights(self):
        if self.boom:
            raise RuntimeError('boom')
        return super(Exploding, self).weights


def my_loss(y_true, y_pred):
    from cornu import backend as K
    return K.mean(K.abs(y_true - y_pred), axis=-1) * 2.


def _mlp(optimizer='adam', hidden=4):
    model = Sequential([Dense(hidden, activation='relu', input_shape=(3,)),
                        BatchNormalization(),
                        Dense(2, activation='softmax')])
    if optimizer is not None:
        model.compile(optimizer, 'categorical_crossentropy', metrics=['accuracy'])
    return model


def _data(n=8):
    x = np.random.uniform(-1, 1, size=(n, 3)).astype('float32')
    y = np.eye(2, dtype='float32')[np.arange(n) % 2]
    return x, y


def _functional():
    a = Input((3,), name='in_a')
    b = Input((2,), name='in_b')
    shared = Dense(3, activation='tanh', name='shared')
    h = concatenate([shared(a), Dense(3, name='side')(b)])
    out_1 = Dense(2, activation='softmax', name='out_1')(h)
    out_2 = Dense(1, name='out_2')(h)
    return Model([a, b], [out_1, out_2])


def _nested():
    inner_seq = Sequential([Dense(4, activation='relu', input_shape=(3,)), Dense(4)],
                           name='inner_seq')
    x = Input((4,))
    inner_func = Model(x, Dense(2, activation='tanh')(x), name='inner_func')
    inputs = Input((3,))
    outer = Model(inputs, Dense(1)(inner_func(inner_seq(inputs))))
    return Sequential([outer, Activation('sigmoid')])


def _assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


def _attr_text(value):
    return value.decode('utf8') if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------------------- round trips

def test_sequential_round_trip_restores_weights_and_optimizer(backend, tmp_path):
    x, y = _data()
    model = _mlp(optimizers.Adam(lr=0.01, decay=1e-3))
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    path = str(tmp_path / 'model.h5')
    model.save(path)

    loaded = load_model(path)
    assert isinstance(loaded, Sequential)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert isinstance(loaded.optimizer, optimizers.Adam)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.loss == 'categorical_crossentropy'
    assert loaded.metrics_names == model.metrics_names == ['loss', 'acc']
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert backend.get_value(loaded.optimizer.iterations) == 4
    # cornu.models.save_model is the same function.
    cornu.models.save_model(loaded, str(tmp_path / 'again.h5'))
    np.testing.assert_array_equal(load_model(str(tmp_path / 'again.h5')).predict(x),
                                  model.predict(x))


def test_functional_multi_output_round_trip(backend, tmp_path):
    model = _functional()
    model.compile(optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
                  loss={'out_1': 'categorical_crossentropy', 'out_2': my_loss},
                  loss_weights={'out_1': 1., 'out_2': 0.5},
                  metrics={'out_1': ['accuracy']})
    xa, xb = np.random.rand(6, 3).astype('float32'), np.random.rand(6, 2).astype('float32')
    y1, y2 = np.eye(2)[np.arange(6) % 2], np.random.rand(6, 1)
    model.fit([xa, xb], [y1, y2], epochs=1, batch_size=3, verbose=0)
    path = str(tmp_path / 'functional.h5')
    model.save(path)

    with pytest.raises(ValueError, match='my_loss'):
        load_model(path)
    loaded = load_model(path, custom_objects={'my_loss': my_loss})
    assert loaded.loss == {'out_1': 'categorical_crossentropy', 'out_2': my_loss}
    assert loaded.loss_weights == {'out_1': 1., 'out_2': 0.5}
    assert loaded.metrics_names == model.metrics_names
    for a, b in zip(model.predict([xa, xb]), loaded.predict([xa, xb])):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    # CustomObjectScope works as well as the argument.
    with CustomObjectScope({'my_loss': my_loss}):
        assert load_model(path).loss_functions[1] is my_loss


def test_nested_models_round_trip(backend, tmp_path):
    model = _nested()
    model.compile('rmsprop', 'binary_crossentropy')
    x = np.random.rand(5, 3).astype('float32')
    model.fit(x, np.ones((5, 1)), epochs=1, verbose=0)
    path = str(tmp_path / 'nested.h5')
    model.save(path)
    loaded = load_model(path)
    assert [l.__class__.__name__ for l in loaded.layers] == ['Model', 'Activation']
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_uncompiled_model_and_compile_false(backend, tmp_path):
    model = _mlp(optimizer=None)
    path = str(tmp_path / 'plain.h5')
    model.save(path)
    with h5py.File(path, 'r') as f:
        assert 'training_config' not in f.attrs and 'optimizer_weights' not in f
    with pytest.warns(UserWarning, match='No training configuration found'):
        loaded = load_model(path)
    assert not getattr(loaded, '_is_compiled', False)

    compiled = _mlp()
    compiled.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        loaded = load_model(path, compile=False)
    assert not getattr(loaded, '_is_compiled', False)
    compiled.save(path, include_optimizer=False)
    with h5py.File(path, 'r') as f:
        assert 'training_config' not in f.attrs and 'optimizer_weights' not in f


def test_save_and_load_through_h5py_objects(backend, tmp_path):
    model = _mlp()
    x, _ = _data()
    path = str(tmp_path / 'groups.h5')
    with h5py.File(path, 'w') as f:
        model.save(f)
        saving.save_model(model, f.create_group('second'))
    with h5py.File(path, 'r') as f:
        np.testing.assert_array_equal(load_model(f).predict(x), model.predict(x))
        np.testing.assert_array_equal(load_model(f['second']).predict(x), model.predict(x))
    other = _mlp(optimizer=None)
    with h5py.File(path, 'r') as f:
        other.load_weights(f)
    _assert_same_weights(other, model)


def test_save_and_load_in_memory_h5py_files_and_groups(backend, tmp_path):
    model = _mlp()
    x, y = _data()
    model.train_on_batch(x, y)
    expected = model.predict(x)
    # A file held in memory only (h5py's 'core' driver without a backing store).
    never_written = str(tmp_path / 'in-memory.h5')
    with h5py.File(never_written, mode='w', driver='core', backing_store=False) as f:
        saving.save_model(model, f)
        np.testing.assert_array_equal(load_model(f).predict(x), expected)
        f.flush()
        image = f.id.get_file_image()
    assert not os.path.exists(never_written)
    # Its bytes are a complete HDF5 file.
    path = str(tmp_path / 'image.h5')
    with open(path, 'wb') as handle:
        handle.write(image)
    with h5py.File(path, 'r') as f:
        loaded = load_model(f)
    np.testing.assert_array_equal(loaded.predict(x), expected)
    _assert_same_weights(loaded, model)
    # A group of a file that already holds other data.
    with h5py.File(path, 'r+') as f:
        saving.save_model(model, f.create_group('model'))
        np.testing.assert_array_equal(load_model(f['model']).predict(x), expected)


def test_save_and_load_through_binary_streams(backend, tmp_path):
    import io
    model = _mlp()
    x, y = _data()
    model.train_on_batch(x, y)
    expected = model.predict(x)
    # What a stream held before is replaced, wherever its position was.
    stream = io.BytesIO(b'old bytes' * 1000)
    stream.seek(20)
    model.save(stream)
    assert stream.getvalue()[:8] == b'\x89HDF\r\n\x1a\n'
    stream.seek(0)
    loaded = load_model(stream)
    np.testing.assert_array_equal(loaded.predict(x), expected)
    assert type(loaded.optimizer) is type(model.optimizer)
    # The same bytes as a file on disk, and a real binary file object.
    path = str(tmp_path / 'stream.h5')
    with open(path, 'wb') as handle:
        handle.write(stream.getvalue())
    np.testing.assert_array_equal(load_model(path).predict(x), expected)
    with open(path, 'w+b') as handle:
        saving.save_model(model, handle, include_optimizer=False)
    with open(path, 'rb') as handle:
        np.testing.assert_array_equal(load_model(handle, compile=False).predict(x), expected)
    weights = io.BytesIO()
    model.save_weights(weights)
    weights.seek(0)
    other = _mlp(optimizer=None)
    other.load_weights(weights)
    _assert_same_weights(other, model)
    with pytest.raises(OSError, match='Unable to load the BytesIO stream: it does not hold '
                                      'an HDF5 file'):
        load_model(io.BytesIO(b'not hdf5'))
    with pytest.raises(TypeError, match='An HDF5 file is binary'):
        model.save(io.StringIO())


def test_constant_initializer_holding_an_array_round_trips(backend, tmp_path):
    from cornu.initializers import Constant
    kernel = np.arange(6, dtype='float32').reshape(3, 2)
    model = Sequential([Dense(2, input_shape=(3,), kernel_initializer=Constant(kernel)),
                        Dense(1)])
    model.compile('sgd', 'mse')
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel)
    path = str(tmp_path / 'constant.h5')
    model.save(path)
    loaded = load_model(path)
    initializer = loaded.layers[0].kernel_initializer
    assert isinstance(initializer, Constant) and isinstance(initializer.value, np.ndarray)
    np.testing.assert_array_equal(initializer.value, kernel)
    np.testing.assert_array_equal(cornu.backend.eval(initializer((3, 2))), kernel)
    # A Keras 2.2.4 file holds the array as a plain nested list: it loads too.
    plain = Constant.from_config({'value': kernel.tolist()})
    np.testing.assert_array_equal(cornu.backend.eval(plain((3, 2))), kernel)


def test_pathlike_and_overwrite_prompt(backend, tmp_path, monkeypatch):
    from cornu.engine import hdf5_format
    model = _mlp()
    path = tmp_path / 'model.h5'
    model.save(path)  # a pathlib.Path
    before = path.read_bytes()
    other = _mlp()
    asked = []
    monkeypatch.setattr(hdf5_format, 'ask_to_proceed_with_overwrite',
                        lambda p: asked.append(p) or False)
    other.save(str(path), overwrite=False)
    other.save_weights(str(path), overwrite=False)
    assert path.read_bytes() == before and asked == [str(path)] * 2
    monkeypatch.setattr(hdf5_format, 'ask_to_proceed_with_overwrite', lambda p: True)
    other.save(str(path), overwrite=False)
    assert path.read_bytes() != before


# ---------------------------------------------------------------------------- layout

def test_file_layout_is_keras_2(backend, tmp_path):
    x, y = _data()
    model = _mlp(optimizers.Adam())
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / 'layout.h5')
    model.save(path)
    with h5py.File(path, 'r') as f:
        assert _attr_text(f.attrs['keras_version']) == '2.2.4'
        assert _attr_text(f.attrs['backend']) == backend.backend()
        model_config = json.loads(_attr_text(f.attrs['model_config']))
        assert model_config['class_name'] == 'Sequential'
        assert model_config['config'] == json.loads(json.dumps(model.get_config()))
        training_config = json.loads(_attr_text(f.attrs['training_config']))
        assert sorted(training_config) == ['loss', 'loss_weights', 'metrics',
                                           'optimizer_config', 'sample_weight_mode']
        assert training_config['optimizer_config'] == {
            'class_name': 'Adam', 'config': json.loads(json.dumps(model.optimizer.get_config()))}
        assert training_config['loss'] == 'categorical_crossentropy'
        assert training_config['metrics'] == ['accuracy']

        weights = f['model_weights']
        assert [_attr_text(n) for n in weights.attrs['layer_names']] == \
            ['dense_1', 'batch_normalization_1', 'dense_2']
        assert _attr_text(weights.attrs['keras_version']) == '2.2.4'
        assert _attr_text(weights.attrs['backend']) == backend.backend()
        names = [_attr_text(n) for n in weights['batch_normalization_1'].attrs['weight_names']]
        assert names == ['batch_normalization_1/gamma:0', 'batch_normalization_1/beta:0',
                         'batch_normalization_1/moving_mean:0',
                         'batch_normalization_1/moving_variance:0']
        # Nested path groups, as h5py makes them for 'dense_1/kernel:0'.
        assert isinstance(weights['dense_1/dense_1'], h5py.Group)
        np.testing.assert_array_equal(weights['dense_1/dense_1/kernel:0'][()],
                                      model.layers[0].get_weights()[0])

        optimizer = f['optimizer_weights']
        names = [_attr_text(n) for n in optimizer.attrs['weight_names']]
        assert names[0] == 'Adam/iterations:0'
        assert names[1:4] == ['training/Adam/Variable:0', 'training/Adam/Variable_1:0',
                              'training/Adam/Variable_2:0']
        assert names == [w.name for w in model.optimizer.weights]
        for name, value in zip(names, model.optimizer.get_weights()):
            np.testing.assert_array_equal(optimizer[name][()], value)


def test_save_weights_layout_and_empty_weight_names(backend, tmp_path):
    model = Sequential([Dense(2, input_shape=(3,)), Dropout(0.5), Dense(1)])
    path = str(tmp_path / 'weights.h5')
    model.save_weights(path)
    with h5py.File(path, 'r') as f:
        assert 'model_config' not in f.attrs
        assert [_attr_text(n) for n in f.attrs['layer_names']] == \
            ['dense_1', 'dropout_1', 'dense_2']
        assert len(f['dropout_1'].attrs['weight_names']) == 0
        assert saving.load_attributes_from_hdf5_group(f, 'layer_names') == \
            ['dense_1', 'dropout_1', 'dense_2']
        assert saving.load_attributes_from_hdf5_group(f['dropout_1'], 'weight_names') == []


def test_large_attributes_are_chunked(backend, tmp_path):
    # 260 layers with 250-character names: `layer_names` (and the model config) pass 64 KB.
    x = inputs = Input((2,))
    for i in range(260):
        x = Activation('linear', name='a' * 250 + '_%03d' % i)(x)
    outputs = Dense(1, name='last')(x)
    model = Model(inputs, outputs)
    path = str(tmp_path / 'deep.h5')
    model.save(path)
    with h5py.File(path, 'r') as f:
        attrs = f['model_weights'].attrs
        assert 'layer_names' not in attrs
        assert 'layer_names0' in attrs and 'layer_names1' in attrs
        assert all(attrs[k].nbytes <= 64512 for k in attrs if k.startswith('layer_names'))
        names = saving.load_attributes_from_hdf5_group(f['model_weights'], 'layer_names')
        assert names == [layer.name for layer in model.layers]
    loaded = load_model(path, compile=False)
    data = np.random.rand(3, 2).astype('float32')
    np.testing.assert_array_equal(loaded.predict(data), model.predict(data))

    # The group functions chunk and join the same way.
    with h5py.File(str(tmp_path / 'attrs.h5'), 'w') as f:
        data = [('n%05d' % i).encode('utf8') * 20 for i in range(1000)]
        saving.save_attributes_to_hdf5_group(f, 'names', data)
        assert 'names' not in f.attrs and 'names0' in f.attrs
        assert saving.load_attributes_from_hdf5_group(f, 'names') == \
            [d.decode('utf8') for d in data]


# ---------------------------------------------------------------------------- weights only

def test_save_weights_load_weights_topological(backend, tmp_path):
    model = _mlp(optimizer=None)
    path = str(tmp_path / 'w.h5')
    model.save_weights(path)
    other = _mlp(optimizer=None)
    other.load_weights(path)
    _assert_same_weights(other, model)
    # A whole-model file works too (its `model_weights` group is read).
    model.save(str(tmp_path / 'm.h5'))
    third = _mlp(optimizer=None)
    third.load_weights(str(tmp_path / 'm.h5'))
    _assert_same_weights(third, model)


def test_load_weights_mismatches_raise_and_leave_model_unchanged(backend, tmp_path):
    path = str(tmp_path / 'w.h5')
    _mlp(optimizer=None, hidden=4).save_weights(path)

    bigger = Sequential([Dense(4, activation='relu', input_shape=(3,)), BatchNormalization(),
                         Dense(3, activation='softmax')])  # last layer differs
    before = bigger.get_weights()
    with pytest.raises(ValueError) as info:
        bigger.load_weights(path)
    message = str(info.value)
    assert 'dense_2' in message and '(4, 3)' in message and '(4, 2)' in message
    assert path in message
    for a, b in zip(before, bigger.get_weights()):  # not even the first layers were loaded
        np.testing.assert_array_equal(a, b)

    fewer = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    with pytest.raises(ValueError, match='containing 3 layers into a model with 2 layers'):
        fewer.load_weights(path)


def test_load_weights_by_name(backend, tmp_path):
    source = Sequential([Dense(4, input_shape=(3,), name='a'), Dense(2, name='b'),
                         Dense(1, name='c')])
    path = str(tmp_path / 'w.h5')
    source.save_weights(path)

    target = Sequential([Dense(4, input_shape=(3,), name='a'), Dense(4, name='x'),
                         Dense(2, name='b')])
    kept = target.get_layer('x').get_weights()
    target.load_weights(path, by_name=True)
    for name in ('a', 'b'):
        for w, v in zip(target.get_layer(name).get_weights(),
                        source.get_layer(name).get_weights()):
            np.testing.assert_array_equal(w, v)
    for w, v in zip(target.get_layer('x').get_weights(), kept):
        np.testing.assert_array_equal(w, v)

    mismatched = Sequential([Dense(4, input_shape=(3,), name='a'), Dense(3, name='b')])
    before = mismatched.get_weights()
    with pytest.raises(ValueError) as info:
        mismatched.load_weights(path, by_name=True)
    assert '"b"' in str(info.value) and '(4, 3)' in str(info.value) and \
        '(4, 2)' in str(info.value)
    for a, b in zip(before, mismatched.get_weights()):  # layer `a` was not loaded either
        np.testing.assert_array_equal(a, b)

    with pytest.warns(UserWarning, match='Skipping loading of weights for layer b'):
        mismatched.load_weights(path, by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(mismatched.get_layer('a').get_weights()[0],
                                  source.get_layer('a').get_weights()[0])


def test_failed_load_model_weights_leave_nothing_half_done(backend, tmp_path):
    path = str(tmp_path / 'm.h5')
    _mlp().save(path)
    with h5py.File(path, 'r+') as f:  # damage the last layer's kernel shape
        group = f['model_weights/dense_2']
        del group['dense_2/kernel:0']
        group.create_dataset('dense_2/kernel:0', data=np.zeros((5, 2), 'float32'))
    with pytest.raises(ValueError) as info:
        load_model(path)
    assert 'dense_2' in str(info.value) and '(5, 2)' in str(info.value)


def test_older_keras_2_file_from_theano(backend, tmp_path):
    # As Keras 2.0 wrote it: a Sequential config that is a list of layers, and convolution
    # kernels flipped by the Theano backend.
    model = Sequential([Conv2D(2, (3, 3), input_shape=(5, 5, 1)), Flatten(), Dense(1)])
    path = str(tmp_path / 'old.h5')
    model.save(path)
    with h5py.File(path, 'r+') as f:
        config = json.loads(_attr_text(f.attrs['model_config']))
        config['config'] = config['config']['layers']
        f.attrs['model_config'] = json.dumps(config).encode('utf8')
        f.attrs['keras_version'] = f['model_weights'].attrs['keras_version'] = b'2.0.8'
        f.attrs['backend'] = f['model_weights'].attrs['backend'] = b'theano'
        dataset = f['model_weights/conv2d_1/conv2d_1/kernel:0']
        dataset[...] = dataset[()][::-1, ::-1]
    loaded = load_model(path, compile=False)
    x = np.random.rand(2, 5, 5, 1).astype('float32')
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    other = Sequential([Conv2D(2, (3, 3), input_shape=(5, 5, 1)), Flatten(), Dense(1)])
    other.load_weights(path)
    _assert_same_weights(other, model)


def test_group_functions(backend, tmp_path):
    model = _functional()
    with h5py.File(str(tmp_path / 'g.h5'), 'w') as f:
        saving.save_weights_to_hdf5_group(f.create_group('w'), model.layers)
    other = _functional()
    with h5py.File(str(tmp_path / 'g.h5'), 'r') as f:
        saving.load_weights_from_hdf5_group(f['w'], other.layers)
        _assert_same_weights(other, model)
        third = _functional()
        saving.load_weights_from_hdf5_group_by_name(f['w'], third.layers)
        _assert_same_weights(third, model)


# ---------------------------------------------------------------------------- atomic writes

def test_interrupted_save_keeps_previous_file(backend, tmp_path):
    x, y = _data()
    model = Sequential([Dense(3, input_shape=(3,)), Exploding(2, name='exploding')])
    model.compile('sgd', 'mse')
    path = str(tmp_path / 'model.h5')
    model.save(path)
    model.save_weights(str(tmp_path / 'weights.h5'))
    expected = model.predict(x)

    model.fit(x, y, epochs=1, verbose=0)  # the next save would hold other weights
    model.layers[-1].boom = True
    with pytest.raises(RuntimeError, match='boom'):
        model.save(path)
    with pytest.raises(RuntimeError, match='boom'):
        model.save_weights(str(tmp_path / 'weights.h5'))
    assert sorted(os.listdir(str(tmp_path))) == ['model.h5', 'weights.h5']  # no leftovers
    loaded = load_model(path, custom_objects={'Exploding': Exploding})
    np.testing.assert_array_equal(loaded.predict(x), expected)
    model.layers[-1].boom = False
    model.load_weights(str(tmp_path / 'weights.h5'))
    np.testing.assert_array_equal(model.predict(x), expected)


# ---------------------------------------------------------------------------- bad files

def test_bad_files_give_clear_errors(backend, tmp_path):
    missing = str(tmp_path / 'missing.h5')
    with pytest.raises(IOError, match='missing.h5'):
        load_model(missing)

    text = tmp_path / 'notes.h5'
    text.write_text('not a model')
    with pytest.raises(IOError, match='notes.h5.*not an HDF5 file'):
        load_model(str(text))
    with pytest.raises(IOError, match='notes.h5'):
        _mlp().load_weights(str(text))

    empty = tmp_path / 'empty.h5'
    empty.write_bytes(b'')
    with pytest.raises(IOError, match='empty.h5.*empty'):
        load_model(str(empty))

    good = str(tmp_path / 'good.h5')
    _mlp().save(good)
    data = open(good, 'rb').read()
    for fraction in (0.5, 0.9):
        truncated = tmp_path / ('truncated_%d.h5' % (fraction * 10))
        truncated.write_bytes(data[:int(len(data) * fraction)])
        with pytest.raises(IOError, match=truncated.name):
            load_model(str(truncated))

    weights_only = str(tmp_path / 'weights_only.h5')
    _mlp().save_weights(weights_only)
    with pytest.raises(ValueError, match='No model found in config file.') as info:
        load_model(weights_only)
    assert 'weights_only.h5' in str(info.value)

    foreign = str(tmp_path / 'foreign.h5')
    with h5py.File(foreign, 'w') as f:
        f.create_dataset('data', data=np.arange(3))
    with pytest.raises(ValueError, match='foreign.h5'):
        _mlp().load_weights(foreign)

    with pytest.raises(IOError, match='directory'):
        load_model(str(tmp_path))


def test_unknown_layer_class_names_it_and_custom_objects(backend, tmp_path):
    model = Sequential([Dense(2, input_shape=(3,)), Scale(2.)])
    model.compile('adam', 'mse')
    path = str(tmp_path / 'custom.h5')
    model.save(path)
    with pytest.raises(ValueError) as info:
        load_model(path)
    message = str(info.value)
    assert 'Unknown layer: Scale' in message and 'custom_objects' in message
    assert 'custom.h5' in message

    x = np.random.rand(4, 3).astype('float32')
    loaded = load_model(path, custom_objects={'Scale': Scale})
    assert loaded.layers[-1].factor == 2.
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    with CustomObjectScope({'Scale': Scale}):
        np.testing.assert_array_equal(load_model(path).predict(x), model.predict(x))


def test_lambda_bytecode_refused_unless_safe_mode_false(backend, tmp_path):
    inputs = Input((3,))
    model = Model(inputs, Lambda(lambda t: t * 2., name='double')(inputs))
    path = str(tmp_path / 'lambda.h5')
    model.save(path)
    with pytest.raises(ValueError, match='Layer "double" holds Python bytecode'):
        load_model(path)
    x = np.random.rand(2, 3).astype('float32')
    np.testing.assert_allclose(load_model(path, safe_mode=False, compile=False).predict(x),
                               x * 2.)


def test_optimizer_state_that_does_not_fit_warns(backend, tmp_path):
    path = str(tmp_path / 'm.h5')
    model = _mlp()
    model.fit(*_data(), epochs=1, verbose=0)
    model.save(path)
    with h5py.File(path, 'r+') as f:
        names = list(f['optimizer_weights'].attrs['weight_names'])
        f['optimizer_weights'].attrs['weight_names'] = np.array(names[:-1])
    with pytest.warns(UserWarning, match='Error in loading the saved optimizer state'):
        loaded = load_model(path)
    assert backend.get_value(loaded.optimizer.iterations) == 0


# ---------------------------------------------------------------------------- exact resume

@pytest.mark.parametrize('make_optimizer', [
    lambda: optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True, decay=0.01),
    lambda: optimizers.Adam(lr=0.01, decay=0.01, amsgrad=True),
], ids=['sgd_momentum', 'adam'])
def test_resuming_from_a_file_is_bit_for_bit(backend, tmp_path, make_optimizer):
    x = np.random.uniform(-1, 1, size=(24, 3)).astype('float32')
    y = np.eye(2, dtype='float32')[(x.sum(axis=1) > 0).astype(int)]

    def make():
        model = Sequential([Dense(6, activation='tanh', input_shape=(3,)),
                            BatchNormalization(), Dense(2, activation='softmax')])
        model.compile(make_optimizer(), 'categorical_crossentropy')
        return model

    straight = make()
    first = make()
    first.set_weights(straight.get_weights())
    straight.fit(x, y, batch_size=5, epochs=4, shuffle=False, verbose=0)

    first.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / 'checkpoint.h5')
    first.save(path)
    resumed = load_model(path)
    resumed.fit(x, y, batch_size=5, epochs=2, shuffle=False, verbose=0)

    _assert_same_weights(resumed, straight)
    for a, b in zip(resumed.optimizer.get_weights(), straight.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------- pickling

def test_pickle_round_trip(backend):
    x, y = _data()
    model = Sequential([Dense(3, input_shape=(3,)), Scale(0.5), Dense(2, activation='softmax')])
    model.compile(optimizers.Adam(lr=0.01), my_loss, metrics=['accuracy'])
    model.fit(x, y, epochs=1, verbose=0)
    restored = pickle.loads(pickle.dumps(model))
    assert isinstance(restored, Sequential) and restored is not model
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    assert restored.loss is my_loss
    for a, b in zip(model.optimizer.get_weights(), restored.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Training goes on identically.
    model.fit(x, y, epochs=1, shuffle=False, verbose=0)
    restored.fit(x, y, epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(restored, model)

    state = saving.pickle_model(_functional())
    assert set(['keras_version', 'backend', 'model_config', 'model_weights']) <= set(state)
    assert isinstance(saving.unpickle_model(state), Model)


def test_pickle_uncompiled_functional_and_nested(backend):
    for model in (_functional(), _nested()):
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            restored = pickle.loads(pickle.dumps(model))
        assert restored.get_config() == model.get_config()
        _assert_same_weights(restored, model)


# ---------------------------------------------------------------------------- JSON and YAML

@pytest.mark.parametrize('make', [_mlp, _functional, _nested],
                         ids=['sequential', 'functional', 'nested'])
def test_json_and_yaml_round_trips(backend, make):
    model = make() if make is not _mlp else _mlp(optimizer=None)
    config = model.get_config()
    assert model_from_json(model.to_json()).get_config() == config
    assert model_from_yaml(model.to_yaml()).get_config() == config


def test_model_from_json_reads_tf_keras_configs(backend):
    path = os.path.join(FIXTURES, 'functional_multi_io.h5')
    with h5py.File(path, 'r') as f:
        text = _attr_text(f.attrs['model_config'])
    model = model_from_json(text)
    assert model.output_names == ['out_class', 'out_reg']


# ---------------------------------------------------------------------------- files from tf.keras

def _fixture_names():
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(FIXTURES, '*.h5')))


_FIXTURE_LAYERS = {
    'embedding_lstm': ['LSTM'], 'embedding_gru': ['GRU'], 'simple_rnn': ['SimpleRNN'],
    'bidirectional': ['Bidirectional', 'LSTM', 'GRU'], 'time_distributed': ['TimeDistributed'],
}


def test_fixtures_are_present():
    assert len(_fixture_names()) >= 14
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(FIXTURES, '*')))
    assert total < 2 * 1024 * 1024


@pytest.mark.parametrize('name', _fixture_names())
def test_tf_keras_files_load_and_predict(backend, name):
    for class_name in _FIXTURE_LAYERS.get(name, []):
        if not hasattr(layers_module, class_name):
            pytest.skip('cornu.layers has no ' + class_name + ' yet')
    path = os.path.join(FIXTURES, name + '.h5')
    data = np.load(os.path.join(FIXTURES, name + '.npz'))
    xs = [data['x%d' % i] for i in range(len(data.files)) if 'x%d' % i in data.files]
    ys = [data['y%d' % i] for i in range(len(data.files)) if 'y%d' % i in data.files]
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # a clean load: no dropped settings, optimizer state fits
        model = load_model(path)
    predictions = model.predict(xs if len(xs) > 1 else xs[0])
    predictions = predictions if isinstance(predictions, list) else [predictions]
    for p, expected in zip(predictions, ys):
        np.testing.assert_allclose(p, expected, atol=1e-5)
    # Compiled with the saved settings, optimizer state restored (two training steps).
    assert backend.get_value(model.optimizer.iterations) == 2
    targets = [data['t%d' % i] for i in range(len(ys))]
    model.train_on_batch(xs if len(xs) > 1 else xs[0], targets if len(targets) > 1
                         else targets[0])


def test_tf_keras_optimizer_state_lands_on_the_right_variables(backend):
    path = os.path.join(FIXTURES, 'mlp.h5')
    model = load_model(path)
    assert isinstance(model.optimizer, optimizers.Adam)
    assert np.isclose(backend.get_value(model.optimizer.lr), 0.01)
    params = model._collected_trainable_weights
    slots = model.optimizer.get_weights()
    n = len(params)
    with h5py.File(path, 'r') as f:
        group = f['optimizer_weights']
        for i, (layer, weight) in enumerate([('dense', 'kernel'), ('dense', 'bias'),
                                             ('dense_1', 'kernel'), ('dense_1', 'bias')]):
            np.testing.assert_array_equal(slots[1 + i], group['Adam/m/%s/%s:0' % (layer,
                                                                                 weight)][()])
            np.testing.assert_array_equal(slots[1 + n + i],
                                          group['Adam/v/%s/%s:0' % (layer, weight)][()])


def test_tf_keras_file_compile_settings(backend):
    model = load_model(os.path.join(FIXTURES, 'functional_multi_io.h5'))
    assert model.loss == {'out_class': 'categorical_crossentropy', 'out_reg': 'mse'}
    assert model.loss_weights == {'out_class': 1., 'out_reg': 0.5}
    assert model.metrics_names == ['loss', 'out_class_loss', 'out_reg_loss', 'out_class_acc']
    legacy = load_model(os.path.join(FIXTURES, 'mlp_legacy_sgd.h5'))
    assert isinstance(legacy.optimizer, optimizers.SGD)
    assert np.isclose(backend.get_value(legacy.optimizer.momentum), 0.9)
    assert legacy.metrics_names == ['loss', 'mean_absolute_error']


def test_tf_keras_config_conversion():
    config = {'class_name': 'Functional', 'config': {
        'name': 'm', 'trainable': True,
        'layers': [
            {'class_name': 'InputLayer', 'name': 'i', 'inbound_nodes': [],
             'config': {'batch_input_shape': [None, 3], 'dtype': 'float32', 'sparse': False,
                        'ragged': False, 'name': 'i'}},
            {'class_name': 'Dense', 'name': 'd', 'inbound_nodes': [[['i', 0, 0, {}]]],
             'module': 'keras.layers', 'registered_name': None,
             'config': {'name': 'd', 'units': 2,
                        'dtype': {'class_name': 'Policy', 'config': {'name': 'float32'}},
                        'kernel_initializer': {'module': 'keras.initializers',
                                               'class_name': 'HeNormal',
                                               'config': {'seed': 3}},
                        'kernel_regularizer': {'class_name': 'L2', 'config': {'l2': 0.5}}}}],
        'input_layers': ['i', 0, 0], 'output_layers': ['d', 0, 0]}}
    converted = config_conversion.convert_model_config(config)
    assert converted['class_name'] == 'Model'
    inner = converted['config']
    assert inner['input_layers'] == [['i', 0, 0]] and inner['output_layers'] == [['d', 0, 0]]
    assert 'ragged' not in inner['layers'][0]['config']
    dense = inner['layers'][1]['config']
    assert dense['dtype'] == 'float32'
    assert dense['kernel_initializer'] == {'class_name': 'VarianceScaling', 'config': {
        'scale': 2., 'mode': 'fan_in', 'distribution': 'normal', 'seed': 3}}
    assert dense['kernel_regularizer'] == {'class_name': 'L1L2',
                                           'config': {'l2': 0.5, 'l1': 0.}}
    assert config['class_name'] == 'Functional'  # the argument is left alone
    model = cornu.models.model_from_config(converted)
    assert model.layers[1].kernel_regularizer.l2 == pytest.approx(0.5)

    optimizer = config_conversion.convert_optimizer_config(
        {'class_name': 'Custom>Adam', 'config': {'name': 'Adam', 'learning_rate': 0.1,
                                                 'weight_decay': None, 'use_ema': False,
                                                 'jit_compile': True, 'beta_1': 0.8,
                                                 'is_legacy_optimizer': False,
                                                 'clipnorm': None}})
    assert optimizer == {'class_name': 'Adam', 'config': {'lr': 0.1, 'beta_1': 0.8}}
    with pytest.warns(UserWarning, match='centered'):
        config_conversion.convert_optimizer_config(
            {'class_name': 'RMSprop', 'config': {'learning_rate': 0.1, 'centered': True}})

    assert config_conversion.convert_loss(
        {'a': {'class_name': 'MeanSquaredError', 'config': {}}, 'b': 'mae'}) == \
        {'a': 'mean_squared_error', 'b': 'mae'}
    with pytest.raises(ValueError, match='from_logits'):
        config_conversion.convert_loss({'class_name': 'CategoricalCrossentropy',
                                        'config': {'from_logits': True}})
    wrapped = {'class_name': 'MeanMetricWrapper',
               'config': {'name': 'out_accuracy', 'fn': 'categorical_accuracy'}}
    assert config_conversion.convert_metrics([[wrapped], [None]], ['out', 'other']) == \
        {'out': ['accuracy']}
    assert config_conversion.convert_metrics([[wrapped]], ['only']) == \
        ['categorical_accuracy']
    assert config_conversion.convert_metrics(['acc', 'mae'], ['x']) == ['acc', 'mae']

    names = ['iteration:0', 'Adam/m/a:0', 'Adam/v/a:0', 'Adam/m/b:0', 'Adam/v/b:0']
    assert config_conversion.order_optimizer_weights(names, [0, 1, 2, 3, 4]) == [0, 1, 3, 2, 4]
    assert config_conversion.order_optimizer_weights(['Adam/iterations:0', 'x'], [0, 1]) == \
        [0, 1]


# ---------------------------------------------------------------------------- weight conversion

def _sigmoid(x):
    return 1. / (1. + np.exp(-x))


def _cudnn_matrix(block, rows, columns):
    # How cuDNN reads one gate's (input, units) block from Keras' CuDNN layers: the same
    # values, in C order, as a (units, input) matrix W, applied as W @ x.
    return block.reshape(-1).reshape(rows, columns)


def test_cudnn_lstm_weights_compute_the_same_lstm(backend):
    rng = np.random.RandomState(0)
    units, input_dim = 3, 4
    kernel = rng.randn(input_dim, 4 * units)
    recurrent = rng.randn(units, 4 * units)
    bias = rng.randn(8 * units)
    x, h, c = rng.randn(input_dim), rng.randn(units), rng.randn(units)

    gates_cudnn = []
    for g in range(4):
        w = _cudnn_matrix(kernel[:, g * units:(g + 1) * units], units, input_dim)
        r = _cudnn_matrix(recurrent[:, g * units:(g + 1) * units], units, units)
        gates_cudnn.append(w.dot(x) + r.dot(h) + bias[g * units:(g + 1) * units] +
                           bias[(4 + g) * units:(5 + g) * units])

    k, rk, b = weight_conversion.lstm_weights_from_cudnn([kernel, recurrent, bias])
    assert k.shape == kernel.shape and rk.shape == recurrent.shape and b.shape == (4 * units,)
    z = x.dot(k) + h.dot(rk) + b
    gates_keras = [z[g * units:(g + 1) * units] for g in range(4)]  # i, f, c, o
    for a, b_ in zip(gates_cudnn, gates_keras):
        np.testing.assert_allclose(a, b_, rtol=1e-10)
    # i, f, c, o on both sides: the same cell state and output.
    new_c = _sigmoid(gates_keras[1]) * c + _sigmoid(gates_keras[0]) * np.tanh(gates_keras[2])
    assert new_c.shape == (units,)

    back = weight_conversion.lstm_weights_to_cudnn([k, rk, b])
    np.testing.assert_allclose(back[0], kernel)
    np.testing.assert_allclose(back[1], recurrent)
    np.testing.assert_allclose(np.sum(np.split(back[2], 2), axis=0), b)


def test_cudnn_gru_weights_compute_the_same_gru(backend):
    rng = np.random.RandomState(1)
    units, input_dim = 2, 3
    kernel = rng.randn(input_dim, 3 * units)
    recurrent = rng.randn(units, 3 * units)
    bias = rng.randn(6 * units)
    x, h = rng.randn(input_dim), rng.randn(units)

    def block(m, g):
        return m[:, g * units:(g + 1) * units]

    def cudnn_gru():
        wx = [_cudnn_matrix(block(kernel, g), units, input_dim).dot(x) +
              bias[g * units:(g + 1) * units] for g in range(3)]
        rh = [_cudnn_matrix(block(recurrent, g), units, units).dot(h) +
              bias[(3 + g) * units:(4 + g) * units] for g in range(3)]
        z = _sigmoid(wx[0] + rh[0])
        r = _sigmoid(wx[1] + rh[1])
        hh = np.tanh(wx[2] + r * rh[2])
        return z * h + (1 - z) * hh

    def keras_gru(k, rk, b):  # GRU(reset_after=True), gates z, r, h
        wx = [x.dot(block(k, g)) + b[0, g * units:(g + 1) * units] for g in range(3)]
        rh = [h.dot(block(rk, g)) + b[1, g * units:(g + 1) * units] for g in range(3)]
        z = _sigmoid(wx[0] + rh[0])
        r = _sigmoid(wx[1] + rh[1])
        hh = np.tanh(wx[2] + r * rh[2])
        return z * h + (1 - z) * hh

    converted = weight_conversion.gru_weights_from_cudnn([kernel, recurrent, bias])
    assert converted[2].shape == (2, 3 * units)
    np.testing.assert_allclose(keras_gru(*converted), cudnn_gru(), rtol=1e-10)
    back = weight_conversion.gru_weights_to_cudnn(converted)
    for a, b in zip(back, [kernel, recurrent, bias]):
        np.testing.assert_allclose(a, b)


class _Stub(object):
    """Stands for a layer in `preprocess_weights_for_loading` (class name and attributes)."""

    def __init__(self, class_name, **attrs):
        self.__class__ = type(class_name, (_Stub,), {})
        self.name = attrs.pop('name', class_name.lower())
        self.__dict__.update(attrs)


def test_convert_rnn_weights_picks_the_direction_from_the_bias():
    units, rng = 2, np.random.RandomState(2)
    lstm = [rng.randn(3, 8), rng.randn(2, 8), rng.randn(8)]
    cudnn_lstm = weight_conversion.lstm_weights_to_cudnn(lstm)
    out = weight_conversion.convert_rnn_weights(_Stub('LSTM'), cudnn_lstm)
    for a, b in zip(out, lstm):
        np.testing.assert_allclose(a, b)
    assert weight_conversion.convert_rnn_weights(_Stub('LSTM'), lstm) is lstm
    assert weight_conversion.convert_rnn_weights(_Stub('CuDNNLSTM'), lstm)[2].shape == (16,)

    gru = [rng.randn(3, 6), rng.randn(units, 6), rng.randn(2, 6)]
    cudnn = weight_conversion.convert_rnn_weights(_Stub('CuDNNGRU'), gru)
    assert cudnn[2].shape == (12,)
    back = weight_conversion.convert_rnn_weights(_Stub('GRU', reset_after=True), cudnn)
    for a, b in zip(back, gru):
        np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match='not compatible'):
        weight_conversion.convert_rnn_weights(_Stub('GRU', reset_after=False), cudnn)
    with pytest.raises(ValueError, match='invalid LSTM bias shape'):
        weight_conversion.convert_rnn_weights(_Stub('LSTM'), [lstm[0], lstm[1], np.ones(5)])


def test_preprocess_keras1_and_theano_weights(backend):
    rng = np.random.RandomState(3)
    # Keras 1 LSTM: (W, U, b) per gate i, c, f, o -> kernels concatenated as i, f, c, o.
    gates = {g: [rng.randn(3, 2), rng.randn(2, 2), rng.randn(2)] for g in 'icfo'}
    flat = gates['i'] + gates['c'] + gates['f'] + gates['o']
    kernel, recurrent, bias = saving.preprocess_weights_for_loading(
        _Stub('LSTM'), flat, original_keras_version='1')
    np.testing.assert_array_equal(kernel, np.concatenate([gates[g][0] for g in 'ifco'], -1))
    np.testing.assert_array_equal(bias, np.concatenate([gates[g][2] for g in 'ifco'], -1))
    # Keras 1 GRU: 9 weights, gates z, r, h.
    gru = [rng.randn(3, 2), rng.randn(2, 2), rng.randn(2)] * 3
    out = saving.preprocess_weights_for_loading(_Stub('GRU', reset_after=False), gru,
                                                original_keras_version='1')
    assert [w.shape for w in out] == [(3, 6), (2, 6), (6,)]

    # Theano kernels are flipped along their spatial axes.
    layer = Conv2D(2, (3, 3), input_shape=(5, 5, 1))
    Sequential([layer])
    saved = rng.randn(3, 3, 1, 2)
    out = saving.preprocess_weights_for_loading(layer, [saved, np.zeros(2)], '2.2.4', 'theano')
    np.testing.assert_array_equal(out[0], saved[::-1, ::-1])
    out = saving.preprocess_weights_for_loading(layer, [saved, np.zeros(2)], '2.2.4',
                                                'tensorflow')
    np.testing.assert_array_equal(out[0], saved)
    # reshape=True fits a kernel with the right number of values.
    out = saving.preprocess_weights_for_loading(layer, [saved.reshape(9, 2), np.zeros(2)],
                                                '2.2.4', 'tensorflow', reshape=True)
    assert out[0].shape == (3, 3, 1, 2)
    with pytest.raises(ValueError, match='equal size'):
        saving.preprocess_weights_for_loading(layer, [np.zeros((4, 2)), np.zeros(2)],
                                              '2.2.4', 'tensorflow', reshape=True)


def test_preprocess_recurses_into_wrappers_and_models(backend):
    if not all(hasattr(layers_module, n) for n in ('Bidirectional', 'LSTM', 'CuDNNLSTM')):
        pytest.skip('recurrent layers or wrappers not in cornu.layers yet')
    rng = np.random.RandomState(4)
    bidirectional = layers_module.Bidirectional(layers_module.LSTM(2), input_shape=(4, 3))
    model = Sequential([bidirectional])
    keras_weights = [rng.randn(*w.shape).astype('float32') for w in model.get_weights()]
    cudnn = (weight_conversion.lstm_weights_to_cudnn(keras_weights[:3]) +
             weight_conversion.lstm_weights_to_cudnn(keras_weights[3:]))
    out = saving.preprocess_weights_for_loading(bidirectional, cudnn, '2.2.4', 'tensorflow')
    for a, b in zip(out, keras_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # A model holding the wrapper: its weights are converted layer by layer.
    outer = Sequential([model])
    out = saving.preprocess_weights_for_loading(model, cudnn, '2.2.4', 'tensorflow')
    for a, b in zip(out, keras_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert outer.layers == [model]


def test_cudnn_file_loads_into_plain_lstm(backend, tmp_path):
    if not all(hasattr(layers_module, n) for n in ('LSTM', 'CuDNNLSTM')):
        pytest.skip('recurrent layers not in cornu.layers yet')
    cudnn_model = Sequential([layers_module.CuDNNLSTM(3, input_shape=(5, 2))])
    path = str(tmp_path / 'cudnn.h5')
    cudnn_model.save_weights(path)
    plain = Sequential([layers_module.LSTM(3, recurrent_activation='sigmoid',
                                           input_shape=(5, 2))])
    plain.load_weights(path)
    x = np.random.rand(4, 5, 2).astype('float32')
    np.testing.assert_allclose(plain.predict(x), cudnn_model.predict(x), atol=1e-5)


# ---------------------------------------------------------------------------- callbacks

def test_model_checkpoint_writes_loadable_files(backend, tmp_path):
    from cornu.callbacks import ModelCheckpoint
    x, y = _data()
    model = _mlp()
    pattern = str(tmp_path / 'ckpt.{epoch:02d}.h5')
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[ModelCheckpoint(pattern), ModelCheckpoint(
                  str(tmp_path / 'w.h5'), save_weights_only=True)])
    assert sorted(os.listdir(str(tmp_path))) == ['ckpt.01.h5', 'ckpt.02.h5', 'w.h5']
    np.testing.assert_array_equal(load_model(str(tmp_path / 'ckpt.02.h5')).predict(x),
                                  model.predict(x))
    shutil.rmtree(str(tmp_path))
