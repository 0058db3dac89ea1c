"""`DataFrameIterator`: batches of augmented images whose file names and targets come from
the columns of a data frame (`ImageDataGenerator.flow_from_dataframe`).

pandas is not required: any object whose `frame[column]` returns an iterable column
(a pandas `DataFrame`, a dict of lists, ...) can be used.
"""
import os

import numpy as np

from .directory_iterator import _iter_valid_files
from .iterator import BatchFromFilesMixin, Iterator

_CLASS_MODES = ('categorical', 'binary', 'sparse', 'input', 'other', None)


def _column(frame, name):
    return list(frame[name])


def _extension(filename):
    return os.path.splitext(filename)[1][1:].lower()


def _stem(filename):
    return filename[:-(len(filename.split('.')[-1]) + 1)]


class DataFrameIterator(BatchFromFilesMixin, Iterator):
    """Iterator capable of reading images from a directory on disk through a data frame.

    # Arguments
        dataframe: data frame (pandas, or any object with `frame[column]`) holding the
            file names of the images in column `x_col` and their targets in `y_col`.
        directory: path of the directory the file names are relative to (files are
            looked for recursively); None if `x_col` holds absolute paths.
        image_data_generator: instance of `ImageDataGenerator` to use for random
            transformations and normalization (None: images as loaded).
        x_col: column holding the file names (or absolute paths when `directory` is
            None).
        y_col: column (or, for `class_mode='other'`, list of columns) holding the
            targets.
        has_ext: whether the names in `x_col` include the file extension; if False, the
            file with that name and any allowed extension in `directory` is used.
        target_size: tuple of integers, dimensions to resize input images to.
        color_mode: one of `"rgb"`, `"rgba"`, `"grayscale"`: color mode to read images.
        classes: optional list of class names (values of `y_col`); by default the
            distinct values of `y_col` in order of first appearance, as in
            keras_preprocessing 1.0.5. Rows of other classes are left out.
        class_mode: mode for yielding the targets:
            `"binary"`, `"categorical"`, `"sparse"`, `"input"`, `None` as in
            `DirectoryIterator`, or `"other"`: the values of `y_col` (numeric) as they
            are.
        batch_size: integer, size of a batch.
        shuffle: boolean, whether to shuffle the data between epochs.
        seed: random seed for data shuffling and augmentation.
        data_format: string, one of `channels_first`, `channels_last`.
        save_to_dir: optional directory where to save the pictures being yielded.
        save_prefix: string prefix of the names of saved images (if `save_to_dir`).
        save_format: format of saved images (if `save_to_dir`), e.g. `'png'`.
        follow_links: whether to follow symbolic links while looking for the files.
        subset: subset of data (`"training"` or `"validation"`) if `validation_split` is
            set in the `ImageDataGenerator`: the first `validation_split` fraction of the
            found files (sorted by name) is the validation subset.
        interpolation: interpolation method used to resample images whose size differs
            from `target_size`.
        dtype: dtype of the batches (default: `K.floatx()`).

    Rows with a repeated file name are dropped (the first is kept), as are rows whose
    file is missing or not an image; the images are ordered by file name.

    # Attributes
        filenames: file names (as in `x_col`, with their extension), in index order.
        classes: NumPy array of the class index of every image.
        class_indices: dictionary mapping class names to class indices.
        samples: number of images.
    """

    def __init__(self, dataframe, directory, image_data_generator, x_col='filenames',
                 y_col='class', has_ext=True, target_size=(256, 256), color_mode='rgb',
                 classes=None, class_mode='categorical', batch_size=32, shuffle=True,
                 seed=None, data_format=None, save_to_dir=None, save_prefix='',
                 save_format='png', follow_links=False, subset=None, interpolation='nearest',
                 dtype=None):
        self.set_processing_attrs(image_data_generator, target_size, color_mode,
                                  data_format, save_to_dir, save_prefix, save_format, subset,
                                  interpolation, dtype)
        if not isinstance(x_col, str):
            raise ValueError('x_col must be a string.')
        if not isinstance(has_ext, bool):
            raise ValueError('has_ext must be either True if filenames in'
                             ' x_col has extensions,else False.')
        if class_mode not in _CLASS_MODES:
            raise ValueError('Invalid class_mode: %s; expected one of "categorical", '
                             '"binary", "sparse", "input", "other" or None.' % (class_mode,))
        if classes and class_mode in ('other', 'input', None):
            raise ValueError('classes cannot be set if class_mode'
                             ' is either "other" or "input" or None.')
        if directory is None and not has_ext:
            raise ValueError('has_ext cannot be set to False if directory is None.')
        self.directory = directory
        self.class_mode = class_mode
        self.x_col = x_col
        self.y_col = y_col

        names = [str(name) for name in _column(dataframe, x_col)]
        uses_classes = class_mode in ('categorical', 'binary', 'sparse')
        if class_mode == 'other':
            targets = self._numeric_targets(dataframe, y_col)
        elif uses_classes:
            targets = _column(dataframe, y_col)
        else:
            targets = [None] * len(names)

        # Rows with a repeated file name are dropped (the first is kept).
        first_rows = {}
        for row, name in enumerate(names):
            first_rows.setdefault(name, row)
        if uses_classes and not classes:
            # Distinct values in order of appearance, over the rows kept after dropping
            # repeats (rows whose file is missing still count, as in Keras 2).
            classes = list(dict.fromkeys(targets[row] for row in first_rows.values()))
        classes = list(classes or [])
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))

        if has_ext and names and not any(names[0].lower().endswith('.' + ext)
                                         for ext in self.white_list_formats):
            raise ValueError('has_ext is set to True but extension not found in x_col')

        rows = self._matching_rows(first_rows, has_ext, follow_links)
        if uses_classes:
            rows = [(filename, row) for filename, row in rows
                    if targets[row] in self.class_indices]
        if self.split:
            start = int(self.split[0] * len(rows))
            stop = int(self.split[1] * len(rows))
            rows = rows[start:stop]

        self.filenames = [filename for filename, _ in rows]
        kept = np.array([row for _, row in rows], dtype='int64')
        if uses_classes:
            self.classes = np.array([self.class_indices[targets[row]] for _, row in rows],
                                    dtype='int32')
        else:
            self.classes = np.zeros((len(rows),), dtype='int32')
        if class_mode == 'other':
            self.data = targets[kept]
        self.samples = len(self.filenames)
        if self.num_classes > 0:
            print('Found %d images belonging to %d classes.' % (self.samples,
                                                               self.num_classes))
        else:
            print('Found %d images.' % self.samples)
        super(DataFrameIterator, self).__init__(self.samples, batch_size, shuffle, seed)

    @staticmethod
    def _numeric_targets(dataframe, y_col):
        columns = [y_col] if isinstance(y_col, str) else list(y_col)
        arrays = [np.asarray(_column(dataframe, name)) for name in columns]
        if any(array.dtype.kind not in 'biuf' for array in arrays):
            raise TypeError('y_col column/s must be numeric datatypes.')
        return arrays[0] if isinstance(y_col, str) else np.stack(arrays, axis=1)

    def _matching_rows(self, first_rows, has_ext, follow_links):
        """`(filename, row)` for each name of `first_rows` (name -> row) whose image
        exists, sorted by name; `filename` has its extension."""
        if self.directory is None:
            found = {name: name for name in first_rows
                     if _extension(name) in self.white_list_formats and os.path.isfile(name)}
        else:
            files = [os.path.relpath(os.path.join(root, fname), self.directory)
                     for root, fname in _iter_valid_files(self.directory,
                                                          self.white_list_formats,
                                                          follow_links)]
            if has_ext:
                available = {f: f for f in files}
            else:
                available = {}
                for f in files:
                    available.setdefault(_stem(f), f)
            found = {name: available[name] for name in first_rows if name in available}
        return [(found[name], first_rows[name]) for name in sorted(found)]
