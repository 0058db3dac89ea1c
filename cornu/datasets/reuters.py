"""Reuters newswire topics (Keras 2.2.4's `keras.datasets.reuters`)."""
import json

import numpy as np

from ..utils.data_utils import get_file
from ._common import (legacy_num_words, limit_vocabulary, load_npz, object_array,
                      remove_long_seq, shift_indices)


def load_data(path='reuters.npz', num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads the Reuters newswire dataset: 11,228 newswires labelled over 46 topics, each a
    list of word indices (encoded as in `imdb.load_data`).

    # Arguments
        path: where the data is cached (relative to `~/.keras/datasets`).
        num_words: keep word indices (after shifting) below `num_words`; `None` keeps all.
        skip_top: word indices (after shifting) below this become `oov_char`.
        maxlen: drop the newswires with `maxlen` words or more (`None`: keep all).
        test_split: fraction of the newswires used as test data.
        seed: random seed for shuffling (the same order as Keras 2).
        start_char: index marking the start of every newswire (`None`: no marker).
        oov_char: index replacing words cut out (`None`: they are removed).
        index_from: added to every word index.

    # Returns
        Tuple `(x_train, y_train), (x_test, y_test)`: `x` are 1-D object arrays of Python
        lists of ints, `y` arrays of int topic labels.
    """
    num_words = legacy_num_words(num_words, kwargs)
    path = get_file(path,
                    origin='https://s3.amazonaws.com/text-datasets/reuters.npz',
                    file_hash='87aedbeb0cb229e378797a632c1997b6')
    xs, labels = load_npz(path, ('x', 'y'), allow_pickle=True)

    # Seeds the global generator, as Keras 2 did (see `imdb.load_data`).
    np.random.seed(seed)
    indices = np.arange(len(xs))
    np.random.shuffle(indices)
    xs = xs[indices]
    labels = list(labels[indices])

    xs = shift_indices(xs, start_char, index_from)
    if maxlen:
        xs, labels = remove_long_seq(maxlen, xs, labels)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)

    idx = int(len(xs) * (1 - test_split))
    x_train, y_train = object_array(xs[:idx]), np.array(labels[:idx])
    x_test, y_test = object_array(xs[idx:]), np.array(labels[idx:])
    return (x_train, y_train), (x_test, y_test)


def get_word_index(path='reuters_word_index.json'):
    """Retrieves the dictionary mapping words to their index in the Reuters dataset.

    # Arguments
        path: where the data is cached (relative to `~/.keras/datasets`).

    # Returns
        The word index dictionary.
    """
    path = get_file(
        path,
        origin='https://s3.amazonaws.com/text-datasets/reuters_word_index.json',
        file_hash='4d44cc38712099c9e383dc6e5f11a921')
    with open(path) as f:
        return json.load(f)
