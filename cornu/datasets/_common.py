"""Helpers shared by the dataset loaders: reading Keras-format `.npz` files, ragged word-index
sequences as object arrays, and the word-index rewriting of `imdb` and `reuters`."""
import zipfile

import numpy as np


def load_npz(path, keys, allow_pickle=False):
    """Reads `keys` from the `.npz` file at `path` into a tuple of arrays.

    `allow_pickle` is only for the Keras files that hold ragged lists (imdb, reuters), which
    NumPy stores as pickled object arrays.

    # Raises
        ValueError: when the file is not a readable `.npz` or lacks one of `keys`; the
            message names the file, which can be deleted to download it again.
    """
    try:
        # Only an .npz (zip) archive is opened: np.load would also unpickle a bare pickle.
        with open(path, 'rb') as raw:
            if raw.read(4) != b'PK\x03\x04':
                raise ValueError('not an .npz archive')
        f = np.load(path, allow_pickle=allow_pickle)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ValueError('Cannot read %s (%s): the file is corrupt, truncated or not a Keras '
                         'dataset file. Delete it to download it again.' % (path, e)) from e
    with f:
        missing = [k for k in keys if k not in f.files]
        if missing:
            raise ValueError('%s holds %s but not %s: it is not the expected Keras dataset '
                             'file. Delete it to download it again.'
                             % (path, sorted(f.files), missing))
        try:
            return tuple(f[k] for k in keys)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise ValueError('Cannot read %s (%s): the file is corrupt or truncated. Delete '
                             'it to download it again.' % (path, e)) from e


def object_array(sequences):
    """A 1-D object array holding one Python list per sequence (what Keras 2 returned for
    ragged data under older NumPy, which made such arrays implicitly)."""
    out = np.empty(len(sequences), dtype=object)
    for i, seq in enumerate(sequences):
        out[i] = list(seq)
    return out


def remove_long_seq(maxlen, seq, label):
    """Keeps the sequences shorter than `maxlen` (strictly), with their labels."""
    new_seq, new_label = [], []
    for x, y in zip(seq, label):
        if len(x) < maxlen:
            new_seq.append(x)
            new_label.append(y)
    return new_seq, new_label


def shift_indices(xs, start_char, index_from):
    """Adds `index_from` to every word index and prepends `start_char` (when not None)."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Keeps word indices in `[skip_top, num_words)`; others become `oov_char`, or are dropped
    when it is None. `num_words=None` means the largest index (which, as in Keras 2, is
    itself then out of range)."""
    if not num_words:
        num_words = max(max(x) for x in xs if len(x)) if any(len(x) for x in xs) else 0
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def legacy_num_words(num_words, kwargs):
    """Handles Keras 1's `nb_words` argument; rejects any other unknown keyword."""
    if 'nb_words' in kwargs:
        import warnings
        warnings.warn('The `nb_words` argument in `load_data` has been renamed `num_words`.')
        num_words = kwargs.pop('nb_words')
    if kwargs:
        raise TypeError('Unrecognized keyword arguments: ' + str(kwargs))
    return num_words
