"""`predict` on data that makes one batch (as `predict(x[:1])` does) takes its short path:
the inputs go to the engine whole, without the streaming decision. Checked here: the
outputs equal a NumPy reference, `predict_on_batch` and the many-batch path; the short path
is taken exactly for in-memory arrays of one batch (memmaps and several batches still ask);
bad input is refused with the same errors; `ArrayBatches(..., may_stream=False)` keeps
the dtypes."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import common, streaming
from cornu.engine import streamed_batches, training_arrays
from cornu.layers import Concatenate, Dense, Embedding, Flatten, Input
from cornu.models import Model, Sequential


def _mlp():
    model = Sequential([Dense(6, activation='relu', input_shape=(4,)),
                        Dense(3, activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy')
    return model


def _reference(model, x):
    (w1, b1), (w2, b2) = [layer.get_weights() for layer in model.layers]
    hidden = np.maximum(x @ w1 + b1, 0.0)
    logits = hidden @ w2 + b2
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.fixture
def asked(monkeypatch):
    """Counts the streaming decisions the loops make."""
    calls = []
    decide = streamed_batches.should_stream

    def counting(arrays, dtypes):
        calls.append(len(arrays))
        return decide(arrays, dtypes)
    monkeypatch.setattr(streamed_batches, 'should_stream', counting)
    return calls


@pytest.mark.parametrize('rows', [1, 3, 32])
def test_one_batch_equals_reference_and_other_paths(rows, asked):
    model = _mlp()
    x = np.random.RandomState(rows).randn(40, 4).astype('float32')[:rows]
    one = model.predict(x)
    assert asked == []  # the short path: no streaming decision
    np.testing.assert_allclose(one, _reference(model, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(one, model.predict_on_batch(x), rtol=1e-6, atol=1e-7)
    several = model.predict(x, batch_size=2) if rows > 1 else model.predict(
        np.concatenate([x, x]), batch_size=1)[:1]
    assert asked == [1]  # the general path asked
    np.testing.assert_allclose(one, several, rtol=1e-6, atol=1e-7)
    assert one.dtype == np.float32 and one.shape == (rows, 3)


def test_general_path_for_memmaps_steps_and_many_batches(tmp_path, asked):
    model = _mlp()
    x = np.random.RandomState(0).randn(5, 4).astype('float32')
    stored = np.memmap(str(tmp_path / 'x'), dtype='float32', mode='w+', shape=x.shape)
    stored[:] = x
    np.testing.assert_allclose(model.predict(stored), _reference(model, x), rtol=1e-5,
                               atol=1e-6)
    assert asked == [1]
    model.predict(x, batch_size=4)
    assert asked == [1, 1]
    with_steps = model.predict(x, batch_size=None, steps=2)
    assert asked == [1, 1, 1]
    np.testing.assert_allclose(with_steps, np.concatenate([_reference(model, x)] * 2),
                               rtol=1e-5, atol=1e-6)


def test_one_batch_above_the_streaming_threshold_gives_the_same_outputs():
    model = _mlp()
    x = np.random.RandomState(1).randn(7, 4).astype('float32')
    before = common.streaming_threshold_setting()
    streaming.set_streaming_threshold(16)  # bytes: any batch of several rows is above it
    try:
        one = model.predict(x)
        streamed = model.predict(x, batch_size=3)
    finally:
        streaming.set_streaming_threshold(before)
    np.testing.assert_allclose(one, _reference(model, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(streamed, one, rtol=1e-6, atol=1e-7)


def test_one_batch_of_several_inputs_in_a_dict():
    a, b = Input((2,), name='a'), Input((3,), name='b')
    out = Dense(2)(Concatenate()([a, b]))
    model = Model([a, b], out)
    kernel, bias = model.layers[-1].get_weights()
    xa = np.arange(4, dtype='float32').reshape(2, 2)
    xb = np.arange(6, dtype='float32').reshape(2, 3) / 10
    expected = np.concatenate([xa, xb], axis=1) @ kernel + bias
    np.testing.assert_allclose(model.predict({'b': xb, 'a': xa}), expected, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(model.predict([xa[:1], xb[:1]]), expected[:1], rtol=1e-5,
                               atol=1e-6)


def test_one_batch_still_refuses_bad_input():
    model = _mlp()
    with pytest.raises(ValueError, match=r'expected dense_\d+_input to have shape \(4,\) but '
                                         r'got array with shape \(5,\)'):
        model.predict(np.zeros((1, 5), 'float32'))
    with pytest.raises(ValueError, match='to have 2 dimensions'):
        model.predict(np.zeros((1, 4, 1), 'float32'))
    with pytest.raises(ValueError, match='Expected to see 1 array'):
        model.predict([np.zeros((1, 4), 'float32')] * 2)
    with pytest.raises(ValueError, match='batch_size` must be None'):
        model.predict(np.zeros((1, 4), 'float32'), batch_size=1, steps=1)
    with pytest.raises(ValueError, match='to have shape'):
        model.predict_on_batch(np.zeros((1, 3), 'float32'))


def test_empty_input_gives_empty_predictions():
    out = _mlp().predict(np.zeros((0, 4), 'float32'))
    assert out.shape == (0, 3)


def test_one_batch_keeps_integer_inputs_and_their_dtype(asked):
    model = Sequential([Embedding(10, 2, input_length=3), Flatten()])
    ids = np.array([[1, 2, 9]], dtype='int32')
    table = model.layers[0].get_weights()[0]
    np.testing.assert_allclose(model.predict(ids), table[ids].reshape(1, 6), rtol=1e-6)
    data = training_arrays.ArrayBatches([ids], [], [], ['int32'], [], may_stream=False)
    assert data.indexable and data.streamed is None and data.num_samples == 1
    assert data.targets == [] and data.weights == []
    assert K.dtype(data.inputs[0]) == 'int32'
    np.testing.assert_array_equal(K.eval(data.inputs[0]), ids)
    assert asked == []


def test_an_array_like_the_last_one_accepted_skips_only_the_checks_it_passed(monkeypatch):
    """A NumPy array of the dtype and sample shape last accepted goes to the engine without
    the structural checks again (counted here); any other array takes them all, and the
    checks of its values run every time."""
    from cornu.engine import training_utils
    standardized = []
    standardize = training_utils.standardize_input_data

    def counting(*args, **kwargs):
        standardized.append(1)
        return standardize(*args, **kwargs)
    monkeypatch.setattr(training_utils, 'standardize_input_data', counting)
    model = _mlp()
    x = np.random.RandomState(0).uniform(-1, 1, (3, 4)).astype('float32')
    for rows in (1, 1, 3):
        np.testing.assert_allclose(model.predict(x[:rows]), _reference(model, x[:rows]),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(model.predict_on_batch(x[:rows]),
                                   _reference(model, x[:rows]), rtol=1e-5, atol=1e-6)
    assert len(standardized) == 1
    # Another dtype, sample shape, rank or container: checked whole (and refused where bad).
    np.testing.assert_allclose(model.predict(x[:1].astype('float64')), _reference(model, x[:1]),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match='to hold numbers, but got an array of dtype object'):
        model.predict(x[:1].astype(object))
    with pytest.raises(ValueError, match=r'to have shape \(4,\) but got array with shape \(5,\)'):
        model.predict_on_batch(np.zeros((1, 5), 'float32'))
    with pytest.raises(ValueError, match='to have 2 dimensions'):
        model.predict(x[:1, :, None])
    np.testing.assert_allclose(model.predict([x[:1]]), _reference(model, x[:1]), rtol=1e-5,
                               atol=1e-6)
    assert len(standardized) == 6
    # Index ranges are values: checked at every call.
    embedding = Sequential([Embedding(10, 2, input_length=3), Flatten()])
    ids = np.array([[1, 2, 9]], dtype='int32')
    embedding.predict(ids)
    with pytest.raises(ValueError, match=r'input_dim=10\), whose indices must be integers '
                                         r'from 0 to 9, but it holds 10'):
        embedding.predict(np.array([[1, 10, 2]], dtype='int32'))


def test_outputs_of_an_identity_model_never_share_the_callers_array():
    """The input goes to the engine as it is (a tensor reading the array's memory on torch):
    an output that is that input comes back as a copy, call after call."""
    inputs = Input(shape=(4,))
    model = Model(inputs, inputs)
    x = np.arange(8, dtype='float32').reshape(2, 4)
    kept = x.copy()
    for predict in (model.predict, model.predict, model.predict_on_batch,
                    model.predict_on_batch):
        out = predict(x)
        np.testing.assert_array_equal(out, kept)
        assert not np.shares_memory(out, x)
        out[:] = -1
        np.testing.assert_array_equal(x, kept)
