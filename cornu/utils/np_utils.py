"""NumPy utilities of Keras 2.2.4's `keras.utils.np_utils`: one-hot encoding of class labels
and normalization along an axis."""
import numpy as np


def to_categorical(y, num_classes=None, dtype='float32'):
    """Converts a class vector (integers) to a binary class matrix (one-hot encoding).

    The result has one more axis than `y`, of length `num_classes`; a trailing axis of
    length 1 in `y` (labels of shape `(n, 1)`) is dropped first, so `(n,)` and `(n, 1)`
    both give `(n, num_classes)`.

    # Example

    ```python
        # Labels 0..2 of 4 samples, as used with `categorical_crossentropy`:
        to_categorical([0, 2, 1, 2], num_classes=3)
        # array([[1., 0., 0.],
        #        [0., 0., 1.],
        #        [0., 1., 0.],
        #        [0., 0., 1.]], dtype=float32)
    ```

    # Arguments
        y: class vector (or N-D array of class indices) to convert, integers from 0 to
            `num_classes - 1`.
        num_classes: total number of classes; `None` uses `max(y) + 1`.
        dtype: data type of the result, as a string (`'float32'`, `'int8'`, ...).

    # Returns
        A binary matrix representation of the input.
    """
    y = np.array(y, dtype='int')
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    if not num_classes:
        num_classes = np.max(y) + 1
    n = y.shape[0]
    categorical = np.zeros((n, num_classes), dtype=dtype)
    categorical[np.arange(n), y] = 1
    return np.reshape(categorical, input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Normalizes a NumPy array to unit norm along an axis.

    Slices whose norm is zero are left unchanged (divided by 1).

    # Arguments
        x: NumPy array to normalize.
        axis: axis along which to normalize.
        order: order of the norm (2 for the L2 norm; see `numpy.linalg.norm`).

    # Returns
        A normalized copy of the array.
    """
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
