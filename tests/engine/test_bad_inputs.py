"""Bad data and bad arguments are refused before any step runs, with a message naming the
argument (or input, output, layer), the value given and what is expected; the model's weights
and the user's arrays are left as they were.
"""

import numpy as np
import pytest

from cornu import backend as K
from cornu.layers import Dense, Embedding, Flatten, Input, Lambda
from cornu.models import Model, Sequential
from cornu.utils import Sequence
from tests.engine_frames import engine_frames


# ------------------------------------------------------------------------------ helpers

def _refused(exc_type, fragments, fn, *args, **kwargs):
    """Asserts that `fn` raises `exc_type` from cornu's own checks (no engine frame in the
    traceback) with every one of `fragments` in its message."""
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    engine = engine_frames(info.traceback)
    assert not engine, 'error raised from engine code: ' + str(engine)
    return info.value


class _Unchanged(object):
    """Records a model's weights and some arrays; `check()` asserts they did not change."""

    def __init__(self, model, *arrays):
        self.model = model
        self.weights = [w.copy() for w in model.get_weights()]
        self.arrays = [(a, a.copy()) for a in arrays if isinstance(a, np.ndarray)]

    def check(self):
        for before, after in zip(self.weights, self.model.get_weights()):
            np.testing.assert_array_equal(before, after)
        for array, copy in self.arrays:
            np.testing.assert_array_equal(array, copy)


def _classifier(classes=3, features=4, name='probs'):
    inp = Input((features,), name='features')
    out = Dense(classes, activation='softmax', name=name)(inp)
    model = Model(inp, out)
    model.compile('sgd', 'sparse_categorical_crossentropy', metrics=['acc'])
    return model


def _x(n=6, features=4):
    return np.random.RandomState(0).rand(n, features).astype('float32')


def _embedder(input_dim=10, length=3):
    inp = Input((length,), dtype='int32', name='tokens')
    vectors = Embedding(input_dim, 2, name='words')(inp)
    out = Dense(1, name='score')(Flatten()(vectors))
    model = Model(inp, out)
    model.compile('sgd', 'mse')
    return model


# ------------------------------------------------------------------------------ sparse labels

@pytest.mark.parametrize('label, shown', [(3, '3'), (7, '7'), (-1, '-1')])
def test_sparse_labels_outside_the_classes_are_refused(backend, label, shown):
    model = _classifier()
    x = _x()
    y = np.array([0, 1, 2, label, 0, 1])
    unchanged = _Unchanged(model, x, y)
    for call in (lambda: model.fit(x, y, verbose=0),
                 lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.train_on_batch(x, y),
                 lambda: model.test_on_batch(x, y)):
        _refused(ValueError, ['output probs', '3 classes', 'from 0 to 2', shown, 'sample 3'],
                 call)
    unchanged.check()


@pytest.mark.parametrize('label, shown', [(np.nan, 'nan'), (1.5, '1.5'), (np.inf, 'inf')])
def test_sparse_labels_that_are_not_whole_numbers_are_refused(backend, label, shown):
    model = _classifier()
    x = _x()
    y = np.array([0, 1, 2, label, 0, 1], dtype='float32')
    unchanged = _Unchanged(model, x, y)
    _refused(ValueError, ['output probs', 'from 0 to 2', shown], model.fit, x, y, verbose=0)
    unchanged.check()


def test_sparse_labels_as_whole_floats_still_train(backend):
    model = _classifier()
    history = model.fit(_x(), np.array([0., 1., 2., 2., 0., 1.], dtype='float32'), verbose=0)
    assert np.isfinite(history.history['loss'][0])


def test_sparse_labels_of_validation_data_are_checked_before_training(backend):
    model = _classifier()
    x = _x()
    unchanged = _Unchanged(model, x)
    _refused(ValueError, ['output probs', '5'], model.fit, x, np.zeros(6),
             validation_data=(x, np.array([0, 0, 5, 0, 0, 0])), verbose=0)
    unchanged.check()


def test_a_sparse_metric_checks_its_labels_too(backend):
    inp = Input((4,))
    out = Dense(3, name='probs')(inp)
    model = Model(inp, out)
    model.compile('sgd', 'sparse_categorical_crossentropy',
                  metrics=['sparse_top_k_categorical_accuracy'])
    _refused(ValueError, ['output probs', '4'], model.evaluate, _x(),
             np.array([0, 1, 2, 4, 0, 1]), verbose=0)


def _memmap(path, array):
    mapped = np.lib.format.open_memmap(str(path), mode='w+', dtype=array.dtype,
                                       shape=array.shape)
    mapped[:] = array
    mapped.flush()
    return np.load(str(path), mmap_mode='r')


def test_labels_read_from_disk_are_checked_batch_by_batch(backend, tmp_path):
    model = _classifier()
    x = _memmap(tmp_path / 'x.npy', _x(8))
    y = _memmap(tmp_path / 'y.npy', np.array([0, 1, 2, 0, 1, 2, 0, 7]))
    unchanged = _Unchanged(model)
    _refused(ValueError, ['output probs', '7', 'row 3 of a batch'], model.fit, x, y,
             batch_size=4, shuffle=False, verbose=0)
    _refused(ValueError, ['output probs', '7'], model.evaluate, x, y, batch_size=4, verbose=0)
    # The second batch was refused: only the first one trained.
    assert any((a != b).any() for a, b in zip(unchanged.weights, model.get_weights()))


def test_embedding_indices_read_from_disk_are_checked_batch_by_batch(backend, tmp_path):
    model = _embedder()
    x = _memmap(tmp_path / 'x.npy', np.array([[1, 2, 3], [4, 11, 6]], dtype='int32'))
    unchanged = _Unchanged(model)
    _refused(ValueError, ['tokens', 'words', '11', 'row 1 of a batch'], model.fit, x,
             np.zeros((2, 1), dtype='float32'), shuffle=False, verbose=0)
    _refused(ValueError, ['tokens', 'words', '11'], model.predict, x, batch_size=1)
    unchanged.check()


# ------------------------------------------------------------------------------ Embedding

@pytest.mark.parametrize('index', [10, 12, -1])
def test_embedding_indices_fed_from_an_input_are_checked(backend, index):
    model = _embedder()
    x = np.array([[1, 2, 3], [4, index, 6]])
    y = np.zeros((2, 1), dtype='float32')
    unchanged = _Unchanged(model, x, y)
    fragments = ['tokens', 'words', 'input_dim=10', 'from 0 to 9', str(index), 'sample 1']
    for call in (lambda: model.fit(x, y, verbose=0),
                 lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.predict(x),
                 lambda: model.predict_on_batch(x),
                 lambda: model.train_on_batch(x, y)):
        _refused(ValueError, fragments, call)
    unchanged.check()


def test_embedding_float_indices_are_truncated_as_keras_2_casts_them(backend):
    # Keras 2 casts float indices to int32: 9.5 is row 9 (valid), 10.0 is out of range.
    model = Sequential([Embedding(10, 2, input_length=2, name='words'), Flatten()])
    model.compile('sgd', 'mse')
    got = model.predict(np.array([[9.5, 0.]], dtype='float32'))
    table = model.get_layer('words').get_weights()[0]
    np.testing.assert_allclose(got, np.concatenate([table[9], table[0]])[None], rtol=1e-6)
    _refused(ValueError, ['words', 'input_dim=10', '10'], model.predict,
             np.array([[10., 0.]], dtype='float32'))
    # -0.5 truncates to 0 (valid): the message points at -1.5, the first bad index.
    _refused(ValueError, ['words', 'but it holds -1.5 (sample 1)'], model.predict,
             np.array([[-0.5, 0.], [1., -1.5]], dtype='float32'))


def test_embedding_inside_a_nested_model_is_checked(backend):
    inner = Sequential([Embedding(5, 2, input_length=2, name='inner_words'), Flatten()])
    inp = Input((2,), name='ids')
    model = Model(inp, Dense(1)(inner(inp)))
    model.compile('sgd', 'mse')
    _refused(ValueError, ['ids', 'inner_words', 'input_dim=5', '5'], model.predict,
             np.array([[0, 5]]))


def test_a_shared_input_is_checked_against_this_models_embedding_only(backend):
    inp = Input((2,), name='ids')
    small = Model(inp, Flatten()(Embedding(3, 2, name='small')(inp)))
    large = Model(inp, Flatten()(Embedding(30, 2, name='large')(inp)))
    assert large.predict(np.array([[0, 20]])).shape == (1, 4)
    _refused(ValueError, ['small', 'input_dim=3', '20'], small.predict, np.array([[0, 20]]))


@pytest.mark.skipif(K.backend() != 'torch', reason='a compiled JAX step cannot raise: its '
                    'gather clamps indices computed inside the model (indices fed from an '
                    'input are checked on the host, above)')
def test_embedding_on_a_computed_tensor_names_the_layer(backend):
    inp = Input((2,), name='ids')
    shifted = Lambda(lambda t: t + 10.)(inp)
    model = Model(inp, Embedding(10, 2, name='words')(shifted))
    with pytest.raises(ValueError) as info:
        model.predict(np.array([[0., 1.]], dtype='float32'))
    assert 'words' in str(info.value) and 'input_dim=10' in str(info.value)


# ------------------------------------------------------------------------------ dtypes

def _regressor():
    inp = Input((2,), name='values')
    model = Model(inp, Dense(1, name='out')(inp))
    model.compile('sgd', 'mse')
    return model


@pytest.mark.parametrize('argument', ['x', 'y', 'sample_weight'])
def test_object_arrays_of_none_are_refused(backend, argument):
    model = _regressor()
    data = {'x': np.ones((4, 2), dtype='float32'), 'y': np.ones((4, 1), dtype='float32'),
            'sample_weight': np.ones(4, dtype='float32')}
    data[argument] = np.full(data[argument].shape, None, dtype=object)
    name = {'x': 'values', 'y': 'out',
            'sample_weight': '`sample_weight` for output out'}[argument]
    unchanged = _Unchanged(model, data['x'], data['y'])
    _refused(TypeError, [name, '`' + argument + '`', 'dtype object', 'None'], model.fit,
             verbose=0, **data)
    unchanged.check()
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_a_list_of_sample_weights_holding_none_is_refused(backend):
    model = _regressor()
    _refused(TypeError, ['`sample_weight` for output out', 'dtype object'], model.fit,
             np.ones((2, 2)), np.ones((2, 1)), sample_weight=[1., None], verbose=0)


def test_strings_are_refused_by_predict(backend):
    model = _regressor()
    _refused(TypeError, ['values', 'dtype <U1'], model.predict, np.array([['a', 'b']]))
    _refused(TypeError, ['values', 'dtype object'], model.predict_on_batch,
             np.array([[None, 1.]], dtype=object))


# ------------------------------------------------------------------------------ arguments

@pytest.mark.parametrize('method', ['fit', 'evaluate', 'predict'])
@pytest.mark.parametrize('batch_size, error', [(0, ValueError), (-4, ValueError),
                                               (2.5, TypeError), ('32', TypeError)])
def test_batch_size_must_be_a_positive_integer(backend, method, batch_size, error):
    model = _regressor()
    x, y = np.ones((4, 2), dtype='float32'), np.ones((4, 1), dtype='float32')
    unchanged = _Unchanged(model, x, y)
    args = (x,) if method == 'predict' else (x, y)
    _refused(error, ['batch_size', repr(batch_size) if error is TypeError else str(batch_size)],
             getattr(model, method), *args, batch_size=batch_size, verbose=0)
    unchanged.check()


@pytest.mark.parametrize('arguments, error, fragments', [
    (dict(epochs=-1), ValueError, ['epochs', '-1']),
    (dict(epochs=1.5), TypeError, ['epochs', '1.5']),
    (dict(initial_epoch=-2), ValueError, ['initial_epoch', '-2']),
    (dict(steps_per_epoch=0), ValueError, ['steps_per_epoch', '0']),
    (dict(steps_per_epoch=-3), ValueError, ['steps_per_epoch', '-3']),
    (dict(validation_split=1.), ValueError, ['validation_split', '1.0', '[0, 1)']),
    (dict(validation_split=1.5), ValueError, ['validation_split', '1.5']),
    (dict(validation_split=-0.1), ValueError, ['validation_split', '-0.1']),
    (dict(validation_split='0.1'), TypeError, ['validation_split', "'0.1'"]),
    (dict(verbose=3), ValueError, ['verbose', '3']),
    (dict(verbose='yes'), TypeError, ['verbose', "'yes'"]),
    (dict(validation_data=(np.ones((2, 2)), np.ones((2, 1))), steps_per_epoch=2,
          validation_steps=0), ValueError, ['validation_steps', '0']),
])
def test_fit_arguments_outside_their_domain_are_refused(backend, arguments, error, fragments):
    model = _regressor()
    x, y = np.ones((4, 2), dtype='float32'), np.ones((4, 1), dtype='float32')
    unchanged = _Unchanged(model, x, y)
    arguments.setdefault('verbose', 0)
    _refused(error, fragments, model.fit, x, y, **arguments)
    unchanged.check()


def test_validation_split_none_means_no_split_as_in_keras_2(backend):
    model = _regressor()
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), validation_split=None, verbose=0)
    assert sorted(history.history) == ['loss']


def test_zero_epochs_trains_nothing_as_in_keras_2(backend):
    model = _regressor()
    unchanged = _Unchanged(model)
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=0, verbose=0)
    assert history.history == {}
    unchanged.check()


@pytest.mark.parametrize('method', ['evaluate', 'predict'])
def test_steps_must_be_positive(backend, method):
    model = _regressor()
    x, y = np.ones((4, 2), dtype='float32'), np.ones((4, 1), dtype='float32')
    args = (x,) if method == 'predict' else (x, y)
    _refused(ValueError, ['steps', '0'], getattr(model, method), *args, steps=0)
    _refused(ValueError, ['steps', '-1'], getattr(model, method), *args, steps=-1)


def test_fit_and_evaluate_on_no_samples_are_refused(backend):
    model = _regressor()
    x, y = np.ones((0, 2), dtype='float32'), np.ones((0, 1), dtype='float32')
    unchanged = _Unchanged(model)
    for call in (lambda: model.fit(x, y, verbose=0),
                 lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.train_on_batch(x, y)):
        _refused(ValueError, ['values', '0 samples', '(0, 2)'], call)
    unchanged.check()


def test_a_validation_split_that_leaves_nothing_to_train_on_is_refused(backend):
    model = _regressor()
    unchanged = _Unchanged(model)
    _refused(ValueError, ['validation_split=0.9', 'none to train on'], model.fit,
             np.ones((1, 2)), np.ones((1, 1)), validation_split=0.9, verbose=0)
    unchanged.check()


@pytest.mark.parametrize('class_weight, error, fragments', [
    ({0: 1., 1: 1., 2: 1., 5: 2.}, ValueError, ['class 5', 'probs', 'from 0 to 2']),
    ({-1: 1., 0: 1., 1: 1., 2: 1.}, ValueError, ['class -1', 'probs']),
    ({0: 1., 1: 1., 2: 1., 'cat': 2.}, TypeError, ["'cat'", 'probs', 'class indices']),
    ({0: 1., 1: 1., 2: 1., 1.5: 2.}, TypeError, ['1.5', 'probs']),
])
def test_class_weight_naming_a_class_the_output_lacks_is_refused(backend, class_weight,
                                                                 error, fragments):
    model = _classifier()
    x, y = _x(), np.array([0, 1, 2, 2, 0, 1])
    unchanged = _Unchanged(model, x, y)
    _refused(error, fragments, model.fit, x, y, class_weight=class_weight, verbose=0)
    unchanged.check()


def test_class_weight_of_a_binary_output_has_classes_0_and_1(backend):
    inp = Input((4,))
    model = Model(inp, Dense(1, activation='sigmoid', name='yes')(inp))
    model.compile('sgd', 'binary_crossentropy')
    x, y = _x(), np.array([0, 1, 1, 0, 1, 0])
    model.fit(x, y, class_weight={0: 1., 1: 3.}, verbose=0)
    _refused(ValueError, ['class 2', 'yes', 'from 0 to 1'], model.fit, x, y,
             class_weight={0: 1., 1: 3., 2: 1.}, verbose=0)


def test_class_weight_may_name_a_class_absent_from_the_data(backend):
    model = _classifier()
    model.fit(_x(), np.array([0, 1, 0, 1, 0, 1]), class_weight={0: 1., 1: 2., 2: 5.},
              verbose=0)


def test_compile_without_an_optimizer_says_what_to_pass(backend):
    model = _regressor()
    _refused(TypeError, ['optimizer', "optimizer='rmsprop'"], model.compile, loss='mse')


# ------------------------------------------------------------------------------ generators

class _Batches(Sequence):
    def __init__(self, batches):
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


def test_generator_batches_are_checked_one_by_one(backend):
    model = _classifier()
    good = (_x(2), np.array([0, 1]))
    bad = (_x(2), np.array([0, 9]))
    unchanged = _Unchanged(model)
    _refused(ValueError, ['output probs', '9'], model.fit_generator, _Batches([bad, good]),
             workers=0, verbose=0)
    unchanged.check()
    _refused(ValueError, ['output probs', '9'], model.evaluate_generator,
             _Batches([good, bad]), workers=0)
    _refused(TypeError, ['features', 'dtype object'], model.predict_generator,
             _Batches([np.full((2, 4), None, dtype=object)]), workers=0)


@pytest.mark.parametrize('arguments, error, fragments', [
    (dict(steps_per_epoch=0), ValueError, ['steps_per_epoch', '0']),
    (dict(steps_per_epoch=-1), ValueError, ['steps_per_epoch', '-1']),
    (dict(epochs=-1), ValueError, ['epochs', '-1']),
    (dict(validation_steps=0), ValueError, ['validation_steps', '0']),
    (dict(verbose=5), ValueError, ['verbose', '5']),
])
def test_generator_arguments_outside_their_domain_are_refused(backend, arguments, error,
                                                              fragments):
    model = _classifier()
    batches = _Batches([(_x(2), np.array([0, 1]))])
    _refused(error, fragments, model.fit_generator, batches, workers=0, **arguments)
    _refused(ValueError, ['steps', '0'], model.evaluate_generator, batches, steps=0,
             workers=0)
    _refused(ValueError, ['steps', '0'], model.predict_generator, batches, steps=0,
             workers=0)


# ------------------------------------------------------------------------------ shapes

@pytest.mark.parametrize('make, error, fragments', [
    (lambda: Input(shape=(2.5,)), ValueError, ['Input', '`shape`', '2.5']),
    (lambda: Input(shape=(-3, 4)), ValueError, ['Input', '`shape`', '-3']),
    (lambda: Input(shape=(0,)), ValueError, ['Input', '`shape`', '0']),
    (lambda: Input(shape=784), TypeError, ['Input', '`shape`', '784', '(784,)']),
    (lambda: Input(shape=('a', 2)), TypeError, ['Input', '`shape`', "'a'"]),
    (lambda: Input(batch_shape=(0, 3)), ValueError, ['Input', '`batch_shape`', '0']),
    (lambda: Input(batch_shape=(None, -1)), ValueError, ['`batch_shape`', '-1']),
    (lambda: Dense(2, input_shape=784), TypeError, ['dense', '`input_shape`', '(784,)']),
    (lambda: Dense(2, input_shape=(2.5,)), ValueError, ['dense', '`input_shape`', '2.5']),
    (lambda: Dense(2, input_shape=(-1,)), ValueError, ['dense', '`input_shape`', '-1']),
    (lambda: Dense(2, input_dim=0), ValueError, ['dense', '`input_shape`', '0']),
    (lambda: Dense(2, batch_input_shape=(None, -3)), ValueError,
     ['dense', '`batch_input_shape`', '-3']),
    (lambda: Dense(2, input_shape=(3,), batch_size=0), ValueError,
     ['dense', '`batch_size`', '0']),
    (lambda: Dense(2, input_shape=(3,), batch_size=1.5), ValueError, ['`batch_size`', '1.5']),
])
def test_shapes_must_hold_positive_sizes(backend, make, error, fragments):
    _refused(error, fragments, make)


def test_shapes_of_whole_numbers_and_none_are_accepted(backend):
    assert K.int_shape(Input(shape=(2.0, None))) == (None, 2, None)
    assert K.int_shape(Input(shape=[np.int64(3)])) == (None, 3)
    assert K.int_shape(Input(batch_shape=(4, 3))) == (4, 3)
    model = Sequential([Dense(2, input_shape=[3], batch_size=5)])
    assert model.layers[0].batch_input_shape == (5, 3)
