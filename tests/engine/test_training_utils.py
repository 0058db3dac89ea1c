"""Keras 2.2.4's `keras.engine.training_utils` names, and the `Model` internals that code
written for Keras 2 calls (`_set_inputs`, `_make_train_function`, ...)."""
import warnings

import numpy as np
import pytest
from scipy import sparse

from cornu import backend as K
from cornu import engine
from cornu import losses
from cornu import utils
from cornu.engine import training_utils
from cornu.layers import Activation, Concatenate, Dense, Dropout, Input
from cornu.models import Model, Sequential


# ---------------------------------------------------------------------- names


def test_the_keras2_names_are_importable():
    from cornu.engine import get_source_inputs
    from cornu.utils import h5dict, print_summary, convert_all_kernels_in_model  # noqa: F401
    assert get_source_inputs is utils.get_source_inputs
    from cornu.engine.network import get_source_inputs as in_network
    assert in_network is get_source_inputs
    for name in ['make_batches', 'weighted_masked_objective', 'check_array_length_consistency',
                 'check_loss_and_target_compatibility', 'standardize_input_data',
                 'standardize_single_array', 'standardize_sample_or_class_weights',
                 'standardize_class_weights', 'standardize_sample_weights', 'collect_metrics',
                 'batch_shuffle', 'standardize_weights', 'check_num_samples',
                 'iter_sequence_infinite']:
        assert callable(getattr(training_utils, name)), name


def test_engine_get_source_inputs_walks_back_to_the_input():
    a = Input(shape=(3,))
    b = Dense(2)(Dense(4)(a))
    assert engine.get_source_inputs(b) == [a]


# ---------------------------------------------------------------------- make_batches


@pytest.mark.parametrize('size,batch_size', [(10, 3), (9, 3), (1, 5), (0, 4)])
def test_make_batches_covers_every_index_once(size, batch_size):
    batches = training_utils.make_batches(size, batch_size)
    covered = [i for start, stop in batches for i in range(start, stop)]
    assert covered == list(range(size))
    assert len(batches) == -(-size // batch_size)
    assert all(stop - start == batch_size for start, stop in batches[:-1])


# ---------------------------------------------------------------------- array lengths


def test_check_array_length_consistency_accepts_matching_lengths():
    a = np.zeros((4, 3, 3))
    training_utils.check_array_length_consistency(None, None, None)
    training_utils.check_array_length_consistency(a, a, a)
    training_utils.check_array_length_consistency([a, a], [a, a], [a, a])
    training_utils.check_array_length_consistency([None], [None], [None])


@pytest.mark.parametrize('inputs,targets,weights', [
    ('a', None, None),          # inputs without targets: 4 samples against 0
    ('a', 'a', None),           # targets without weights
    (['a'], [None], None),
    (['a'], ['b'], None),       # 4 samples against 3
    (['a'], None, ['b']),
    (['a', 'b'], ['a'], ['a']),  # two inputs of different lengths
])
def test_check_array_length_consistency_raises_on_different_lengths(inputs, targets, weights):
    arrays = {'a': np.zeros((4, 3, 3)), 'b': np.zeros((3, 4))}

    def pick(x):
        if x is None:
            return None
        if isinstance(x, list):
            return [None if v is None else arrays[v] for v in x]
        return arrays[x]

    with pytest.raises(ValueError, match='samples'):
        training_utils.check_array_length_consistency(pick(inputs), pick(targets),
                                                      pick(weights))


# ---------------------------------------------------------------------- losses and targets


def test_check_loss_and_target_compatibility():
    a = np.zeros((2, 1, 3))
    training_utils.check_loss_and_target_compatibility(
        [a], [losses.categorical_crossentropy], [a.shape])
    training_utils.check_loss_and_target_compatibility(
        [a], [losses.categorical_crossentropy], [(2, None, 3)])
    # Integer labels (last axis 1) with categorical_crossentropy, even for a 1-unit output.
    labels = np.zeros((2, 3, 1))
    with pytest.raises(ValueError, match='You are passing a target array'):
        training_utils.check_loss_and_target_compatibility(
            [labels], [losses.categorical_crossentropy], [labels.shape])
    with pytest.raises(ValueError, match='targets to have the same shape'):
        training_utils.check_loss_and_target_compatibility(
            [np.zeros((2, 3, 5))], [losses.mean_squared_error], [(2, 3, 6)])
    # Other losses are not checked.
    training_utils.check_loss_and_target_compatibility(
        [np.zeros((2, 3, 5))], [losses.mean_absolute_error], [(2, 3, 6)])


def test_weighted_masked_objective_matches_numpy():
    weighted = training_utils.weighted_masked_objective(losses.mean_absolute_error)
    x = np.arange(24, dtype='float64').reshape((3, 4, 2))
    y = 2 * x
    weights = np.array([1., 0., 2.])
    mask = np.ones((3, 4))
    mask[1, 0] = 0
    mask[2, 3] = 0
    out = K.eval(weighted(K.variable(x), K.variable(y), K.variable(weights), K.variable(mask)))

    score = np.mean(np.abs(y - x), axis=-1) * mask / mask.mean()
    score = score.mean(axis=1) * weights / np.mean(weights != 0)
    np.testing.assert_allclose(out, score.mean(), rtol=1e-5)


def test_weighted_masked_objective_on_symbolic_tensors_and_none():
    a = Input(shape=(3,))
    result = training_utils.weighted_masked_objective(losses.categorical_crossentropy)(a, a, None)
    assert K.int_shape(result) == ()
    assert training_utils.weighted_masked_objective(None) is None


# ---------------------------------------------------------------------- weights per output


def test_standardize_sample_or_class_weights():
    names = ['a', 'b']
    w = np.ones(3)
    assert training_utils.standardize_sample_weights(None, names) == [None, None]
    assert training_utils.standardize_sample_weights([w, None], names)[0] is w
    assert training_utils.standardize_sample_weights({'b': w}, names) == [None, w]
    assert training_utils.standardize_sample_weights(w, ['a'])[0] is w
    assert training_utils.standardize_sample_weights({'a': w}, ['a'])[0] is w
    with pytest.raises(ValueError, match='list of 1 elements'):
        training_utils.standardize_sample_weights([w], names)
    with pytest.raises(TypeError, match='either a list or a dict'):
        training_utils.standardize_sample_weights((w, w), names)
    # A class_weight dict keyed by class, not by output, applies to every output.
    class_weight = {0: 1., 1: 3.}
    assert training_utils.standardize_class_weights(class_weight, names) == \
        [class_weight, class_weight]


def test_train_on_batch_rejects_a_tuple_of_sample_weights_for_two_outputs():
    model = _two_output_model()
    model.compile('sgd', 'mse')
    x, y = [np.zeros((4, 3))] * 2, [np.zeros((4, 4)), np.zeros((4, 3))]
    with pytest.raises(TypeError, match='sample_weight'):
        model.train_on_batch(x, y, sample_weight=(np.ones(4), np.ones(4)))
    with pytest.raises(ValueError, match='sample_weight'):
        model.train_on_batch(x, y, sample_weight=[np.ones(4), np.ones(2)])


def test_check_num_samples():
    assert training_utils.check_num_samples([np.zeros((5, 2))], batch_size=2) == 5
    assert training_utils.check_num_samples([np.zeros((5, 2))], steps=3) == 5
    assert training_utils.check_num_samples([Input(shape=(2,))], steps=3) is None
    with pytest.raises(ValueError, match='steps'):
        training_utils.check_num_samples([Input(shape=(2,))], batch_size=2)
    with pytest.raises(ValueError, match='batch_size'):
        training_utils.check_num_samples([np.zeros((5, 2))], batch_size=2, steps=3)


def test_iter_sequence_infinite_starts_over():
    iterator = training_utils.iter_sequence_infinite([1, 2])
    assert [next(iterator) for _ in range(5)] == [1, 2, 1, 2, 1]


# ---------------------------------------------------------------------- compile checks


def _two_output_model():
    a = Input(shape=(3,), name='input_a')
    b = Input(shape=(3,), name='input_b')
    return Model([a, b], [Dense(4, name='dense_1')(a), Dropout(0.5, name='dropout')(b)])


def test_compile_wants_every_output_with_a_loss_in_a_sample_weight_mode_dict():
    model = _two_output_model()
    with pytest.raises(ValueError, match='"dropout" missing from sample_weight_modes'):
        model.compile('sgd', loss='mse', sample_weight_mode={'dense_1': None})
    model.compile('sgd', loss='mse', sample_weight_mode={'dense_1': None, 'dropout': None})


def test_target_tensors_arguments_are_checked():
    model = Sequential([Dense(4, input_shape=(4,), name='dense')])
    target = K.variable(np.zeros((10, 4)))
    with pytest.raises(TypeError, match='target_tensors'):
        model.compile('sgd', 'mse', target_tensors=set())
    with pytest.raises(ValueError, match='target_tensors'):
        model.compile('sgd', 'mse', target_tensors=[target, target])
    with pytest.raises(ValueError, match='dense2'):
        model.compile('sgd', 'mse', target_tensors={'dense2': None})
    model.compile('sgd', 'mse', target_tensors=[target])
    with pytest.raises(ValueError, match='expected no data'):
        model.train_on_batch(np.zeros((10, 4)), np.zeros((10, 4)))
    model.train_on_batch(np.zeros((10, 4)), None)
    # A placeholder as target tensor still takes its data from `y`, as in Keras 2.
    model.compile('sgd', 'mse', target_tensors=[K.placeholder((10, 4))])
    model.train_on_batch(np.zeros((10, 4)), np.zeros((10, 4)))

    two = _two_output_model()
    with pytest.raises(ValueError, match='but you passed a single tensor'):
        two.compile('sgd', 'mse', target_tensors=target)
    with pytest.raises(ValueError, match='you passed target_tensors='):
        two.compile('sgd', 'mse', target_tensors=[target])


# ---------------------------------------------------------------------- sparse data


def test_fit_evaluate_predict_on_scipy_sparse_matrices():
    rng = np.random.RandomState(0)
    x = [sparse.random(6, 3, density=0.5, random_state=rng).tocsr() for _ in range(2)]
    y = [sparse.random(6, n, density=0.5, random_state=rng).tocsr() for n in (3, 4)]
    in1, in2 = Input(shape=(3,)), Input(shape=(3,))
    dense = Dense(4, kernel_initializer='ones', bias_initializer='zeros')
    model = Model([in1, in2], [Activation('linear')(in1), dense(in2)])
    first, second = model.predict(x, batch_size=4)
    np.testing.assert_allclose(first, x[0].toarray(), rtol=1e-6)
    np.testing.assert_allclose(second, x[1].toarray().sum(axis=1, keepdims=True) *
                               np.ones((1, 4)), rtol=1e-5)
    model.compile('sgd', 'mse')
    model.fit(x, y, epochs=1, batch_size=2, validation_split=0.5, verbose=0)
    kernel, bias = dense.get_weights()
    loss = model.evaluate(x, y, batch_size=2, verbose=0)
    dense_x = [m.toarray() for m in x]
    dense_y = [m.toarray() for m in y]
    expected_a = np.mean((dense_x[0] - dense_y[0]) ** 2)
    expected_b = np.mean((dense_x[1] @ kernel + bias - dense_y[1]) ** 2)
    np.testing.assert_allclose(loss, [expected_a + expected_b, expected_a, expected_b],
                               rtol=1e-4)


# ---------------------------------------------------------------------- trainable flags


def test_trainable_discrepancy_warns_on_summary_and_fit_until_recompiled():
    a = Input(shape=(3,))
    inner = Model(a, Dense(1)(a))
    inner.trainable = False
    b = Input(shape=(3,))
    outer = Model(b, Dense(1)(inner(b)))
    outer.compile('adam', 'mse')
    inner.trainable = True

    def discrepancy_warnings(run):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            run()
        return [w for w in caught if 'Discrepancy' in str(w.message)]

    assert discrepancy_warnings(lambda: outer.summary(print_fn=lambda line: None))
    assert discrepancy_warnings(lambda: outer.fit(np.zeros((5, 3)), np.zeros((5, 1)),
                                                  verbose=0))
    outer.compile('adam', 'mse')
    assert not discrepancy_warnings(lambda: outer.summary(print_fn=lambda line: None))


# ---------------------------------------------------------------------- Keras 2 internals


def test_set_inputs_restores_a_functional_models_inputs():
    base = Sequential([Dense(16, input_dim=32), Activation('relu')])
    model = Model(inputs=base.inputs, outputs=base.outputs)
    with pytest.raises(ValueError, match='already set'):
        model._set_inputs(base.inputs)
    x = np.random.random((2, 32))
    expected = np.maximum(x @ base.layers[0].get_weights()[0] + base.layers[0].get_weights()[1],
                          0)
    model.inputs = None
    model._set_inputs(base.input)
    # (An absolute tolerance too: float32 sums of 32 products that cancel to near zero.)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)

    other = Input(shape=(32,))
    model.inputs = None
    with pytest.raises(ValueError, match='fixed by its graph'):
        model._set_inputs(other)

    aux = Input(shape=(5,))
    joined = Model(base.inputs + [aux], Concatenate()(base.outputs + [Dense(3)(aux)]))
    joined.inputs = None
    joined._set_inputs(base.inputs + [aux])
    assert joined.predict([x, np.zeros((2, 5))]).shape == (2, 19)


def test_set_inputs_builds_a_sequential_model():
    model = Sequential([Dense(2)])
    model._set_inputs(Input(shape=(7,)))
    assert model.built
    assert model.layers[0].get_weights()[0].shape == (7, 2)


def test_make_functions_need_a_compiled_model():
    model = Sequential([Dense(2, input_shape=(3,)), Dense(3)])
    model._make_predict_function()
    with pytest.raises(RuntimeError, match='compile'):
        model._make_train_function()
    with pytest.raises(RuntimeError, match='compile'):
        model._make_test_function()
    model.compile('sgd', 'mse')
    model._make_train_function()
    model._make_test_function()


# ---------------------------------------------------------------------- Sequence reads


class _LoggedSequence(utils.Sequence):
    """Batches of zeros; records every index read."""

    def __init__(self, batches):
        self.batches = batches
        self.reads = []

    def __len__(self):
        return self.batches

    def __getitem__(self, index):
        self.reads.append(index)
        return np.zeros((2, 3)), np.zeros((2, 1))


def test_fit_generator_reads_each_batch_of_a_sequence_once_per_epoch():
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile('sgd', 'mse')
    train, val = _LoggedSequence(3), _LoggedSequence(4)
    model.fit_generator(train, epochs=5, validation_data=val, max_queue_size=2, verbose=0)
    assert sorted(train.reads) == sorted(list(range(3)) * 5)
    assert sorted(val.reads) == sorted(list(range(4)) * 5)


def test_ordered_enqueuer_reads_no_epoch_that_is_not_asked_for():
    sequence = _LoggedSequence(3)
    enqueuer = utils.OrderedEnqueuer(sequence)
    enqueuer.start(workers=2, max_queue_size=10)
    batches = enqueuer.get()
    for _ in range(6):
        next(batches)
    enqueuer.stop()
    assert sorted(sequence.reads) == [0, 0, 1, 1, 2, 2]
