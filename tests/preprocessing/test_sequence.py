"""cornu.preprocessing.sequence against Keras 2.2.4's documented behaviour: pad_sequences,
skipgrams, make_sampling_table (Zipf formula written here) and TimeseriesGenerator."""
import math

import numpy as np
import pytest

from cornu.preprocessing import sequence
from cornu.preprocessing.sequence import (TimeseriesGenerator, make_sampling_table,
                                          pad_sequences, skipgrams)
from cornu.utils.data_utils import Sequence


# ------------------------------------------------------------------------------------------
# pad_sequences
# ------------------------------------------------------------------------------------------

RAGGED = [[1], [1, 2], [1, 2, 3]]


@pytest.mark.parametrize('kwargs, expected', [
    (dict(maxlen=3, padding='pre'), [[0, 0, 1], [0, 1, 2], [1, 2, 3]]),
    (dict(maxlen=3, padding='post'), [[1, 0, 0], [1, 2, 0], [1, 2, 3]]),
    (dict(maxlen=2, truncating='pre'), [[0, 1], [1, 2], [2, 3]]),
    (dict(maxlen=2, truncating='post'), [[0, 1], [1, 2], [1, 2]]),
    (dict(maxlen=2, padding='post', truncating='post'), [[1, 0], [1, 2], [1, 2]]),
    (dict(maxlen=3, value=1), [[1, 1, 1], [1, 1, 2], [1, 2, 3]]),
    (dict(), [[0, 0, 1], [0, 1, 2], [1, 2, 3]]),  # maxlen = longest sequence
    (dict(maxlen=5), [[0, 0, 0, 0, 1], [0, 0, 0, 1, 2], [0, 0, 1, 2, 3]]),
])
def test_pad_sequences_documented_examples(kwargs, expected):
    padded = pad_sequences(RAGGED, **kwargs)
    assert padded.dtype == np.int32
    np.testing.assert_array_equal(padded, expected)


def test_pad_sequences_dtype_value_and_arrays():
    padded = pad_sequences([np.array([1, 2]), [3]], dtype='float32', value=-1.5)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded, [[1, 2], [-1.5, 3]])
    # int32 default truncates float values, as Keras 2.
    np.testing.assert_array_equal(pad_sequences([[1.7, 2.2]]), [[1, 2]])


def test_pad_sequences_empty_sequences():
    padded = pad_sequences([[], [1, 2], []], maxlen=3)
    np.testing.assert_array_equal(padded, [[0, 0, 0], [0, 1, 2], [0, 0, 0]])
    np.testing.assert_array_equal(pad_sequences([[], []]), np.zeros((2, 0)))
    assert pad_sequences([]).shape == (0, 0)
    np.testing.assert_array_equal(pad_sequences([[1, 2]], maxlen=0), np.zeros((1, 0)))


def test_pad_sequences_vector_samples():
    a = [np.ones((1, 2)), np.full((3, 2), 2.), np.zeros((0, 2))]
    padded = pad_sequences(a, maxlen=2, dtype='float32', padding='post')
    assert padded.shape == (3, 2, 2)
    np.testing.assert_array_equal(padded[0], [[1, 1], [0, 0]])
    np.testing.assert_array_equal(padded[1], [[2, 2], [2, 2]])
    np.testing.assert_array_equal(padded[2], np.zeros((2, 2)))


def test_pad_sequences_strings():
    padded = pad_sequences([['a', 'b'], ['c']], dtype=object, value='<pad>')
    assert padded.tolist() == [['a', 'b'], ['<pad>', 'c']]
    padded = pad_sequences([['aa'], ['b', 'c']], dtype='<U5', value='x', padding='post')
    assert padded.tolist() == [['aa', 'x'], ['b', 'c']]


def test_pad_sequences_errors():
    with pytest.raises(ValueError) as e:
        pad_sequences([[1]], value='x')
    assert str(e.value) == ("`dtype` int32 is not compatible with `value`'s type: "
                            "<class 'str'>\nYou should set `dtype=object` for variable "
                            "length strings.")
    with pytest.raises(ValueError, match='Truncating type "middle" not understood'):
        pad_sequences(RAGGED, maxlen=2, truncating='middle')
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        pad_sequences(RAGGED, padding='middle')
    with pytest.raises(ValueError, match='`sequences` must be iterable.'):
        pad_sequences(5)
    with pytest.raises(ValueError, match='must be a list of iterables. Found non-iterable: 3'):
        pad_sequences([[1], 3])
    with pytest.raises(ValueError, match=r'Shape of sample \(3,\) of sequence at position 1 '
                                         r'is different from expected shape \(2,\)'):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))])


# ------------------------------------------------------------------------------------------
# make_sampling_table and skipgrams
# ------------------------------------------------------------------------------------------

def _zipf_sampling_probability(rank, sampling_factor):
    """word2vec's keep probability with Zipf frequencies, as Keras 2 documents it."""
    rank = max(rank, 1)
    gamma = 0.577  # Euler-Mascheroni constant, rounded as in Keras 2
    frequency = 1. / (rank * (math.log(rank) + gamma) + 0.5 - 1. / (12. * rank))
    ratio = frequency / sampling_factor
    return min(1., math.sqrt(ratio) / ratio)


@pytest.mark.parametrize('size, factor', [(10, 1e-5), (1000, 1e-3), (5, 0.5)])
def test_make_sampling_table_zipf(size, factor):
    table = make_sampling_table(size, sampling_factor=factor)
    assert table.shape == (size,)
    expected = [_zipf_sampling_probability(r, factor) for r in range(size)]
    np.testing.assert_allclose(table, expected, rtol=1e-12)
    assert table[0] == table[1]
    assert np.all(np.diff(table) >= 0)  # rarer words are kept more often


def test_make_sampling_table_known_value():
    # rank 1: 1 * (0 + 0.577) + 0.5 - 1/12 = 0.993666..., p = sqrt(1e-5 * 0.993666...)
    np.testing.assert_allclose(make_sampling_table(3)[1], 0.0031522, rtol=1e-4)


def test_skipgrams_positive_pairs_without_shuffle():
    couples, labels = skipgrams([1, 2, 3, 4], vocabulary_size=5, window_size=1,
                                negative_samples=0., shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2], [3, 4], [4, 3]]
    assert labels == [1] * 6


def test_skipgrams_skips_index_zero():
    couples, labels = skipgrams([0, 1, 0, 2], vocabulary_size=3, window_size=2,
                                negative_samples=0., shuffle=False)
    assert couples == [[1, 2], [2, 1]]
    assert labels == [1, 1]


def test_skipgrams_negative_samples_structure_and_seed():
    seq = [1, 2, 3, 4, 5, 6]
    couples, labels = skipgrams(seq, vocabulary_size=10, window_size=2, seed=7)
    positives, _ = skipgrams(seq, vocabulary_size=10, window_size=2, negative_samples=0.,
                             shuffle=False)
    assert len(couples) == len(labels) == 2 * len(positives)
    assert labels.count(1) == labels.count(0) == len(positives)
    positive_set = {tuple(c) for c in positives}
    first_words = {c[0] for c in positives}
    for couple, label in zip(couples, labels):
        if label == 1:
            assert tuple(couple) in positive_set
        else:
            assert couple[0] in first_words and 1 <= couple[1] <= 9
    # Shuffled: not simply positives then negatives.
    assert labels != [1] * len(positives) + [0] * len(positives)
    assert (couples, labels) == skipgrams(seq, vocabulary_size=10, window_size=2, seed=7)


def test_skipgrams_categorical_and_ratio():
    couples, labels = skipgrams(np.arange(5), vocabulary_size=5, window_size=1,
                                negative_samples=0.5, categorical=True, seed=3)
    # Word 0 is skipped: positives are (1,2),(2,1),(2,3),(3,2),(3,4),(4,3); 3 negatives.
    assert len(couples) == 9
    assert sorted(map(tuple, labels)) == [(0, 1)] * 6 + [(1, 0)] * 3
    for couple in couples:
        assert abs(couple[0] - couple[1]) <= 4


def test_skipgrams_sampling_table():
    seq = [1, 2, 3, 4]
    none, _ = skipgrams(seq, 5, sampling_table=np.zeros(5), negative_samples=0., seed=1)
    assert none == []
    all_, _ = skipgrams(seq, 5, sampling_table=np.ones(5), negative_samples=0., seed=1)
    assert len(all_) == 12


def test_remove_long_seq():
    seqs, labels = sequence._remove_long_seq(3, [[1], [1, 2, 3], [1, 2]], ['a', 'b', 'c'])
    assert seqs == [[1], [1, 2]] and labels == ['a', 'c']


# ------------------------------------------------------------------------------------------
# TimeseriesGenerator
# ------------------------------------------------------------------------------------------

DATA = np.array([[i] for i in range(50)])


def test_timeseries_generator_documented_example():
    gen = TimeseriesGenerator(DATA, DATA, length=10, sampling_rate=2, batch_size=2)
    assert isinstance(gen, Sequence)
    assert len(gen) == 20
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]])
    np.testing.assert_array_equal(y, [[10], [11]])
    x, y = gen[19]
    np.testing.assert_array_equal(x, [[[38], [40], [42], [44], [46]],
                                      [[39], [41], [43], [45], [47]]])
    np.testing.assert_array_equal(y, [[48], [49]])


def test_timeseries_generator_reverse():
    gen = TimeseriesGenerator(DATA, DATA, length=10, sampling_rate=2, reverse=True,
                              batch_size=2)
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[8], [6], [4], [2], [0]], [[9], [7], [5], [3], [1]]])
    np.testing.assert_array_equal(y, [[10], [11]])


def test_timeseries_generator_start_end_index():
    gen = TimeseriesGenerator(DATA, DATA, length=10, sampling_rate=2, start_index=10,
                              end_index=30, batch_size=2)
    assert len(gen) == 6
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[10], [12], [14], [16], [18]],
                                      [[11], [13], [15], [17], [19]]])
    np.testing.assert_array_equal(y, [[20], [21]])
    x, y = gen[5]
    np.testing.assert_array_equal(y, [[30]])  # last, partial batch ends at end_index


def test_timeseries_generator_stride():
    data = np.arange(50, dtype='float32').reshape(50, 1, 1)
    gen = TimeseriesGenerator(data, data[:, 0, 0] * 10, length=10, sampling_rate=2,
                              start_index=10, end_index=30, stride=2, batch_size=2)
    assert len(gen) == 3
    x, y = gen[0]
    assert x.shape == (2, 5, 1, 1)
    np.testing.assert_array_equal(x[:, :, 0, 0], [[10, 12, 14, 16, 18], [12, 14, 16, 18, 20]])
    np.testing.assert_array_equal(y, [200, 220])
    x, y = gen[2]
    np.testing.assert_array_equal(y, [280, 300])


def test_timeseries_generator_partial_last_batch_and_lists():
    gen = TimeseriesGenerator(list(range(20)), list(range(100, 120)), length=3,
                              batch_size=8)
    assert len(gen) == 3  # rows 3..19: 8 + 8 + 1
    x, y = gen[2]
    np.testing.assert_array_equal(x, [[16, 17, 18]])
    np.testing.assert_array_equal(y, [119])


def test_timeseries_generator_shuffle():
    np.random.seed(0)
    gen = TimeseriesGenerator(DATA, DATA, length=10, sampling_rate=2, shuffle=True,
                              batch_size=16)
    x, y = gen[0]
    assert x.shape == (16, 5, 1) and y.shape == (16, 1)
    rows = y[:, 0]
    assert np.all((rows >= 10) & (rows <= 49))
    for sample, row in zip(x[:, :, 0], rows):
        np.testing.assert_array_equal(sample, np.arange(row - 10, row, 2))
    assert not np.array_equal(rows, np.arange(10, 26))


def test_timeseries_generator_errors():
    with pytest.raises(ValueError) as e:
        TimeseriesGenerator(np.arange(5), np.arange(5), length=10)
    assert str(e.value) == ('`start_index+length=10 > end_index=4` is disallowed, as no part '
                            'of the sequence would be left to be used as current step.')
    with pytest.raises(ValueError, match='Data and targets have to be of same length. Data '
                                         'length is 50 while target length is 51'):
        TimeseriesGenerator(DATA, np.arange(51), length=10)


def test_timeseries_generator_feeds_fit_generator():
    import cornu
    t = np.linspace(0, 8 * np.pi, 200).astype('float32')
    data = np.sin(t)[:, None]
    gen = TimeseriesGenerator(data, data, length=6, batch_size=32)
    model = cornu.models.Sequential([cornu.layers.Flatten(input_shape=(6, 1)),
                                     cornu.layers.Dense(1)])
    model.compile('adam', 'mse')
    history = model.fit_generator(gen, epochs=3, verbose=0)
    assert len(history.history['loss']) == 3
    assert history.history['loss'][-1] < history.history['loss'][0]
    predictions = model.predict_generator(gen)
    assert predictions.shape == (200 - 6, 1)
