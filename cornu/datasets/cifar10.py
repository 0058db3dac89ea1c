"""CIFAR-10 small images (Keras 2.2.4's `keras.datasets.cifar10`)."""
import os

import numpy as np

from .. import backend as K
from .cifar import extracted_dir, load_batch


def load_data():
    """Loads the CIFAR-10 dataset: 50,000 32x32 color training images over 10 classes and
    10,000 test images.

    # Returns
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`. Images are uint8, of
        shape `(num_samples, 32, 32, 3)` with `channels_last` image data format (the
        default) or `(num_samples, 3, 32, 32)` with `channels_first`; labels have shape
        `(num_samples, 1)` (uint8 for training, int64 for test, as in Keras 2).
    """
    dirname = 'cifar-10-batches-py'
    origin = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    batches = ['data_batch_%d' % i for i in range(1, 6)]
    path = extracted_dir(dirname, origin, batches + ['test_batch'])

    parts = [load_batch(os.path.join(path, name)) for name in batches]
    x_train = np.concatenate([data for data, _ in parts]).astype('uint8', copy=False)
    y_train = np.concatenate([np.asarray(labels, dtype='uint8') for _, labels in parts])
    x_test, y_test = load_batch(os.path.join(path, 'test_batch'))

    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))

    if K.image_data_format() == 'channels_last':
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
