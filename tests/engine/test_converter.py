"""`python -m cornu convert IN OUT`: Keras 2 files written by real tf.keras (`tests/fixtures/
keras2/`) and Keras 3 archives into every output format, each read back (ONNX through ONNX
Runtime) with the predictions stored beside the fixture."""
import os
import subprocess
import sys

import numpy as np
import pytest

import cornu
from cornu import backend as K
from cornu.engine.converter import convert
from cornu.models import load_model, model_from_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERAS2 = os.path.join(ROOT, 'tests', 'fixtures', 'keras2')
KERAS3 = os.path.join(ROOT, 'tests', 'fixtures', 'weights_tree')


def _arrays(npz_path):
    saved = np.load(npz_path)
    xs = [saved[k] for k in sorted(saved.files) if k.startswith('x')]
    ys = [saved[k] for k in sorted(saved.files) if k.startswith('y') and k[1:].isdigit()]
    return xs, ys or [saved['y']]


def _predict(model, xs):
    got = model.predict(xs if len(xs) > 1 else xs[0])
    return got if isinstance(got, list) else [got]


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, '-m', 'cornu', 'convert'] + list(args),
                          capture_output=True, text=True, env=env, cwd=ROOT)


@pytest.mark.parametrize('name', ['cnn', 'embedding_lstm', 'functional_multi_io',
                                  'nested_models'])
@pytest.mark.parametrize('suffix', ['.keras', '.h5'])
def test_keras2_files_convert_to_model_files(name, suffix, tmp_path):
    target = str(tmp_path / ('converted' + suffix))
    message = convert(os.path.join(KERAS2, name + '.h5'), target)
    assert message.startswith('wrote') and target in message
    xs, ys = _arrays(os.path.join(KERAS2, name + '.npz'))
    model = load_model(target)
    assert model.optimizer is not None  # the training configuration travels too
    for got, expected in zip(_predict(model, xs), ys):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_weights_files_and_json_round_trip(tmp_path):
    source = os.path.join(KERAS2, 'functional_multi_io.h5')
    architecture = str(tmp_path / 'model.json')
    convert(source, architecture)
    convert(source, str(tmp_path / 'w.weights.h5'))
    convert(source, str(tmp_path / 'w2.h5'), weights_only=True)
    xs, ys = _arrays(os.path.join(KERAS2, 'functional_multi_io.npz'))
    for weights in ('w.weights.h5', 'w2.h5'):
        # A weights file alone has no architecture: the JSON gives it.
        target = str(tmp_path / ('model_from_' + weights.replace('.', '_') + '.h5'))
        convert(str(tmp_path / weights), target, architecture=architecture)
        for got, expected in zip(_predict(load_model(target), xs), ys):
            np.testing.assert_allclose(got, expected, atol=1e-5)
    with open(architecture) as handle:
        assert model_from_json(handle.read()).name == load_model(source).name


def test_keras3_archive_converts_back_to_keras2_h5(tmp_path):
    target = str(tmp_path / 'model.h5')
    convert(os.path.join(KERAS3, 'keras3_wrappers.keras'), target)
    saved = np.load(os.path.join(KERAS3, 'keras3_wrappers.npz'))
    np.testing.assert_allclose(load_model(target).predict(saved['x0']), saved['y'], atol=1e-5)


def test_command_line(tmp_path):
    target = str(tmp_path / 'model.keras')
    result = _cli(os.path.join(KERAS2, 'mlp.h5'), target)
    assert result.returncode == 0, result.stderr
    assert 'wrote Keras 3 archive ' + target in result.stdout
    xs, ys = _arrays(os.path.join(KERAS2, 'mlp.npz'))
    np.testing.assert_allclose(_predict(load_model(target), xs)[0], ys[0], atol=1e-5)


def test_command_line_errors_name_the_problem(tmp_path):
    result = _cli(os.path.join(KERAS2, 'mlp.h5'), str(tmp_path / 'model.txt'))
    assert result.returncode == 1
    assert 'Cannot tell what to write' in result.stderr and '.onnx' in result.stderr
    weights = str(tmp_path / 'w.h5')
    convert(os.path.join(KERAS2, 'mlp.h5'), weights, weights_only=True)
    result = _cli(weights, str(tmp_path / 'model.keras'))
    assert result.returncode == 1
    assert 'No model found' in result.stderr and 'load_weights' in result.stderr
    result = _cli(str(tmp_path / 'missing.h5'), str(tmp_path / 'model.keras'))
    assert result.returncode == 1 and 'missing.h5' in result.stderr


# ------------------------------------------------------------------------------------- ONNX

onnx_only = pytest.mark.skipif(K.backend() != 'torch',
                               reason='ONNX export goes through the PyTorch engine')


@onnx_only
@pytest.mark.parametrize('name', ['cnn', 'embedding_lstm', 'embedding_gru', 'bidirectional',
                                  'functional_multi_io', 'batchnorm'])
def test_keras2_files_convert_to_onnx_and_run_in_onnx_runtime(name, tmp_path):
    import onnxruntime
    target = str(tmp_path / 'model.onnx')
    message = convert(os.path.join(KERAS2, name + '.h5'), target)
    assert 'ONNX Runtime agrees with cornu' in message
    xs, ys = _arrays(os.path.join(KERAS2, name + '.npz'))
    session = onnxruntime.InferenceSession(target, providers=['CPUExecutionProvider'])
    # (The graph takes the model's input dtypes: float32 token ids for an Embedding whose
    # input layer kept Keras' default dtype.)
    types = {'tensor(float)': np.float32, 'tensor(int32)': np.int32,
             'tensor(int64)': np.int64}
    feeds = {spec.name: xs[k].astype(types[spec.type])
             for k, spec in enumerate(session.get_inputs())}
    got = session.run(None, feeds)
    for g, expected in zip(got, ys):
        np.testing.assert_allclose(g, expected, atol=1e-5)


@onnx_only
@pytest.mark.parametrize('layer', ['LSTM', 'GRU'])
def test_onnx_of_keras2_default_recurrent_layers(layer, tmp_path):
    """Keras 2's defaults (hard sigmoid gates, GRU without reset_after), masked steps and
    go_backwards: the export traces a plain form of the fused recurrences."""
    from cornu.engine.onnx_export import export_onnx
    layers = cornu.layers
    model = cornu.Sequential([layers.Embedding(10, 4, input_length=6, mask_zero=True),
                              getattr(layers, layer)(3, go_backwards=True),
                              layers.Dense(2)])
    difference = export_onnx(model, str(tmp_path / 'model.onnx'))
    assert difference < 1e-5


@onnx_only
def test_onnx_check_failure_leaves_no_file(tmp_path, monkeypatch):
    from cornu.engine import onnx_export
    model = load_model(os.path.join(KERAS2, 'mlp.h5'))
    target = tmp_path / 'model.onnx'
    original = model.predict
    monkeypatch.setattr(model, 'predict', lambda x: original(x) + 1.)
    with pytest.raises(ValueError, match='differs from the model'):
        onnx_export.export_onnx(model, str(target))
    assert not target.exists()


@pytest.mark.skipif(K.backend() == 'torch', reason='checks the message on other engines')
def test_onnx_needs_the_torch_engine(tmp_path):
    with pytest.raises(RuntimeError, match='PyTorch engine'):
        convert(os.path.join(KERAS2, 'mlp.h5'), str(tmp_path / 'model.onnx'))


def test_onnx_check_feeds_token_ids_to_embeddings():
    """The check must exercise the model: an Embedding's inputs are ids within its
    vocabulary (padding zeros included), also when the input layer holds floats."""
    from cornu.engine.onnx_export import _example_inputs
    model = load_model(os.path.join(KERAS2, 'embedding_lstm.h5'))
    (ids,) = _example_inputs(model, 50, 0)
    assert ids.dtype == np.float32
    assert np.array_equal(ids, np.round(ids)) and ids.min() == 0 and ids.max() >= 5
