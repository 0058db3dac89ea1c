"""`DirectoryIterator`: batches of augmented images read from a directory with one
subdirectory per class (`ImageDataGenerator.flow_from_directory`)."""
import os
import warnings

import numpy as np

from .iterator import BatchFromFilesMixin, Iterator


def _iter_valid_files(directory, white_list_formats, follow_links):
    """Yields `(root, filename)` for the files under `directory` (recursively) whose
    extension is in `white_list_formats`, in sorted order (directories by path, files by
    name within a directory)."""
    walk = sorted(os.walk(directory, followlinks=follow_links), key=lambda item: item[0])
    for root, _, files in walk:
        for fname in sorted(files):
            lower = fname.lower()
            if lower.endswith('.tiff'):
                warnings.warn('Using \'.tiff\' files with multiple bands will cause '
                              'distortion. Please verify your output.')
            if any(lower.endswith('.' + extension) for extension in white_list_formats):
                yield root, fname


def _list_valid_filenames_in_directory(directory, white_list_formats, split, class_indices,
                                       follow_links):
    """Lists the files of one class directory.

    # Arguments
        directory: path of the class directory; its name must be a key of
            `class_indices`.
        white_list_formats: allowed file extensions.
        split: `(start, stop)` fractions of the (sorted) files to keep, or None for all.
        class_indices: dictionary mapping a class name to its index.
        follow_links: whether to follow symbolic links to directories.

    # Returns
        classes, filenames: the class index of every kept file, and its path relative
        to the parent of `directory` (e.g. `'class1/file1.jpg'`).
    """
    dirname = os.path.basename(directory)
    valid_files = list(_iter_valid_files(directory, white_list_formats, follow_links))
    if split:
        num_files = len(valid_files)
        start, stop = int(split[0] * num_files), int(split[1] * num_files)
        valid_files = valid_files[start:stop]
    classes = []
    filenames = []
    for root, fname in valid_files:
        classes.append(class_indices[dirname])
        absolute_path = os.path.join(root, fname)
        filenames.append(os.path.join(dirname, os.path.relpath(absolute_path, directory)))
    return classes, filenames


class DirectoryIterator(BatchFromFilesMixin, Iterator):
    """Iterator capable of reading images from a directory on disk.

    # Arguments
        directory: path to the directory to read images from. Each subdirectory is one
            class (its images are found recursively), or the class subdirectories can be
            given with `classes`.
        image_data_generator: instance of `ImageDataGenerator` to use for random
            transformations and normalization (None: images as loaded).
        target_size: tuple of integers, dimensions to resize input images to.
        color_mode: one of `"rgb"`, `"rgba"`, `"grayscale"`: color mode to read images.
        classes: optional list of class subdirectories (e.g. `['dogs', 'cats']`); by
            default every subdirectory, in alphanumeric order, which is also the order of
            the class indices (see the attribute `class_indices`).
        class_mode: mode for yielding the targets:
            `"binary"`: binary targets (if there are only two classes),
            `"categorical"`: one-hot targets,
            `"sparse"`: integer targets,
            `"input"`: targets are images identical to input images (mainly used to work
                with autoencoders),
            `None`: no targets are yielded (only input images).
        batch_size: integer, size of a batch.
        shuffle: boolean, whether to shuffle the data between epochs.
        seed: random seed for data shuffling and augmentation.
        data_format: string, one of `channels_first`, `channels_last`.
        save_to_dir: optional directory where to save the pictures being yielded, in a
            viewable format (useful to look at the random transformations).
        save_prefix: string prefix of the names of saved images (if `save_to_dir`).
        save_format: format of saved images (if `save_to_dir`), e.g. `'png'`.
        follow_links: whether to follow symbolic links inside class subdirectories.
        subset: subset of data (`"training"` or `"validation"`) if `validation_split` is
            set in the `ImageDataGenerator`: in each class, the first `validation_split`
            fraction of the (sorted) files is the validation subset.
        interpolation: interpolation method used to resample images whose size differs
            from `target_size`: `"nearest"` (default), `"bilinear"`, `"bicubic"`,
            `"lanczos"`, `"box"` or `"hamming"`.
        dtype: dtype of the batches (default: `K.floatx()`).

    # Attributes
        filenames: paths of the images relative to `directory`, in index order.
        classes: NumPy array of the class index of every image.
        class_indices: dictionary mapping class names to class indices.
        samples: number of images.
    """

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode='rgb', classes=None, class_mode='categorical', batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix='',
                 save_format='png', follow_links=False, subset=None, interpolation='nearest',
                 dtype=None):
        self.set_processing_attrs(image_data_generator, target_size, color_mode,
                                  data_format, save_to_dir, save_prefix, save_format, subset,
                                  interpolation, dtype)
        self.directory = directory
        if class_mode not in {'categorical', 'binary', 'sparse', 'input', None}:
            raise ValueError('Invalid class_mode: %s; expected one of "categorical", '
                             '"binary", "sparse", "input" or None.' % (class_mode,))
        self.class_mode = class_mode

        if not classes:
            classes = [subdir for subdir in sorted(os.listdir(directory))
                       if os.path.isdir(os.path.join(directory, subdir))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))

        all_classes = []
        self.filenames = []
        for subdir in classes:
            found_classes, found_files = _list_valid_filenames_in_directory(
                os.path.join(directory, subdir), self.white_list_formats, self.split,
                self.class_indices, follow_links)
            all_classes.extend(found_classes)
            self.filenames.extend(found_files)
        self.classes = np.array(all_classes, dtype='int32')
        self.samples = len(self.filenames)
        print('Found %d images belonging to %d classes.' % (self.samples, self.num_classes))
        super(DirectoryIterator, self).__init__(self.samples, batch_size, shuffle, seed)
