"""Embedding: lookups against NumPy indexing, output shapes with `input_length`, the
`mask_zero` mask, weights and configuration."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import Embedding, Input, Flatten, Dense
from cornu.models import Model, Sequential


def _round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = layers.deserialize({'class_name': 'Embedding', 'config': config})
    assert clone.get_config() == config
    return clone


def test_lookup_in_sequential(backend):
    K = backend
    model = Sequential([Embedding(10, 4, input_length=3)])
    layer = model.layers[0]
    assert model.output_shape == (None, 3, 4)
    assert [w.name for w in layer.weights] == ['embedding_1/embeddings:0']
    assert len(layer.trainable_weights) == 1 and not layer.non_trainable_weights
    table = layer.get_weights()[0]
    assert table.shape == (10, 4)
    # Default 'uniform' initializer: U(-0.05, 0.05).
    assert np.abs(table).max() <= 0.05 and table.std() > 0
    ids = np.array([[0, 3, 9], [2, 2, 1]])
    out = model.predict(ids)
    assert K.int_shape(model.output) == (None, 3, 4)
    np.testing.assert_allclose(out, table[ids], rtol=0, atol=0)
    # Float indexes (a Sequential's default input dtype) are truncated to int.
    np.testing.assert_allclose(model.predict(ids.astype('float32')), table[ids])


def test_integer_input_and_higher_rank(backend):
    K = backend
    inputs = Input(shape=(2, 3), dtype='int32')
    layer = Embedding(7, 5)
    outputs = layer(inputs)
    assert K.int_shape(outputs) == (None, 2, 3, 5)
    assert layer.compute_output_shape((None, 2, 3)) == (None, 2, 3, 5)
    ids = np.random.randint(0, 7, (4, 2, 3)).astype('int32')
    out = Model(inputs, outputs).predict(ids)
    np.testing.assert_array_equal(out, layer.get_weights()[0][ids])
    assert out.dtype == np.float32


def test_input_length_shapes():
    layer = Embedding(5, 2, input_length=4)
    assert layer.batch_input_shape == (None, 4)
    assert layer.compute_output_shape((None, 4)) == (None, 4, 2)
    assert layer.compute_output_shape((None, None)) == (None, 4, 2)
    with pytest.raises(ValueError, match='"input_length" is 4, but received input has shape'):
        layer.compute_output_shape((None, 5))
    with pytest.raises(ValueError, match='"input_length" is 4'):
        layer.compute_output_shape((None, 4, 2))

    multi = Embedding(5, 2, input_length=(None, 3))
    assert multi.compute_output_shape((None, 6, 3)) == (None, 6, 3, 2)
    assert multi.compute_output_shape((8, None, None)) == (8, None, 3, 2)
    with pytest.raises(ValueError, match=r'"input_length" is \(None, 3\)'):
        multi.compute_output_shape((None, 6, 4))

    assert Embedding(5, 2).batch_input_shape == (None, None)
    assert Embedding(5, 2, input_shape=(7,)).batch_input_shape == (None, 7)
    assert Embedding(5, 2).compute_output_shape((None, 9)) == (None, 9, 2)


def test_input_length_mismatch_in_model():
    inputs = Input(shape=(5,))
    with pytest.raises(ValueError, match='input_length'):
        Embedding(5, 2, input_length=4)(inputs)


def test_flatten_dense_after_input_length(backend):
    model = Sequential([Embedding(20, 3, input_length=6), Flatten(), Dense(2)])
    assert model.output_shape == (None, 2)
    assert model.predict(np.random.randint(0, 20, (3, 6))).shape == (3, 2)


def test_mask_zero(backend):
    K = backend
    inputs = Input(shape=(5,))
    layer = Embedding(6, 3, mask_zero=True)
    outputs = layer(inputs)
    assert outputs._keras_mask is not None
    assert K.int_shape(outputs._keras_mask) == (None, 5)
    ids = np.array([[1, 2, 0, 0, 0], [5, 0, 3, 4, 0]])
    mask = K.eval(layer.compute_mask(K.constant(ids, dtype='int32'), None))
    np.testing.assert_array_equal(mask.astype(bool), ids != 0)
    # Without mask_zero, no mask.
    plain = Embedding(6, 3)(Input(shape=(5,)))
    assert plain._keras_mask is None
    assert Embedding(6, 3).compute_mask(ids, None) is None


def test_mask_reaches_downstream_layers(backend, received_mask):
    # A layer taking `mask` receives the Embedding's mask when the model runs.
    inputs = Input(shape=(4,))
    embedded = Embedding(6, 2, mask_zero=True)(inputs)
    ids = np.array([[3, 0, 1, 0], [0, 5, 5, 2]])
    np.testing.assert_array_equal(received_mask(inputs, embedded, ids), ids != 0)
    # Without mask_zero, the next layer receives no mask.
    inputs = Input(shape=(4,))
    assert received_mask(inputs, Embedding(6, 2)(inputs), ids) is None


def test_config_round_trip(backend):
    layer = Embedding(8, 4, embeddings_initializer='glorot_uniform',
                      embeddings_regularizer='l2', activity_regularizer='l1',
                      embeddings_constraint='unit_norm', mask_zero=True, input_length=5,
                      name='emb')
    clone = _round_trip(layer)
    assert (clone.input_dim, clone.output_dim, clone.mask_zero, clone.input_length) == \
        (8, 4, True, 5)
    config = layer.get_config()
    assert config['embeddings_initializer']['class_name'] == 'VarianceScaling'
    assert config['embeddings_regularizer']['class_name'] == 'L1L2'
    assert config['embeddings_constraint']['class_name'] == 'UnitNorm'
    assert config['batch_input_shape'] == (None, 5)


def test_regularizer_loss(backend):
    model = Sequential([Embedding(4, 2, input_length=2, embeddings_regularizer='l2',
                                  embeddings_initializer='ones')])
    losses = model.layers[0].losses
    assert len(losses) == 1
    np.testing.assert_allclose(backend.eval(losses[0]), 0.01 * 8, rtol=1e-6)


def test_training_updates_only_looked_up_rows(backend):
    model = Sequential([Embedding(5, 2, input_length=2), Flatten()])
    model.compile('sgd', 'mse')
    before = model.get_weights()[0].copy()
    ids = np.array([[1, 3]])
    model.train_on_batch(ids, np.ones((1, 4)))
    after = model.get_weights()[0]
    changed = np.any(after != before, axis=1)
    np.testing.assert_array_equal(changed, [False, True, False, True, False])


def test_keras1_argument_names():
    with pytest.warns(UserWarning):
        layer = Embedding(10, 3, init='normal', W_regularizer='l2', W_constraint='non_neg',
                          dropout=0.2)
    config = layer.get_config()
    assert config['embeddings_initializer']['class_name'] == 'RandomNormal'
    assert config['embeddings_regularizer']['class_name'] == 'L1L2'
    assert config['embeddings_constraint']['class_name'] == 'NonNeg'
