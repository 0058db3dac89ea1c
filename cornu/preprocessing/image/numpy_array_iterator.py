"""`NumpyArrayIterator`: batches of augmented images from arrays in memory
(`ImageDataGenerator.flow`)."""
import os
import warnings

import numpy as np

from ... import backend
from ._random import current_rng
from .iterator import Iterator
from .utils import array_to_img


class NumpyArrayIterator(Iterator):
    """Iterator yielding data from a NumPy array.

    # Arguments
        x: NumPy array of input data (rank 4), or a tuple `(images, misc)` where `misc`
            is another array or a list of arrays passed through to the output with the
            images, without any modification.
        y: NumPy array of targets data.
        image_data_generator: instance of `ImageDataGenerator` to use for random
            transformations and normalization (None: images as they are).
        batch_size: integer, size of a batch.
        shuffle: boolean, whether to shuffle the data between epochs.
        sample_weight: NumPy array of sample weights.
        seed: random seed for data shuffling and augmentation.
        data_format: string, one of `channels_first`, `channels_last`.
        save_to_dir: optional directory where to save the pictures being yielded, in a
            viewable format (useful to look at the random transformations).
        save_prefix: string prefix of the names of saved images (if `save_to_dir`).
        save_format: format of saved images (if `save_to_dir`), e.g. `'png'`.
        subset: subset of data (`'training'` or `'validation'`) if `validation_split` is
            set in the `ImageDataGenerator`: the first `validation_split` fraction of the
            samples is the validation subset, the rest the training subset.
        dtype: dtype of the image batches (default: `K.floatx()`).

    # Yields
        `x` (no `y`), `(x, y)`, or `(x, y, sample_weight)` with a `sample_weight`; `x` is
        a list `[images] + misc` when misc inputs were given.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix='', save_format='png', subset=None, dtype=None):
        self.dtype = dtype or backend.floatx()
        if isinstance(x, (tuple, list)):
            if not isinstance(x[1], list):
                x_misc = [np.asarray(x[1])]
            else:
                x_misc = [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError('All of the arrays in `x` should have the same length. '
                                     'Found a pair with: len(x[0]) = %s, len(x[?]) = %s'
                                     % (len(x), len(xx)))
        else:
            x_misc = []

        if y is not None and len(x) != len(y):
            raise ValueError('`x` (images tensor) and `y` (labels) should have the same '
                             'length. Found: x.shape = %s, y.shape = %s'
                             % (np.asarray(x).shape, np.asarray(y).shape))
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError('`x` (images tensor) and `sample_weight` should have the same '
                             'length. Found: x.shape = %s, sample_weight.shape = %s'
                             % (np.asarray(x).shape, np.asarray(sample_weight).shape))
        if subset is not None:
            if subset not in {'training', 'validation'}:
                raise ValueError('Invalid subset name: %s; expected "training" or '
                                 '"validation".' % (subset,))
            split_idx = int(len(x) * image_data_generator._validation_split)
            part = slice(None, split_idx) if subset == 'validation' else slice(split_idx,
                                                                               None)
            x = x[part]
            x_misc = [np.asarray(xx[part]) for xx in x_misc]
            if y is not None:
                y = y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        if data_format is None:
            data_format = backend.image_data_format()
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError('Input data in `NumpyArrayIterator` should have rank 4. '
                             'You passed an array with shape %s' % (self.x.shape,))
        channels_axis = 3 if data_format == 'channels_last' else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn('NumpyArrayIterator is set to use the data format convention "'
                          + data_format + '" (channels on axis ' + str(channels_axis) +
                          '), i.e. expected either 1, 3, or 4 channels on axis ' +
                          str(channels_axis) + '. However, it was passed an array with '
                          'shape ' + str(self.x.shape) + ' (' +
                          str(self.x.shape[channels_axis]) + ' channels).')
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super(NumpyArrayIterator, self).__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            x = self.x[j]
            if generator is not None:
                params = generator.get_random_transform(x.shape)
                # A copy: `standardize` works in place and must not touch `self.x`.
                x = generator.apply_transform(x.astype(self.dtype), params)
                x = generator.standardize(x)
            batch_x[i] = x

        if self.save_to_dir:
            rng = current_rng()
            for i, j in enumerate(index_array):
                img = array_to_img(batch_x[i], self.data_format, scale=True)
                fname = '{prefix}_{index}_{hash}.{format}'.format(
                    prefix=self.save_prefix, index=j, hash=rng.randint(10 ** 4),
                    format=self.save_format)
                img.save(os.path.join(self.save_to_dir, fname))
        batch_x_miscs = [xx[index_array] for xx in self.x_misc]
        output = (batch_x if not batch_x_miscs else [batch_x] + batch_x_miscs,)
        if self.y is None:
            return output[0]
        output += (self.y[index_array],)
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output
