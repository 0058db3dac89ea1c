"""Reading the CIFAR "python version" batch files (Keras 2.2.4's `keras.datasets.cifar`)."""
import os
import pickle

from ..utils.data_utils import cache_dirs, get_file


def load_batch(fpath, label_key='labels'):
    """Reads one CIFAR batch file (a pickled dictionary, as in the `cifar-10-batches-py` and
    `cifar-100-python` archives).

    # Arguments
        fpath: path to the batch file.
        label_key: key of the labels in the batch (`'labels'` for CIFAR-10,
            `'fine_labels'` or `'coarse_labels'` for CIFAR-100).

    # Returns
        A tuple `(data, labels)`: uint8 images of shape `(num_samples, 3, 32, 32)` and the
        labels as a list of ints.

    # Raises
        ValueError: when the file is not a CIFAR batch.
    """
    with open(fpath, 'rb') as f:
        try:
            # The batches were pickled by Python 2: keys are bytes.
            d = pickle.load(f, encoding='bytes')
        except (pickle.UnpicklingError, EOFError, ValueError) as e:
            raise ValueError('Cannot read the CIFAR batch %s (%s): the file is corrupt or '
                             'truncated. Delete the dataset directory to download it again.'
                             % (fpath, e)) from e
    d = {(k.decode('utf8') if isinstance(k, bytes) else k): v for k, v in d.items()}
    if 'data' not in d or label_key not in d:
        raise ValueError('%s is not a CIFAR batch with %r: it holds %s.'
                         % (fpath, label_key, sorted(d)))
    data = d['data']
    labels = d[label_key]
    data = data.reshape(data.shape[0], 3, 32, 32)
    return data, labels


def extracted_dir(dirname, origin, required_files):
    """Returns the directory of an extracted CIFAR archive: one already in the Keras cache
    (with all `required_files`, even if the downloaded `.tar.gz` was deleted), else the one
    `get_file(..., untar=True)` downloads and extracts."""
    for datadir in cache_dirs('datasets'):
        path = os.path.join(datadir, dirname)
        if all(os.path.isfile(os.path.join(path, name)) for name in required_files):
            return path
    return get_file(dirname, origin=origin, untar=True)
