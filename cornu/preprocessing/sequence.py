"""Sequence preprocessing of Keras 2.2.4 (`keras.preprocessing.sequence`, keras_preprocessing
1.0.5): padding to a common length, skip-gram pairs for word embeddings, and batches of
windows over a time series.

Results equal Keras 2's. Where Keras 2 used the global `random` module for draws tied to a
`seed`, cornu draws from a private generator seeded with it, so a seeded call is reproducible
on its own and leaves the global generator alone.
"""
import random

import numpy as np

from ..utils.data_utils import Sequence


def pad_sequences(sequences, maxlen=None, dtype='int32', padding='pre', truncating='pre',
                  value=0.):
    """Pads sequences to the same length.

    Turns a list of `num_samples` sequences (lists of integers, or of arrays of a common
    shape) into an array of shape `(num_samples, num_timesteps) + sample_shape`, where
    `num_timesteps` is `maxlen` if given, else the length of the longest sequence.
    Shorter sequences are padded with `value`; longer ones are truncated. `padding` and
    `truncating` say at which end: `'pre'` (the default, at the start) or `'post'`.

    # Example

    ```python
        pad_sequences([[1, 2, 3], [4, 5], [6]])
        # array([[1, 2, 3],
        #        [0, 4, 5],
        #        [0, 0, 6]], dtype=int32)
        pad_sequences([[1, 2, 3], [4, 5], [6]], maxlen=2, padding='post', truncating='post')
        # array([[1, 2],
        #        [4, 5],
        #        [6, 0]], dtype=int32)
    ```

    # Arguments
        sequences: list of sequences (each a list or array; they may differ in length and
            may be empty).
        maxlen: int, length of the output sequences; `None` uses the longest sequence.
        dtype: type of the output array (use `object` for variable-length strings).
        padding: `'pre'` or `'post'`: pad before or after each sequence.
        truncating: `'pre'` or `'post'`: drop values from the start or the end of
            sequences longer than `maxlen`.
        value: padding value (float or string).

    # Returns
        NumPy array of shape `(len(sequences), maxlen) + sample_shape`.

    # Raises
        ValueError: for invalid `truncating` or `padding`, an entry that is not a sequence,
            entries whose elements differ in shape, or a string `value` with a `dtype`
            that cannot hold it.
    """
    if not hasattr(sequences, '__len__'):
        raise ValueError('`sequences` must be iterable.')
    num_samples = len(sequences)

    lengths = []
    sample_shape = ()
    found_shape = False
    for x in sequences:
        if not hasattr(x, '__len__'):
            raise ValueError('`sequences` must be a list of iterables. '
                             'Found non-iterable: ' + str(x))
        lengths.append(len(x))
        # The shape of one element comes from the first non-empty sequence; the others are
        # checked against it below.
        if not found_shape and len(x):
            sample_shape = np.asarray(x).shape[1:]
            found_shape = True

    if maxlen is None:
        # Keras 2 fails on an empty list here (max of nothing); cornu returns (0, 0).
        maxlen = int(np.max(lengths)) if lengths else 0

    if isinstance(value, str) and np.dtype(dtype).kind not in ('O', 'U', 'S'):
        raise ValueError("`dtype` {} is not compatible with `value`'s type: {}\n"
                         "You should set `dtype=object` for variable length strings."
                         .format(dtype, type(value)))
    if truncating not in ('pre', 'post'):
        raise ValueError('Truncating type "%s" not understood' % truncating)
    if padding not in ('pre', 'post'):
        raise ValueError('Padding type "%s" not understood' % padding)

    x = np.full((num_samples, maxlen) + sample_shape, value, dtype=dtype)
    for idx, s in enumerate(sequences):
        if not len(s):
            continue  # an empty sequence is all padding
        if truncating == 'pre':
            trunc = s[max(len(s) - maxlen, 0):]
        else:
            trunc = s[:maxlen]
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError('Shape of sample %s of sequence at position %s '
                             'is different from expected shape %s' %
                             (trunc.shape[1:], idx, sample_shape))
        if not len(trunc):
            continue
        if padding == 'post':
            x[idx, :len(trunc)] = trunc
        else:
            x[idx, -len(trunc):] = trunc
    return x


def make_sampling_table(size, sampling_factor=1e-5):
    """Generates a word rank-based probabilistic sampling table.

    Used as the `sampling_table` argument of `skipgrams`: `sampling_table[i]` is the
    probability of keeping the i-th most common word of a dataset, so that frequent words
    are sampled less often. It follows word2vec's rule

    `p(word) = min(1, sqrt(word_frequency / sampling_factor) / (word_frequency / sampling_factor))`

    with word frequencies approximated by Zipf's law (s=1):

    `frequency(rank) ~ 1 / (rank * (log(rank) + gamma) + 1/2 - 1/(12 * rank))`

    where `gamma` is the Euler-Mascheroni constant (0.577, as in Keras 2).

    # Arguments
        size: int, number of possible words to sample.
        sampling_factor: the sampling factor of the word2vec formula.

    # Returns
        A 1D NumPy array of length `size` whose i-th entry is the probability that a word
        of rank i is sampled (rank 0 is treated as rank 1).
    """
    gamma = 0.577
    rank = np.arange(size)
    if size:
        rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1. / (12. * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1., f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1., shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """Generates skipgram word pairs.

    Turns a sequence of word indices (list of integers) into pairs of words:

    - `(word, word in the same window)`, with label 1 (positive samples);
    - `(word, random word from the vocabulary)`, with label 0 (negative samples).

    See Mikolov et al., [Efficient Estimation of Word Representations in Vector Space](
    http://arxiv.org/pdf/1301.3781v3.pdf).

    # Arguments
        sequence: a word sequence (sentence), encoded as a list of word indices
            (integers). With a `sampling_table`, indices are expected to be the ranks of
            the words in a reference dataset (e.g. 10 encodes the 10th most frequent
            token). Index 0 is a non-word and is skipped.
        vocabulary_size: int, maximum possible word index + 1.
        window_size: int, size of the sampling windows (technically half-window): the
            window of word `w_i` is `[i - window_size, i + window_size + 1]`.
        negative_samples: float >= 0: 0 for no negative (random) samples, 1 for as many
            as positive samples.
        shuffle: whether to shuffle the pairs before returning them.
        categorical: if False, labels are integers (`[0, 1, 1, ...]`); if True they are
            one-hot (`[[1, 0], [0, 1], [0, 1], ...]`).
        sampling_table: 1D array of size `vocabulary_size` whose entry i is the
            probability of sampling the word of rank i.
        seed: random seed. When given, every draw (sampling table, negative samples,
            shuffling) comes from a generator seeded with it; otherwise from Python's
            global `random` module, as in Keras 2.

    # Returns
        couples, labels: `couples` is a list of `[word, context]` integer pairs and
        `labels` the list of their labels (0/1, or one-hot when `categorical`).

    # Note
        By convention, index 0 in the vocabulary is a non-word and is skipped.
    """
    rng = random if seed is None else random.Random(seed)
    couples = []
    labels = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None:
            if sampling_table[wi] < rng.random():
                continue
        window_start = max(0, i - window_size)
        window_end = min(len(sequence), i + window_size + 1)
        for j in range(window_start, window_end):
            if j != i:
                wj = sequence[j]
                if not wj:
                    continue
                couples.append([wi, wj])
                labels.append([0, 1] if categorical else 1)

    if negative_samples > 0:
        num_negative_samples = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        rng.shuffle(words)
        couples += [[words[i % len(words)], rng.randint(1, vocabulary_size - 1)]
                    for i in range(num_negative_samples)]
        if categorical:
            labels += [[1, 0]] * num_negative_samples
        else:
            labels += [0] * num_negative_samples

    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        # The same seed twice gives the same permutation of couples and labels.
        random.Random(seed).shuffle(couples)
        random.Random(seed).shuffle(labels)

    return couples, labels


def _remove_long_seq(maxlen, seq, label):
    """Removes sequences whose length is `maxlen` or more (used by the IMDB and Reuters
    dataset loaders).

    # Arguments
        maxlen: int, maximum length of the kept sequences (exclusive).
        seq: list of sequences.
        label: list of the labels of `seq`.

    # Returns
        new_seq, new_label: the kept sequences and their labels.
    """
    new_seq, new_label = [], []
    for x, y in zip(seq, label):
        if len(x) < maxlen:
            new_seq.append(x)
            new_label.append(y)
    return new_seq, new_label


class TimeseriesGenerator(Sequence):
    """Utility class for generating batches of temporal data.

    Takes a sequence of data points gathered at equal intervals, along with time series
    parameters such as stride and length of history, and produces batches of windows for
    training or validation. Sample `i` of a batch is the window
    `data[row - length:row:sampling_rate]` with target `targets[row]`, where rows go from
    `start_index + length` to `end_index` by `stride`.

    # Arguments
        data: indexable data (list or NumPy array) of consecutive data points
            (timesteps); axis 0 is time.
        targets: targets corresponding to the timesteps of `data`; same length as `data`.
        length: length of the output sequences (in number of timesteps).
        sampling_rate: period between successive timesteps within a sequence: with rate
            `r`, timesteps `data[i]`, `data[i - r]`, ..., `data[i - length]` make a
            sequence.
        stride: period between successive output sequences: with stride `s`,
            consecutive samples are centred on `data[i]`, `data[i + s]`,
            `data[i + 2 * s]`, etc.
        start_index: data points earlier than `start_index` are not used in the output
            sequences (e.g. to keep part of the data for testing or validation).
        end_index: data points later than `end_index` are not used (default: the last).
        shuffle: whether to draw the output samples at random (each batch draws
            `batch_size` rows with replacement, from NumPy's global generator) instead of
            in chronological order.
        reverse: if True, the timesteps of each output sample are in reverse
            chronological order.
        batch_size: number of timeseries samples in each batch (except perhaps the last).

    # Returns
        A `Sequence` whose items are tuples `(x, y)`.

    # Raises
        ValueError: if `data` and `targets` differ in length, or no timestep is left
            between `start_index + length` and `end_index`.

    # Example

    ```python
        from cornu.preprocessing.sequence import TimeseriesGenerator
        import numpy as np

        data = np.array([[i] for i in range(50)])
        targets = np.array([[i] for i in range(50)])

        data_gen = TimeseriesGenerator(data, targets, length=10, sampling_rate=2,
                                       batch_size=2)
        assert len(data_gen) == 20

        x, y = data_gen[0]
        assert np.array_equal(x, np.array([[[0], [2], [4], [6], [8]],
                                           [[1], [3], [5], [7], [9]]]))
        assert np.array_equal(y, np.array([[10], [11]]))
    ```
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError('Data and targets have to be of same length. '
                             'Data length is {}'.format(len(data)) +
                             ' while target length is {}'.format(len(targets)))
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        if end_index is None:
            end_index = len(data) - 1
        self.end_index = end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size

        if self.start_index > self.end_index:
            raise ValueError('`start_index+length=%i > end_index=%i` '
                             'is disallowed, as no part of the sequence '
                             'would be left to be used as current step.'
                             % (self.start_index, self.end_index))

    def __len__(self):
        step = self.batch_size * self.stride
        return (self.end_index - self.start_index + step) // step

    def _rows(self, index):
        if self.shuffle:
            return np.random.randint(self.start_index, self.end_index + 1,
                                     size=self.batch_size)
        i = self.start_index + self.batch_size * self.stride * index
        return np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1),
                         self.stride)

    def __getitem__(self, index):
        rows = self._rows(index)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate]
                            for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets
