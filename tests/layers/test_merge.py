"""Merge layers against NumPy: element-wise merges with Keras 2 broadcasting, Concatenate,
Dot (batch_dot semantics, normalization), the functional forms, mask merging, and errors
that name the layer."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
                          Dot, add, subtract, multiply, average, maximum, minimum,
                          concatenate, dot, Input, Embedding)
from cornu.models import Model


def _run(K, layer_or_fn, arrays, input_shapes=None):
    """Calls a merge layer (or functional form) on Inputs; checks the static output shape
    against `compute_output_shape` and the computed output; returns the output."""
    shapes = input_shapes or [a.shape[1:] for a in arrays]
    inputs = [Input(shape=s) for s in shapes]
    outputs = layer_or_fn(inputs)
    layer = outputs._keras_history[0]
    static = K.int_shape(outputs)
    assert static == tuple(layer.compute_output_shape([(None,) + tuple(s) for s in shapes]))
    out = Model(inputs, outputs).predict(arrays)
    assert len(static) == out.ndim
    assert all(s is None or s == o for s, o in zip(static[1:], out.shape[1:])), \
        (static, out.shape)
    return out


def _arrays(*shapes):
    return [np.random.uniform(-1, 1, (3,) + s).astype('float32') for s in shapes]


def _round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = layers.deserialize({'class_name': layer.__class__.__name__, 'config': config})
    assert type(clone) is type(layer) and clone.get_config() == config
    return clone


ELEMENTWISE = [
    (Add, add, lambda xs: sum(xs)),
    (Multiply, multiply, lambda xs: np.prod(xs, axis=0)),
    (Average, average, lambda xs: sum(xs) / len(xs)),
    (Maximum, maximum, lambda xs: np.max(xs, axis=0)),
    (Minimum, minimum, lambda xs: np.min(xs, axis=0)),
]


@pytest.mark.parametrize('cls,fn,reference', ELEMENTWISE,
                         ids=[c.__name__ for c, _, _ in ELEMENTWISE])
def test_elementwise(backend, cls, fn, reference):
    xs = _arrays((4, 5), (4, 5), (4, 5))
    expected = reference(np.stack(xs))
    np.testing.assert_allclose(_run(backend, cls(), xs), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_run(backend, fn, xs[:2]), reference(np.stack(xs[:2])),
                               rtol=1e-5, atol=1e-6)
    layer = cls(name='merge_me')
    assert _round_trip(layer).name == 'merge_me'
    assert layer.get_config()['name'] == 'merge_me'


def test_subtract(backend):
    xs = _arrays((3,), (3,))
    np.testing.assert_allclose(_run(backend, Subtract(), xs), xs[0] - xs[1], rtol=1e-6)
    np.testing.assert_allclose(_run(backend, subtract, xs), xs[0] - xs[1], rtol=1e-6)
    with pytest.raises(ValueError, match='exactly 2 inputs'):
        Subtract()([Input(shape=(3,)) for _ in range(3)])


def test_built_subtract_called_on_three_inputs_raises():
    a, b, c = [Input(shape=(4, 5)) for _ in range(3)]
    layer = Subtract()
    layer([a, b])
    with pytest.raises(ValueError, match=r'exactly 2 inputs\. Layer subtract_\d+ got 3'):
        layer([a, b, c])
    with pytest.raises(ValueError, match='should be called on a list of inputs'):
        layer([a])


def test_functional_forms_pass_layer_kwargs(backend):
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = add([a, b], name='my_add')
    assert out._keras_history[0].name == 'my_add'
    out = concatenate([a, b], axis=1, name='cat')
    assert out._keras_history[0].name == 'cat' and out._keras_history[0].axis == 1
    out = dot([a, b], axes=1, normalize=True, name='cos')
    layer = out._keras_history[0]
    assert (layer.name, layer.axes, layer.normalize) == ('cos', 1, True)


def test_broadcasting_shapes_and_values(backend):
    K = backend
    # Same rank, size-1 axes broadcast.
    x, y = _arrays((4, 1), (1, 5))
    np.testing.assert_allclose(_run(K, Add(), [x, y]), x + y, rtol=1e-6)
    # Different ranks: the static shapes align on the right; at run time the lower-rank
    # input gets axes inserted after the batch axis (Keras 2 behaviour).
    x, y = _arrays((5,), (4, 5))
    np.testing.assert_allclose(_run(K, Multiply(), [x, y]), x[:, None, :] * y, rtol=1e-6)
    x, y = _arrays((1,), (4, 5))
    np.testing.assert_allclose(_run(K, Maximum(), [x, y]),
                               np.maximum(x[:, :, None], y), rtol=1e-6)
    layer = Add()
    assert layer.compute_output_shape([(None, 4, 1), (None, 1, 5)]) == (None, 4, 5)
    assert layer.compute_output_shape([(None, 5), (None, 4, 5)]) == (None, 4, 5)
    assert layer.compute_output_shape([(None, None, 3), (None, 4, 3)]) == (None, None, 3)
    assert layer.compute_output_shape([(2, 3), (None, 3)]) == (2, 3)


def test_shape_mismatch_errors_name_the_layer():
    with pytest.raises(ValueError, match=r'Operands could not be broadcast together with '
                                         r'shapes \(3,\) \(4,\).*add_1'):
        Add()([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match='my_max'):
        Maximum(name='my_max')([Input(shape=(2, 3)), Input(shape=(3, 3))])
    layer = Average(name='avg')
    with pytest.raises(ValueError, match='avg'):
        layer.compute_output_shape([(None, 3), (None, 5)])
    with pytest.raises(ValueError, match='different batch sizes'):
        Add()([Input(batch_shape=(2, 3)), Input(batch_shape=(4, 3))])
    with pytest.raises(ValueError, match='list of at least 2 inputs'):
        Add().build([(None, 3)])
    with pytest.raises(ValueError, match='list of inputs'):
        Add()([Input(shape=(3,))])  # a one-element list is one input, as in Keras 2
    with pytest.raises(ValueError, match='list of inputs'):
        Add()(Input(shape=(3,)))


def test_merge_on_concrete_tensors(backend):
    K = backend
    x, y = _arrays((2,), (2,))
    out = Add()([K.constant(x), K.constant(y)])
    np.testing.assert_allclose(K.eval(out), x + y, rtol=1e-6)
    # Inputs are not modified in place.
    a = K.constant(x)
    Add()([a, K.constant(y)])
    np.testing.assert_array_equal(K.eval(a), x)


# ---------------------------------------------------------------------------- Concatenate

@pytest.mark.parametrize('axis', [-1, 1, 2])
def test_concatenate(backend, axis):
    shapes = {-1: [(4, 2), (4, 3)], 1: [(2, 5), (3, 5)], 2: [(4, 2), (4, 3)]}[axis]
    xs = _arrays(*shapes)
    layer = Concatenate(axis=axis)
    np.testing.assert_allclose(_run(backend, layer, xs), np.concatenate(xs, axis=axis))
    assert _round_trip(layer).axis == axis
    np.testing.assert_allclose(_run(backend, lambda t: concatenate(t, axis=axis), xs),
                               np.concatenate(xs, axis=axis))


def test_concatenate_records_its_inputs_when_the_list_grows_afterwards(backend):
    """The list given to `concatenate` may be appended to after the call (a dense block):
    each node keeps the tensors it was called on, so the graph has no cycle."""
    inputs = Input(shape=(None, None))
    tensors, x = [inputs], inputs
    for _ in range(3):
        tensors.append(x)
        x = concatenate(tensors, axis=1)
    model = Model(inputs, x)
    data = np.random.rand(2, 1, 3).astype('float32')
    # Lengths: 1 + 1 = 2; 1 + 1 + 2 = 4; 1 + 1 + 2 + 4 = 8 copies of the input row.
    np.testing.assert_allclose(model.predict(data), np.repeat(data, 8, axis=1), rtol=1e-6)


def test_concatenate_shapes_and_errors():
    layer = Concatenate(axis=1)
    assert layer.compute_output_shape([(None, 2, 5), (None, None, 5)]) == (None, None, 5)
    assert layer.compute_output_shape([(None, 2, 5), (None, 3, 5)]) == (None, 5, 5)
    with pytest.raises(ValueError, match=r'A `Concatenate` layer requires inputs with matching '
                                         r'shapes except for the concat axis\. Got inputs '
                                         r'shapes: \[\(None, 2, 5\), \(None, 3, 4\)\].*'
                                         r'concatenate_'):
        Concatenate(axis=1)([Input(shape=(2, 5)), Input(shape=(3, 4))])
    with pytest.raises(ValueError, match='matching shapes'):
        concatenate([Input(shape=(2, 5)), Input(shape=(5,))])
    with pytest.raises(ValueError, match='at least 2 inputs'):
        Concatenate()([Input(shape=(3,))])


def test_concatenate_three_inputs_and_batch_size(backend):
    xs = _arrays((1,), (2,), (3,))
    np.testing.assert_allclose(_run(backend, Concatenate(), xs), np.concatenate(xs, -1))
    assert Concatenate().compute_output_shape([(8, 1), (8, 2)]) == (8, 3)


# ---------------------------------------------------------------------------- Dot

def test_dot_vectors(backend):
    x, y = _arrays((4,), (4,))
    out = _run(backend, Dot(axes=1), [x, y])
    assert out.shape == (3, 1)
    np.testing.assert_allclose(out[:, 0], (x * y).sum(-1), rtol=1e-5, atol=1e-6)
    out = _run(backend, Dot(axes=-1, normalize=True), [x, y])
    cosine = (x * y).sum(-1) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1))
    np.testing.assert_allclose(out[:, 0], cosine, rtol=1e-5, atol=1e-6)


def test_dot_matrices(backend):
    x, y = _arrays((2, 4), (5, 4))
    # axes=(2, 2): (batch, 2, 4) . (batch, 5, 4) -> (batch, 2, 5)
    out = _run(backend, Dot(axes=(2, 2)), [x, y])
    np.testing.assert_allclose(out, np.einsum('bik,bjk->bij', x, y), rtol=1e-5, atol=1e-6)
    x, y = _arrays((4, 2), (4, 3))
    out = _run(backend, lambda t: dot(t, axes=1), [x, y])
    np.testing.assert_allclose(out, np.einsum('bki,bkj->bij', x, y), rtol=1e-5, atol=1e-6)
    # Normalized along the contracted axes.
    out = _run(backend, Dot(axes=[1, 1], normalize=True), [x, y])
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    np.testing.assert_allclose(out, np.einsum('bki,bkj->bij', xn, yn), rtol=1e-5, atol=1e-6)
    # Different ranks: (batch, 3, 4) . (batch, 4) over axes (2, 1) -> (batch, 3)
    x, y = _arrays((3, 4), (4,))
    out = _run(backend, Dot(axes=(2, 1)), [x, y])
    np.testing.assert_allclose(out, np.einsum('bik,bk->bi', x, y), rtol=1e-5, atol=1e-6)


def test_dot_arguments_and_errors():
    with pytest.raises(TypeError, match=r"\(Dot\): The `axes` argument must be an integer\. "
                                        r"Received: '1'"):
        Dot(axes='1')
    with pytest.raises(ValueError, match=r'`axes` argument must be an integer or a list of two '
                                         r'integers .*Received: \(1, 2, 3\)'):
        Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match=r'`axes` argument must be an integer or a list of '
                                        r'integers. Received: \(1, 1.5\)'):
        Dot(axes=(1, 1.5))
    with pytest.raises(ValueError, match=r'Dimension incompatibility 3 != 4.*dot_'):
        Dot(axes=1)([Input(shape=(3,)), Input(shape=(4,))])
    with pytest.raises(ValueError, match='list of 2 inputs'):
        Dot(axes=1)([Input(shape=(3,)) for _ in range(3)])
    layer = Dot(axes=(1, 2), normalize=True)
    clone = _round_trip(layer)
    assert tuple(clone.axes) == (1, 2) and clone.normalize is True
    assert layer.compute_output_shape([(None, 3, 4), (None, 5, 3)]) == (None, 4, 5)


# ---------------------------------------------------------------------------- masks

def _masked(timesteps, features, name=None):
    """An Input of token ids and its embedding with mask_zero."""
    ids = Input(shape=(timesteps,))
    return ids, Embedding(10, features, mask_zero=True, name=name)(ids)


def test_elementwise_merge_ands_masks(backend, received_mask):
    K = backend
    ids1, e1 = _masked(4, 3)
    ids2, e2 = _masked(4, 3)
    merged = Add()([e1, e2])
    assert K.int_shape(merged._keras_mask) == (None, 4)
    a = np.array([[1, 2, 0, 3], [0, 1, 1, 1]])
    b = np.array([[1, 0, 4, 3], [5, 5, 5, 0]])
    mask = received_mask([ids1, ids2], merged, [a, b])
    np.testing.assert_array_equal(mask, (a != 0) & (b != 0))
    # One masked input and one plain input: the mask passes through.
    plain = Input(shape=(4, 3))
    merged = Multiply()([e1, plain])
    mask = received_mask([ids1, plain], merged, [a, np.ones((2, 4, 3))])
    np.testing.assert_array_equal(mask, a != 0)
    # No masks, no mask.
    assert Add()([Input(shape=(2,)), Input(shape=(2,))])._keras_mask is None


def test_merge_compute_mask_arguments(backend):
    layer = Add()
    with pytest.raises(ValueError, match='`mask` should be a list'):
        layer.compute_mask([1, 2], 'mask')
    with pytest.raises(ValueError, match='same length'):
        layer.compute_mask([1, 2], [None])
    assert layer.compute_mask([1, 2], [None, None]) is None


def test_concatenate_masks_feature_axis(backend, received_mask):
    K = backend
    ids1, e1 = _masked(4, 2)
    plain = Input(shape=(4, 3))
    merged = Concatenate()([e1, plain])
    assert K.int_shape(merged) == (None, 4, 5)
    assert K.int_shape(merged._keras_mask) == (None, 4)
    a = np.array([[1, 0, 2, 0]])
    mask = received_mask([ids1, plain], merged, [a, np.ones((1, 4, 3))])
    np.testing.assert_array_equal(mask, a != 0)
    ids2, e2 = _masked(4, 2)
    b = np.array([[1, 1, 0, 0]])
    mask = received_mask([ids1, ids2], Concatenate()([e1, e2]), [a, b])
    np.testing.assert_array_equal(mask, (a != 0) & (b != 0))


def test_concatenate_masks_time_axis(backend, received_mask):
    K = backend
    ids1, e1 = _masked(3, 2)
    ids2, e2 = _masked(2, 2)
    merged = Concatenate(axis=1)([e1, e2])
    assert K.int_shape(merged._keras_mask) == (None, 5)
    a, b = np.array([[1, 0, 2]]), np.array([[0, 7]])
    mask = received_mask([ids1, ids2], merged, [a, b])
    np.testing.assert_array_equal(mask, np.concatenate([a, b], 1) != 0)
    # An unmasked input counts as all present.
    plain = Input(shape=(2, 2))
    merged = Concatenate(axis=1)([e1, plain])
    mask = received_mask([ids1, plain], merged, [a, np.zeros((1, 2, 2))])
    np.testing.assert_array_equal(mask, [[True, False, True, True, True]])


def test_dot_drops_masks(backend):
    _, e1 = _masked(4, 3)
    _, e2 = _masked(4, 3)
    assert Dot(axes=2)([e1, e2])._keras_mask is None
