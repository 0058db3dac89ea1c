"""Boston housing prices (Keras 2.2.4's `keras.datasets.boston_housing`)."""
import numpy as np

from ..utils.data_utils import get_file
from ._common import load_npz


def load_data(path='boston_housing.npz', test_split=0.2, seed=113):
    """Loads the Boston Housing dataset: 13 attributes of 506 houses (Boston suburbs, late
    1970s) and their median value in k$.

    The samples are shuffled with `seed` (the same order as Keras 2), then the last
    `test_split` of them form the test set.

    # Arguments
        path: where the data is cached (relative to `~/.keras/datasets`).
        test_split: fraction of the data kept for the test set, in `[0, 1)`.
        seed: random seed for shuffling the data before the split.

    # Returns
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.
    """
    if not 0 <= test_split < 1:
        raise ValueError('`test_split` must be in [0, 1), got %r.' % (test_split,))
    path = get_file(
        path,
        origin='https://s3.amazonaws.com/keras-datasets/boston_housing.npz',
        file_hash='f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5')
    x, y = load_npz(path, ('x', 'y'))

    # Seeds the global generator, as Keras 2 did: the shuffle, and whatever the script draws
    # from NumPy afterwards, are those of Keras 2.
    np.random.seed(seed)
    indices = np.arange(len(x))
    np.random.shuffle(indices)
    x = x[indices]
    y = y[indices]

    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]),
                                                          np.array(y[split:]))
