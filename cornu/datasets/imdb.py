"""IMDB movie-review sentiment (Keras 2.2.4's `keras.datasets.imdb`)."""
import json

import numpy as np

from ..utils.data_utils import get_file
from ._common import (legacy_num_words, limit_vocabulary, load_npz, object_array,
                      remove_long_seq, shift_indices)


def load_data(path='imdb.npz', num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads the IMDB dataset: 25,000 training and 25,000 test movie reviews, labelled by
    sentiment (1 positive, 0 negative), each a list of word indices.

    Words are indexed by overall frequency (index 1 is the most frequent word) and then
    shifted by `index_from`, which leaves 0 for padding, `start_char` to mark the start of a
    review and `oov_char` for words cut out by `num_words` or `skip_top`.

    # Arguments
        path: where the data is cached (relative to `~/.keras/datasets`).
        num_words: keep word indices (after shifting) below `num_words`, i.e. the most
            frequent words; `None` keeps all.
        skip_top: word indices (after shifting) below this become `oov_char`.
        maxlen: drop the reviews with `maxlen` words or more (`None`: keep all).
        seed: random seed for shuffling the reviews (the same order as Keras 2).
        start_char: index marking the start of every review (`None`: no marker).
        oov_char: index replacing words cut out (`None`: they are removed).
        index_from: added to every word index.

    # Returns
        Tuple `(x_train, y_train), (x_test, y_test)`: `x` are 1-D object arrays of Python
        lists of ints, `y` arrays of int labels.

    # Raises
        ValueError: when `maxlen` is so low that no review is kept.
    """
    num_words = legacy_num_words(num_words, kwargs)
    path = get_file(path,
                    origin='https://s3.amazonaws.com/text-datasets/imdb.npz',
                    file_hash='599dadb1135973df5b59232a0e9a887c')
    # The reviews are ragged lists, which NumPy stores pickled.
    x_train, labels_train, x_test, labels_test = load_npz(
        path, ('x_train', 'y_train', 'x_test', 'y_test'), allow_pickle=True)

    # Seeds the global generator, as Keras 2 did: the shuffles, and whatever the script
    # draws from NumPy afterwards (e.g. weight initialization), are those of Keras 2.
    np.random.seed(seed)
    indices = np.arange(len(x_train))
    np.random.shuffle(indices)
    x_train = x_train[indices]
    labels_train = labels_train[indices]
    indices = np.arange(len(x_test))
    np.random.shuffle(indices)
    x_test = x_test[indices]
    labels_test = labels_test[indices]

    x_train = shift_indices(x_train, start_char, index_from)
    x_test = shift_indices(x_test, start_char, index_from)
    labels_train = list(labels_train)
    labels_test = list(labels_test)

    if maxlen:
        # Filtered separately: Keras 2.2.4 filtered train and test together and then split
        # at the original training size, moving test reviews into the training set.
        x_train, labels_train = remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError('After filtering for sequences shorter than maxlen=' +
                             str(maxlen) + ', no sequence was kept. Increase maxlen.')

    xs = limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    idx = len(x_train)
    x_train, x_test = object_array(xs[:idx]), object_array(xs[idx:])
    y_train, y_test = np.array(labels_train), np.array(labels_test)
    return (x_train, y_train), (x_test, y_test)


def get_word_index(path='imdb_word_index.json'):
    """Retrieves the dictionary mapping words to their index in the IMDB dataset (before
    the `index_from` shift of `load_data`).

    # Arguments
        path: where the data is cached (relative to `~/.keras/datasets`).

    # Returns
        The word index dictionary, e.g. `{'the': 1, 'and': 2, ...}`.
    """
    path = get_file(path,
                    origin='https://s3.amazonaws.com/text-datasets/imdb_word_index.json',
                    file_hash='bfafd718b763782e994055a2d397834f')
    with open(path) as f:
        return json.load(f)
