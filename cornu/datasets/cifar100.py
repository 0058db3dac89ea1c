"""CIFAR-100 small images (Keras 2.2.4's `keras.datasets.cifar100`)."""
import os

import numpy as np

from .. import backend as K
from .cifar import extracted_dir, load_batch


def load_data(label_mode='fine'):
    """Loads the CIFAR-100 dataset: 50,000 32x32 color training images over 100 classes
    (grouped in 20 superclasses) and 10,000 test images.

    # Arguments
        label_mode: `'fine'` (the 100 classes) or `'coarse'` (the 20 superclasses).

    # Returns
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`. Images are uint8, of
        shape `(num_samples, 32, 32, 3)` with `channels_last` image data format or
        `(num_samples, 3, 32, 32)` with `channels_first`; labels are int64 of shape
        `(num_samples, 1)`.

    # Raises
        ValueError: for an unknown `label_mode`.
    """
    if label_mode not in ['fine', 'coarse']:
        raise ValueError('label_mode must be one of "fine" "coarse".')
    dirname = 'cifar-100-python'
    origin = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    path = extracted_dir(dirname, origin, ['train', 'test'])

    label_key = label_mode + '_labels'
    x_train, y_train = load_batch(os.path.join(path, 'train'), label_key=label_key)
    x_test, y_test = load_batch(os.path.join(path, 'test'), label_key=label_key)

    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))

    if K.image_data_format() == 'channels_last':
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
