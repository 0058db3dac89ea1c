"""MNIST handwritten digits (Keras 2.2.4's `keras.datasets.mnist`)."""
from ..utils.data_utils import get_file
from ._common import load_npz


def load_data(path='mnist.npz'):
    """Loads the MNIST dataset: 60,000 28x28 grayscale training images of the 10 digits and
    10,000 test images.

    # Arguments
        path: where the data is cached (relative to `~/.keras/datasets`).

    # Returns
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`; `x` are uint8 arrays
        of shape `(num_samples, 28, 28)`, `y` uint8 arrays of digit labels (0-9) of shape
        `(num_samples,)`.
    """
    path = get_file(path,
                    origin='https://s3.amazonaws.com/img-datasets/mnist.npz',
                    file_hash='8a61469f7ea1b51cbae51d4f78837e45')
    x_train, y_train, x_test, y_test = load_npz(path, ('x_train', 'y_train',
                                                       'x_test', 'y_test'))
    return (x_train, y_train), (x_test, y_test)
