"""The tf.keras / Keras 3 `.weights.h5` layout: files written by real tf.keras 2.21 and Keras
3.15 (`tests/fixtures/make_weights_tree_fixtures.py`) load into the same architectures built
with cornu and predict the same; cornu writes the layout for `*.weights.h5`; a file that does
not fit is refused with the layer and the file named, the model unchanged."""
import glob
import os
import subprocess
import sys
import warnings

import h5py
import numpy as np
import pytest

import cornu
from cornu.engine import weights_tree

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'fixtures')


# The architectures the fixture script built with tf.keras and Keras 3 (a plain module of the
# fixtures folder, shared with that script).
sys.path.insert(0, FIXTURES)
import tree_architectures as ARCH  # noqa: E402
SAVED = sorted(glob.glob(os.path.join(FIXTURES, 'weights_tree', '*.weights.h5')))


def _fixture_id(path):
    return os.path.basename(path)[:-len('.weights.h5')]


def _architecture_of(path):
    name = _fixture_id(path)
    for generation in ('tf_keras_', 'keras3_'):
        if name.startswith(generation):
            return name[len(generation):]
    raise AssertionError(name)


def _inputs(npz, model):
    return [npz['x%d' % k] for k in range(len(model.inputs))]


def test_fixture_set_covers_both_generations_and_every_architecture():
    names = {_fixture_id(path) for path in SAVED}
    for generation in ('tf_keras', 'keras3'):
        for architecture in ARCH.ARCHITECTURES:
            assert generation + '_' + architecture in names


@pytest.mark.parametrize('path', SAVED, ids=_fixture_id)
def test_files_of_tf_keras_and_keras3_load_and_predict_the_same(path):
    model = ARCH.ARCHITECTURES[_architecture_of(path)](cornu)
    saved = np.load(path[:-len('.weights.h5')] + '.npz')
    before = model.predict(_inputs(saved, model))
    assert not np.allclose(before, saved['y'], atol=1e-5)  # the load must make the difference
    model.load_weights(path)
    np.testing.assert_allclose(model.predict(_inputs(saved, model)), saved['y'], atol=1e-5)


RESUMABLE = [path for path in SAVED if _architecture_of(path) != 'mlp_batchnorm']  # (Dropout)


@pytest.mark.parametrize('path', RESUMABLE, ids=_fixture_id)
def test_training_resumes_from_the_optimizer_state_in_the_file(path):
    """Loading into a compiled model also restores Adam's moments and step count (and
    Keras 3's saved learning rate): one more step on the same batch reaches the predictions
    tf.keras / Keras 3 reached."""
    model = ARCH.ARCHITECTURES[_architecture_of(path)](cornu)
    model.compile(cornu.optimizers.Adam(lr=0.01), 'mse')
    saved = np.load(path[:-len('.weights.h5')] + '.npz')
    x = _inputs(saved, model)
    model.load_weights(path)
    assert cornu.backend.get_value(model.optimizer.iterations) == 2
    if os.path.basename(path).startswith('keras3'):
        assert np.isclose(cornu.backend.get_value(model.optimizer.lr), 0.001)
    else:
        cornu.backend.set_value(model.optimizer.lr, 0.001)  # tf.keras does not save it
    model.train_on_batch(x, saved['target'])
    np.testing.assert_allclose(model.predict(x), saved['y_resumed'], atol=1e-5)


def test_snake_case_names_groups_as_tf_keras_does():
    assert weights_tree.snake_case('BatchNormalization') == 'batch_normalization'
    assert weights_tree.snake_case('Conv2D') == 'conv2d'
    assert weights_tree.snake_case('Conv2DTranspose') == 'conv2d_transpose'
    assert weights_tree.snake_case('SimpleRNN') == 'simple_rnn'
    assert weights_tree.snake_case('LSTM') == 'lstm'
    assert weights_tree.snake_case('ConvLSTM2D') == 'conv_lstm2d'
    assert weights_tree.snake_case('ZeroPadding2D') == 'zero_padding2d'


def _paths(filename):
    found = []
    with h5py.File(filename, 'r') as f:
        f.visititems(lambda name, obj: found.append(
            (name, tuple(obj.shape) if isinstance(obj, h5py.Dataset) else None)))
    return found


@pytest.mark.parametrize('architecture', sorted(ARCH.ARCHITECTURES))
def test_written_layout_is_the_tree_that_keras3_writes(architecture, tmp_path):
    """Every group and dataset Keras 3 writes for the model's layers, with the same shapes
    (its `optimizer` and `metrics` state aside, which `save_weights` does not hold here)."""
    model = ARCH.ARCHITECTURES[architecture](cornu)
    filename = str(tmp_path / 'model.weights.h5')
    model.save_weights(filename)
    reference = os.path.join(FIXTURES, 'weights_tree', 'keras3_' + architecture + '.weights.h5')
    expected = [entry for entry in _paths(reference)
                if not entry[0].startswith(('optimizer', 'metrics'))]
    assert _paths(filename) == expected
    with h5py.File(filename, 'r') as f:
        assert 'layer_names' not in f.attrs


@pytest.mark.parametrize('architecture', sorted(ARCH.ARCHITECTURES))
def test_round_trip_through_the_tree_layout(architecture, tmp_path):
    source = ARCH.ARCHITECTURES[architecture](cornu)
    target = ARCH.ARCHITECTURES[architecture](cornu)
    filename = str(tmp_path / 'm.weights.h5')
    source.save_weights(filename)
    target.load_weights(filename)
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_other_suffixes_keep_keras2_layout(tmp_path):
    model = ARCH.mlp_batchnorm(cornu)
    filename = str(tmp_path / 'weights.h5')
    model.save_weights(filename)
    with h5py.File(filename, 'r') as f:
        assert 'layer_names' in f.attrs and 'layers' not in f


def test_file_of_another_architecture_is_refused_and_model_unchanged():
    model = ARCH.recurrent(cornu)
    before = model.get_weights()
    path = os.path.join(FIXTURES, 'weights_tree', 'keras3_wrappers.weights.h5')
    with pytest.raises(ValueError) as error:
        model.load_weights(path)
    message = str(error.value)
    assert 'keras3_wrappers.weights.h5' in message
    assert 'Layer "' in message
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _mlp_batchnorm(first, last):
    """`mlp_batchnorm` of the fixtures with other widths (5 and 3 there)."""
    layers = cornu.layers
    return cornu.Sequential([layers.Dense(first, activation='relu', input_shape=(4,)),
                             layers.BatchNormalization(), layers.Dropout(0.1),
                             layers.Dense(last, activation='softmax')])


def test_shape_mismatch_names_layer_group_and_both_shapes(tmp_path):
    model = ARCH.mlp_batchnorm(cornu)
    filename = str(tmp_path / 'm.weights.h5')
    model.save_weights(filename)
    wider = _mlp_batchnorm(first=6, last=3)
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r'shape \(4, 6\).*shape \(4, 5\) at `layers/dense/vars`'):
        wider.load_weights(filename)
    for a, b in zip(before, wider.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_skip_mismatch_warns_and_loads_the_layers_that_fit(tmp_path):
    source = ARCH.mlp_batchnorm(cornu)
    filename = str(tmp_path / 'm.weights.h5')
    source.save_weights(filename)
    target = _mlp_batchnorm(first=5, last=4)
    kept = target.layers[3].get_weights()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        target.load_weights(filename, skip_mismatch=True)
    assert any('Skipping loading of weights for layer ' + target.layers[3].name in
               str(w.message) for w in caught)
    for a, b in zip(kept, target.layers[3].get_weights()):
        np.testing.assert_array_equal(a, b)
    for k in (0, 1):
        for a, b in zip(source.layers[k].get_weights(), target.layers[k].get_weights()):
            np.testing.assert_array_equal(a, b)


def test_weights_no_layer_takes_are_refused():
    model = cornu.Sequential([cornu.layers.Dense(5, activation='relu', input_shape=(4,))])
    path = os.path.join(FIXTURES, 'weights_tree', 'keras3_mlp_batchnorm.weights.h5')
    with pytest.raises(ValueError, match='no layer of the model takes: `layers/batch_normaliz'):
        model.load_weights(path)


def test_by_name_is_refused_with_the_reason():
    model = ARCH.mlp_batchnorm(cornu)
    path = os.path.join(FIXTURES, 'weights_tree', 'tf_keras_mlp_batchnorm.weights.h5')
    with pytest.raises(ValueError, match='does not store layer names'):
        model.load_weights(path, by_name=True)


def write_cornu_files(folder):
    """Writes, for every architecture, `cornu_<name>.weights.h5`, the compiled model as
    `cornu_<name>.keras`, and its inputs and predictions (`cornu_<name>.npz`) into `folder`,
    for the fixture script's `--check`."""
    for name, build in ARCH.ARCHITECTURES.items():
        model = build(cornu)
        x = ARCH.inputs_for(model, seed=3)
        base = os.path.join(folder, 'cornu_' + name)
        model.save_weights(base + '.weights.h5')
        model.compile('adam', 'mse', metrics=['mae'])
        model.save(base + '.keras')
        np.savez(base + '.npz', y=model.predict(x), **{'x%d' % k: a for k, a in enumerate(x)})


@pytest.mark.skipif(not os.environ.get('CORNU_KERAS3_PYTHON'),
                    reason='needs CORNU_KERAS3_PYTHON: an interpreter with Keras 3 installed '
                           '(never a dependency of cornu)')
def test_files_cornu_writes_load_in_keras3(tmp_path):
    write_cornu_files(str(tmp_path))
    script = os.path.join(FIXTURES, 'make_weights_tree_fixtures.py')
    result = subprocess.run([os.environ['CORNU_KERAS3_PYTHON'], script, 'keras3', '--check',
                             str(tmp_path)], capture_output=True, text=True,
                            env=dict(os.environ, KERAS_BACKEND='jax'))
    assert result.returncode == 0, result.stdout + result.stderr


def test_optimizer_state_of_another_optimizer_is_left_out_with_a_warning():
    path = os.path.join(FIXTURES, 'weights_tree', 'tf_keras_recurrent.weights.h5')
    model = ARCH.recurrent(cornu)
    model.compile(cornu.optimizers.SGD(lr=0.1), 'mse')  # no slots: Adam's do not fit
    with pytest.warns(UserWarning, match='does not fit the model.s optimizer \\(SGD\\)'):
        model.load_weights(path)
    saved = np.load(path[:-len('.weights.h5')] + '.npz')
    np.testing.assert_allclose(model.predict(_inputs(saved, model)), saved['y'], atol=1e-5)
    assert cornu.backend.get_value(model.optimizer.iterations) == 0


def test_optimizer_slots_are_put_in_keras2_order(tmp_path):
    """Keras 3's Adam with amsgrad stores iterations, learning rate, then m and v of each
    variable in turn, then every vhat: Keras 2.2.4 wants [iterations] + ms + vs + vhats."""
    filename = str(tmp_path / 'state.weights.h5')
    n = 3
    m = [np.full((2,), 10. + k) for k in range(n)]
    v = [np.full((2,), 20. + k) for k in range(n)]
    vhat = [np.full((2,), 30. + k) for k in range(n)]
    stored = [np.array(7, np.int64), np.array(0.01, np.float32)]
    for k in range(n):
        stored += [m[k], v[k]]
    stored += vhat
    with h5py.File(filename, 'w') as f:
        group = f.require_group('optimizer/vars')
        for index, value in enumerate(stored):
            group.create_dataset(str(index), data=value)
    with h5py.File(filename, 'r') as f:
        values, learning_rate = weights_tree.saved_optimizer_state(f, n)
    assert learning_rate == pytest.approx(0.01)
    expected = [np.array(7)] + m + v + vhat
    assert len(values) == len(expected)
    for got, want in zip(values, expected):
        np.testing.assert_array_equal(got, want)
