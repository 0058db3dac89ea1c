"""cornu.utils.vis_utils (model_to_dot, plot_model) with real pydot and Graphviz."""
import shutil
import sys

import pytest

from cornu import layers, models
from cornu import utils
from cornu.utils import vis_utils

pydot = pytest.importorskip('pydot')
if shutil.which('dot') is None:
    pytest.skip('Graphviz (`dot`) is not installed', allow_module_level=True)

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _functional_model():
    """Two inputs, a merge, a nested Sequential model and a wrapped layer."""
    a = layers.Input(shape=(8,), name='a')
    b = layers.Input(shape=(4,), name='b')
    h = layers.Dense(6, name='hidden')(a)
    merged = layers.concatenate([h, b], name='merge')
    inner = models.Sequential([layers.Dense(3, input_shape=(10,), name='inner_dense')],
                              name='inner')
    x = inner(merged)
    x = layers.Reshape((3, 1), name='reshape')(x)
    out = layers.TimeDistributed(layers.Dense(2, name='step_dense'), name='steps')(x)
    return models.Model([a, b], [out, h]), inner


def _labels(dot):
    return {node.get_name(): node.get_label().strip('"') for node in dot.get_nodes()
            if node.get_name() not in ('node', 'edge', 'graph')}


def _edges(dot):
    return sorted((edge.get_source(), edge.get_destination()) for edge in dot.get_edges())


def test_functional_multi_input_graph(backend):
    model, inner = _functional_model()
    dot = vis_utils.model_to_dot(model)
    ids = {layer.name: str(id(layer)) for layer in model.layers}
    assert _labels(dot) == {
        ids['a']: 'a: InputLayer', ids['b']: 'b: InputLayer', ids['hidden']: 'hidden: Dense',
        ids['merge']: 'merge: Concatenate',
        # A nested model is one node; a wrapper names the layer it wraps.
        ids['inner']: 'inner: Sequential',
        ids['reshape']: 'reshape: Reshape',
        ids['steps']: 'steps(step_dense): TimeDistributed(Dense)'}
    assert _edges(dot) == sorted([
        (ids['a'], ids['hidden']), (ids['hidden'], ids['merge']), (ids['b'], ids['merge']),
        (ids['merge'], ids['inner']), (ids['inner'], ids['reshape']),
        (ids['reshape'], ids['steps'])])
    assert dot.get('rankdir') == 'TB'
    assert dot.get('concentrate') in (True, 'true')
    assert vis_utils.model_to_dot(model, rankdir='LR').get('rankdir') == 'LR'
    # Without names, the labels are the class names.
    labels = _labels(vis_utils.model_to_dot(model, show_layer_names=False))
    assert labels[ids['steps']] == 'TimeDistributed(Dense)'
    assert labels[ids['a']] == 'InputLayer'


def test_only_the_models_own_connections_are_drawn(backend):
    model, inner = _functional_model()
    # The nested model's layers are not nodes of the outer graph, and calling a layer of the
    # model again outside of it adds no edge.
    model.get_layer('hidden')(layers.Input(shape=(8,)))
    dot = vis_utils.model_to_dot(model)
    assert str(id(inner.layers[0])) not in _labels(dot)
    assert len(_edges(dot)) == 6


def test_sequential_with_shapes(backend):
    model = models.Sequential([layers.Dense(4, input_shape=(3,), name='first'),
                               layers.Dropout(0.5, name='drop'),
                               layers.Dense(1, name='last')])
    dot = vis_utils.model_to_dot(model, show_shapes=True)
    input_layer = model._layers[0]
    ids = [str(id(layer)) for layer in [input_layer] + model.layers]
    table = '\n|{input:|output:}|{{%s}|{%s}}'
    assert _labels(dot) == {
        ids[0]: 'first_input: InputLayer' + table % ('(None, 3)', '(None, 3)'),
        ids[1]: 'first: Dense' + table % ('(None, 3)', '(None, 4)'),
        ids[2]: 'drop: Dropout' + table % ('(None, 4)', '(None, 4)'),
        ids[3]: 'last: Dense' + table % ('(None, 4)', '(None, 1)')}
    assert _edges(dot) == sorted(zip(ids[:-1], ids[1:]))
    # The dot source Graphviz renders.
    source = dot.to_string()
    assert 'node [shape=record]' in source
    assert '%s -> %s;' % (ids[0], ids[1]) in source
    assert '"last: Dense\\n|{input:|output:}|{{(None, 4)}|{(None, 1)}}"' in source


def test_shapes_of_a_multi_input_layer(backend):
    model, _ = _functional_model()
    labels = _labels(vis_utils.model_to_dot(model, show_shapes=True))
    assert labels[str(id(model.get_layer('merge')))] == (
        'merge: Concatenate\n|{input:|output:}|{{[(None, 6), (None, 4)]}|{(None, 10)}}')


def test_plot_model_png(backend, tmp_path):
    from PIL import Image
    model, _ = _functional_model()
    path = tmp_path / 'model.png'
    assert utils.plot_model(model, to_file=str(path), show_shapes=True) is None
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    with Image.open(str(path)) as image:
        image.verify()
    with Image.open(str(path)) as image:
        width, height = image.size
    assert image.format == 'PNG' and width > 100 and height > 100
    # Seven layers in a chain mostly, top to bottom: taller than a left-to-right drawing.
    utils.plot_model(model, to_file=str(tmp_path / 'wide.png'), show_shapes=True,
                     rankdir='LR')
    with Image.open(str(tmp_path / 'wide.png')) as wide:
        assert wide.size[1] < height


def test_plot_model_formats_follow_the_extension(backend, tmp_path, monkeypatch):
    model = models.Sequential([layers.Dense(2, input_shape=(3,), name='only')])
    utils.plot_model(model, to_file=str(tmp_path / 'model.svg'))
    assert b'<svg' in (tmp_path / 'model.svg').read_bytes()
    utils.plot_model(model, to_file=str(tmp_path / 'model.pdf'))
    assert (tmp_path / 'model.pdf').read_bytes()[:5] == b'%PDF-'
    utils.plot_model(model, to_file=str(tmp_path / 'model.dot'), rankdir='LR')
    source = (tmp_path / 'model.dot').read_text()
    assert source.startswith('digraph') and 'only: Dense' in source and 'rankdir=LR' in source
    # No extension: PNG. The seed notes' sample, as written.
    monkeypatch.chdir(tmp_path)
    utils.plot_model(model, to_file=str(tmp_path / 'model'))
    assert (tmp_path / 'model').read_bytes()[:8] == PNG_SIGNATURE
    from cornu.utils import plot_model
    plot_model(model, to_file='model.png')
    assert (tmp_path / 'model.png').read_bytes()[:8] == PNG_SIGNATURE


def test_error_without_pydot(backend, monkeypatch):
    monkeypatch.setattr(vis_utils, 'pydot', None)
    for name in ('pydot', 'pydot_ng', 'pydotplus'):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` fail
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ImportError, match='Failed to import pydot. You must install pydot and '
                                          'graphviz for `pydotprint` to work.'):
        vis_utils.model_to_dot(model)


def test_error_without_graphviz(backend, monkeypatch, tmp_path):
    monkeypatch.setenv('PATH', str(tmp_path))  # no `dot` program there
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ImportError, match='You must install pydot and graphviz'):
        utils.plot_model(model, to_file=str(tmp_path / 'model.png'))
    assert not (tmp_path / 'model.png').exists()
