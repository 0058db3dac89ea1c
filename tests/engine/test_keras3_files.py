"""Files written by Keras 3.15 (`tests/fixtures/make_weights_tree_fixtures.py`): `.keras`
archives, Keras 3's HDF5 files and its JSON load into cornu models that predict the same and
resume training where Keras 3 stopped; damaged, tampered and foreign archives are refused
with the file named."""
import json
import os
import shutil
import sys
import zipfile

import numpy as np
import pytest

import cornu
from cornu.models import load_model, model_from_json

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'fixtures')
SAVED = os.path.join(FIXTURES, 'weights_tree')


# The architectures the fixture script built with tf.keras and Keras 3 (a plain module of the
# fixtures folder, shared with that script).
sys.path.insert(0, FIXTURES)
import tree_architectures as ARCH  # noqa: E402
NAMES = sorted(ARCH.ARCHITECTURES)
# Dropout makes a further training step random: these resume exactly.
RESUMABLE = [name for name in NAMES if name != 'mlp_batchnorm']


def _base(name):
    return os.path.join(SAVED, 'keras3_' + name)


def _saved(name):
    return np.load(_base(name) + '.npz')


def _inputs(saved, model):
    return [saved['x%d' % k] for k in range(len(model.inputs))]


@pytest.mark.parametrize('suffix', ['.keras', '.h5'])
@pytest.mark.parametrize('name', NAMES)
def test_keras3_model_files_load_compiled_and_predict_the_same(name, suffix):
    model = load_model(_base(name) + suffix)
    saved = _saved(name)
    np.testing.assert_allclose(model.predict(_inputs(saved, model)), saved['y'], atol=1e-5)
    assert type(model.optimizer).__name__ == 'Adam'
    assert cornu.backend.get_value(model.optimizer.iterations) == 2


@pytest.mark.parametrize('suffix', ['.keras', '.h5'])
@pytest.mark.parametrize('name', RESUMABLE)
def test_training_resumes_where_keras3_stopped(name, suffix):
    model = load_model(_base(name) + suffix)
    saved = _saved(name)
    x = _inputs(saved, model)
    model.train_on_batch(x, saved['target'])
    np.testing.assert_allclose(model.predict(x), saved['y_resumed'], atol=1e-5)


@pytest.mark.parametrize('name', NAMES)
def test_keras3_json_and_weights(name):
    with open(_base(name) + '.json') as handle:
        model = model_from_json(handle.read())
    model.load_weights(_base(name) + '.weights.h5')
    saved = _saved(name)
    np.testing.assert_allclose(model.predict(_inputs(saved, model)), saved['y'], atol=1e-5)


def test_load_weights_from_an_archive():
    model = ARCH.recurrent(cornu)
    model.load_weights(_base('recurrent') + '.keras')
    saved = _saved('recurrent')
    np.testing.assert_allclose(model.predict(_inputs(saved, model)), saved['y'], atol=1e-5)
    with pytest.raises(ValueError, match='does not store layer names'):
        model.load_weights(_base('recurrent') + '.keras', by_name=True)


def test_compile_false_gives_an_uncompiled_model():
    model = load_model(_base('recurrent') + '.keras', compile=False)
    assert getattr(model, 'optimizer', None) is None


# ------------------------------------------------------------------------- bad archives

def _rewritten(tmp_path, edit=None, extra=None, drop=None):
    """A copy of a fixture archive with `config.json` edited by `edit`, members added
    (`extra`: name -> bytes) or left out (`drop`)."""
    target = str(tmp_path / 'edited.keras')
    with zipfile.ZipFile(_base('recurrent') + '.keras') as source, \
            zipfile.ZipFile(target, 'w') as out:
        for name in source.namelist():
            if name == drop:
                continue
            data = source.read(name)
            if name == 'config.json' and edit is not None:
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            out.writestr(name, data)
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return target


@pytest.mark.parametrize('member', ['../escape.txt', '/etc/escape.txt', 'a/../../b.txt'])
def test_members_that_leave_the_folder_are_refused(tmp_path, member):
    path = _rewritten(tmp_path, extra={member: b'x'})
    with pytest.raises(ValueError, match='absolute path or goes up'):
        load_model(path)
    assert not (tmp_path.parent / 'escape.txt').exists()


def test_truncated_archive_names_the_file(tmp_path):
    path = str(tmp_path / 'cut.keras')
    with open(_base('recurrent') + '.keras', 'rb') as handle:
        data = handle.read()
    with open(path, 'wb') as handle:
        handle.write(data[:len(data) // 2])
    with pytest.raises(OSError, match='cut.keras'):
        load_model(path)


def test_archive_without_a_configuration(tmp_path):
    path = _rewritten(tmp_path, drop='config.json')
    with pytest.raises(ValueError, match='no config.json'):
        load_model(path)


def test_keras3_only_layer_is_named(tmp_path):
    def edit(config):
        layer = config['config']['layers'][1]
        layer['class_name'] = 'MultiHeadAttention'
    with pytest.raises(ValueError, match='"simple_rnn" is Keras 3.s MultiHeadAttention, which '
                                         'has no Keras 2 counterpart'):
        load_model(_rewritten(tmp_path, edit))


def test_keras3_hard_sigmoid_is_refused_with_the_reason(tmp_path):
    def edit(config):
        config['config']['layers'][2]['config']['recurrent_activation'] = 'hard_sigmoid'
    with pytest.raises(ValueError, match=r'"gru" \(GRU\).*Keras 3 redefined it'):
        load_model(_rewritten(tmp_path, edit))


def test_weights_that_do_not_fit_are_refused(tmp_path):
    def edit(config):
        config['config']['layers'][1]['config']['units'] = 5
    with pytest.raises(ValueError, match='simple_rnn.*edited.keras'):
        load_model(_rewritten(tmp_path, edit))


def test_archive_lambda_is_refused_in_safe_mode(tmp_path):
    def edit(config):
        layers = config['config']['layers']
        layers[1] = {'module': 'keras.layers', 'class_name': 'Lambda', 'registered_name': None,
                     'name': layers[1]['name'], 'inbound_nodes': layers[1]['inbound_nodes'],
                     'config': {'name': layers[1]['name'], 'trainable': True,
                                'function': {'class_name': '__lambda__',
                                             'config': {'code': '4wAAAA==', 'defaults': None,
                                                        'closure': None}},
                                'arguments': {}}}
    with pytest.raises(ValueError, match='holds Python bytecode'):
        load_model(_rewritten(tmp_path, edit))


def test_keras2_model_saved_by_cornu_still_loads(tmp_path):
    model = ARCH.recurrent(cornu)
    model.compile('adam', 'mse')
    path = str(tmp_path / 'm.h5')
    model.save(path)
    x = ARCH.inputs_for(model)
    np.testing.assert_allclose(load_model(path).predict(x), model.predict(x), atol=1e-6)


def test_a_zip_that_is_not_named_keras_is_read_as_an_archive(tmp_path):
    path = str(tmp_path / 'model.bin')
    shutil.copy(_base('conv_lstm') + '.keras', path)
    saved = _saved('conv_lstm')
    model = load_model(path)
    np.testing.assert_allclose(model.predict(_inputs(saved, model)), saved['y'], atol=1e-5)


# ------------------------------------------------------------------ writing .keras archives

@pytest.mark.parametrize('name', NAMES)
def test_keras_archive_round_trip(name, tmp_path):
    """cornu writes Keras 3's schema and reads it back: same predictions, compiled the same
    way. (That Keras 3 itself loads these files is checked by the fixture script's
    `--check`, see test_weights_tree.py::test_files_cornu_writes_load_in_keras3.)"""
    model = ARCH.ARCHITECTURES[name](cornu)
    model.compile(cornu.optimizers.Adam(lr=0.002), 'mse', metrics=['mae'])
    path = str(tmp_path / 'model.keras')
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ['config.json', 'metadata.json',
                                              'model.weights.h5']
        config = json.loads(archive.read('config.json'))
    assert config['compile_config']['optimizer']['class_name'] == 'Adam'
    assert config['compile_config']['loss'] == 'mse'
    loaded = load_model(path)
    x = ARCH.inputs_for(model)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), atol=1e-6)
    assert np.isclose(cornu.backend.get_value(loaded.optimizer.lr), 0.002)


def test_keras2_hard_sigmoid_lstm_cannot_be_written_as_keras3(tmp_path):
    model = cornu.Sequential([cornu.layers.LSTM(3, input_shape=(4, 2))])  # Keras 2 defaults
    path = tmp_path / 'model.keras'
    with pytest.raises(ValueError, match=r'"lstm_\d+" \(LSTM\).*hard_sigmoid.*as `.h5`'):
        model.save(str(path))
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


def test_layer_without_keras3_counterpart_is_refused(tmp_path):
    model = cornu.Sequential([cornu.layers.LocallyConnected1D(2, 3, input_shape=(6, 2))])
    with pytest.raises(ValueError, match='LocallyConnected1D.*no Keras 3 counterpart'):
        model.save(str(tmp_path / 'model.keras'))


def test_optimizer_decay_is_written_as_keras3_schedule(tmp_path):
    model = ARCH.mlp_batchnorm(cornu)
    model.compile(cornu.optimizers.SGD(lr=0.1, decay=0.01, momentum=0.9), 'mse')
    path = str(tmp_path / 'model.keras')
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        optimizer = json.loads(archive.read('config.json'))['compile_config']['optimizer']
    schedule = optimizer['config']['learning_rate']
    assert schedule['class_name'] == 'InverseTimeDecay'
    assert schedule['config'] == {'initial_learning_rate': pytest.approx(0.1),
                                  'decay_steps': 1, 'decay_rate': pytest.approx(0.01),
                                  'staircase': False}
    assert optimizer['config']['momentum'] == pytest.approx(0.9)


def test_saving_over_an_existing_archive_is_atomic(tmp_path):
    path = tmp_path / 'model.keras'
    good = ARCH.recurrent(cornu)
    good.save(str(path))
    before = path.read_bytes()
    bad = cornu.Sequential([cornu.layers.LSTM(3, input_shape=(4, 2))])
    with pytest.raises(ValueError):
        bad.save(str(path))
    assert path.read_bytes() == before


def test_keras2_decay_survives_a_keras_archive(tmp_path):
    model = ARCH.mlp_batchnorm(cornu)
    model.compile(cornu.optimizers.SGD(lr=0.1, decay=0.01, momentum=0.9), 'mse')
    path = str(tmp_path / 'model.keras')
    model.save(path)
    optimizer = load_model(path).optimizer
    assert type(optimizer).__name__ == 'SGD'
    assert np.isclose(cornu.backend.get_value(optimizer.decay), 0.01)
    assert np.isclose(cornu.backend.get_value(optimizer.lr), 0.1)
    assert np.isclose(cornu.backend.get_value(optimizer.momentum), 0.9)
