"""Fashion-MNIST clothing images (Keras 2.2.4's `keras.datasets.fashion_mnist`).

The four IDX files are looked for, in order: in the directories of `SYSTEM_DIRS` (where
Debian's `dataset-fashion-mnist` package installs them), in the Keras cache
(`~/.keras/datasets/fashion-mnist/`, where Keras 2 downloads them), and finally downloaded
there. Files may be gzipped (`.gz`, as distributed) or not.
"""
import gzip
import os

import numpy as np

from ..utils.data_utils import cache_dirs, get_file

# Directories searched before the Keras cache.
SYSTEM_DIRS = ['/usr/share/datasets/fashion-mnist']

_BASE_URL = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/'
_FILES = ['train-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz',
          't10k-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz']
_CACHE_SUBDIR = os.path.join('datasets', 'fashion-mnist')

# IDX element types: code -> big-endian NumPy dtype.
_IDX_DTYPES = {0x08: '>u1', 0x09: '>i1', 0x0B: '>i2', 0x0C: '>i4', 0x0D: '>f4', 0x0E: '>f8'}


def read_idx(path):
    """Reads an IDX file (gzipped or not) into a NumPy array of the shape its header gives.

    # Raises
        ValueError: when the file is not a well-formed IDX file.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError('Cannot decompress %s (%s): the file is corrupt or truncated.'
                             % (path, e)) from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError('%s is not an IDX file (bad magic number %r).' % (path, raw[:4]))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError('%s is truncated: its IDX header is incomplete.' % path)
    shape = tuple(int(d) for d in np.frombuffer(raw, '>u4', count=ndim, offset=4))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError('%s holds %d bytes but its IDX header %s announces %d: the file is '
                         'corrupt or truncated.' % (path, len(raw), shape, expected))
    data = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder('='))


def _find_files(directory):
    """The four files (gzipped or not) in `directory`, or None if one is missing."""
    paths = []
    for name in _FILES:
        for candidate in (name, name[:-len('.gz')]):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                paths.append(path)
                break
        else:
            return None
    return paths


def _locate_files():
    for directory in list(SYSTEM_DIRS) + cache_dirs(_CACHE_SUBDIR):
        paths = _find_files(directory)
        if paths is not None:
            return paths
    return [get_file(name, origin=_BASE_URL + name, cache_subdir=_CACHE_SUBDIR)
            for name in _FILES]


def load_data():
    """Loads the Fashion-MNIST dataset: 60,000 28x28 grayscale training images of 10
    kinds of clothing and 10,000 test images.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot.

    # Returns
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`; `x` are uint8 arrays
        of shape `(num_samples, 28, 28)`, `y` uint8 arrays of shape `(num_samples,)`.

    # Raises
        ValueError: when a file is corrupt, or images and labels do not match.
    """
    paths = _locate_files()
    y_train, x_train, y_test, x_test = [read_idx(path) for path in paths]
    for images, labels, images_path, labels_path in ((x_train, y_train, paths[1], paths[0]),
                                                     (x_test, y_test, paths[3], paths[2])):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError('%s (shape %s) and %s (shape %s) are not matching images and '
                             'labels.' % (images_path, images.shape, labels_path,
                                          labels.shape))
    return (x_train, y_train), (x_test, y_test)
