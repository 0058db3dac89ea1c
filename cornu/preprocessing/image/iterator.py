"""`Iterator`, the base of the image data iterators: a `Sequence` (for `fit_generator`
workers) that is also a thread-safe Python iterator, as in keras_preprocessing 1.0.5."""
import os
import threading
import warnings

import numpy as np

from ... import backend
from ...utils.data_utils import Sequence
from ._random import current_rng, seeded, using_rng
from .utils import array_to_img, img_to_array, load_img


class Iterator(Sequence):
    """Base class for image data iterators.

    Every `Iterator` must implement `_get_batches_of_transformed_samples(index_array)`.
    An iterator can be read in two ways, both endless over epochs:

    - as a `Sequence`: `iterator[i]` is batch `i` of the current epoch and
      `on_epoch_end()` reshuffles (this is what `fit_generator`'s enqueuer uses);
    - as a Python iterator: `next(iterator)` returns the next batch, reshuffling at each
      new epoch; it is thread-safe (only the choice of indices is under a lock, batches
      are built in parallel).

    With a `seed`, shuffling and augmentation are reproducible. Batch `k` (counting from
    the first batch of the first epoch) draws from a generator seeded with `seed + k`,
    the number Keras 2 used to seed NumPy's global generator, so a seeded flow read with
    `next()` gives Keras 2's batches (and so does the first epoch read as a `Sequence`);
    unlike Keras 2, a seeded `Sequence` gives the same batches whatever the order of
    access, e.g. when several worker threads read it at once.

    # Arguments
        n: integer, total number of samples in the dataset to loop over.
        batch_size: integer, size of a batch.
        shuffle: boolean, whether to shuffle the data between epochs.
        seed: random seeding for data shuffling and augmentation.
    """

    white_list_formats = ('png', 'jpg', 'jpeg', 'bmp', 'ppm', 'tif', 'tiff')

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()
        # Epochs finished through `on_epoch_end` (Sequence reading) and the generator of
        # the batch last chosen by `_flow_index` (iterator reading).
        self._epoch = 0
        self._flow_rng = None

    # -------------------------------------------------------------------- index choice

    def _batch_rng(self, k):
        """The generator of batch number `k`, or None (global generator) without seed."""
        return None if self.seed is None else seeded(self.seed + k)

    def _set_index_array(self, rng=None):
        self.index_array = np.arange(self.n)
        if self.shuffle:
            self.index_array = (current_rng() if rng is None else rng).permutation(self.n)

    def _epoch_rng(self, epoch):
        """The generator that shuffles epoch `epoch`: that of the epoch's first batch."""
        return self._batch_rng(epoch * len(self))

    def __getitem__(self, idx):
        length = len(self)
        if idx < 0:
            idx += length
        if idx >= length or idx < 0:
            raise ValueError('Asked to retrieve element {idx}, but the Sequence has length '
                             '{length}'.format(idx=idx, length=length))
        with self.lock:
            epoch = self._epoch
            self.total_batches_seen += 1
            if self.index_array is None:
                self._set_index_array(self._epoch_rng(epoch))
            index_array = self.index_array[self.batch_size * idx:
                                           self.batch_size * (idx + 1)]
        rng = self._batch_rng(epoch * length + idx)
        if rng is not None and idx == 0 and self.shuffle:
            # In Keras 2 the first batch of an epoch drew its augmentation after the
            # shuffle, from the same seeded stream.
            rng.permutation(self.n)
        return self._batches_with_rng(index_array, rng)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size  # round up

    def on_epoch_end(self):
        """Reshuffles the samples for the next epoch."""
        with self.lock:
            self._epoch += 1
            self._set_index_array(self._epoch_rng(self._epoch))

    def reset(self):
        """Restarts iteration (`next`) at the first batch of a new epoch."""
        self.batch_index = 0

    def _flow_index(self):
        # Ensure self.batch_index is 0.
        self.reset()
        while True:
            if self.n == 0:
                raise ValueError('%s has no samples to yield (n=0).' % type(self).__name__)
            rng = self._batch_rng(self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array(rng)
            current_index = (self.batch_index * self.batch_size) % self.n
            if self.n > current_index + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            self._flow_rng = rng
            yield self.index_array[current_index:current_index + self.batch_size]

    def __iter__(self):
        # Needed for `for x, y in datagen.flow(...)`.
        return self

    def __next__(self, *args, **kwargs):
        return self.next(*args, **kwargs)

    def next(self):
        """Returns the next batch (thread-safe)."""
        # Only the choice of indices is under the lock; batches are built in parallel.
        with self.lock:
            index_array = next(self.index_generator)
            rng = self._flow_rng
        return self._batches_with_rng(index_array, rng)

    def _batches_with_rng(self, index_array, rng):
        if rng is None:
            return self._get_batches_of_transformed_samples(index_array)
        with using_rng(rng):
            return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array):
        """Gets a batch of transformed samples.

        # Arguments
            index_array: array of sample indices to include in the batch.

        # Returns
            A batch of transformed samples.
        """
        raise NotImplementedError


class BatchFromFilesMixin(object):
    """Loading, augmentation, saving and labelling of batches of image files, shared by
    `DirectoryIterator` and `DataFrameIterator`.

    The class using it sets `filenames` (paths relative to `directory`, or absolute when
    `directory` is None), `classes` (class index per file), `num_classes`, `class_mode`
    and, for class mode `'other'`, `data` (the targets).
    """

    def set_processing_attrs(self, image_data_generator, target_size, color_mode,
                             data_format, save_to_dir, save_prefix, save_format, subset,
                             interpolation, dtype):
        """Stores the loading and augmentation settings and works out the image shape and
        the validation split (`(start, stop)` fractions, or None)."""
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        if color_mode not in {'rgb', 'rgba', 'grayscale'}:
            raise ValueError('Invalid color mode: %s; expected "rgb", "rgba", or '
                             '"grayscale".' % (color_mode,))
        if color_mode == 'rgba' and save_format in ('jpeg', 'jpg'):
            warnings.warn('The JPG format does not support RGBA images, converting to RGB.')
            color_mode = 'rgb'
        self.color_mode = color_mode
        self.data_format = data_format or backend.image_data_format()
        self.dtype = dtype or backend.floatx()
        channels = {'rgba': 4, 'rgb': 3, 'grayscale': 1}[color_mode]
        if self.data_format == 'channels_last':
            self.image_shape = self.target_size + (channels,)
        else:
            self.image_shape = (channels,) + self.target_size
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        if subset is not None:
            validation_split = image_data_generator._validation_split
            if subset == 'validation':
                split = (0, validation_split)
            elif subset == 'training':
                split = (validation_split, 1)
            else:
                raise ValueError('Invalid subset name: %s; expected "training" or '
                                 '"validation"' % (subset,))
        else:
            split = None
        self.split = split
        self.subset = subset

    def _file_path(self, fname):
        return fname if self.directory is None else os.path.join(self.directory, fname)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            img = load_img(self._file_path(self.filenames[j]), color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation)
            x = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
            if generator is not None:
                params = generator.get_random_transform(x.shape)
                x = generator.apply_transform(x, params)
                x = generator.standardize(x)
            batch_x[i] = x
        if self.save_to_dir:
            rng = current_rng()
            for i, j in enumerate(index_array):
                img = array_to_img(batch_x[i], self.data_format, scale=True)
                fname = '{prefix}_{index}_{hash}.{format}'.format(
                    prefix=self.save_prefix, index=j, hash=rng.randint(10 ** 7),
                    format=self.save_format)
                img.save(os.path.join(self.save_to_dir, fname))
        return self._with_labels(batch_x, index_array)

    def _with_labels(self, batch_x, index_array):
        if self.class_mode == 'input':
            batch_y = batch_x.copy()
        elif self.class_mode == 'sparse':
            batch_y = self.classes[index_array]
        elif self.class_mode == 'binary':
            batch_y = self.classes[index_array].astype(self.dtype)
        elif self.class_mode == 'categorical':
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.
        elif self.class_mode == 'other':
            batch_y = self.data[index_array]
        else:
            return batch_x
        return batch_x, batch_y
