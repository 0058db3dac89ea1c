"""`ImageDataGenerator`: real-time data augmentation and normalization of image batches
(Keras 2.2.4 / keras_preprocessing 1.0.5)."""
import warnings

import numpy as np

from ... import backend
from ._random import current_rng, seeded, using_rng
from .affine_transformations import (apply_affine_transform, apply_brightness_shift,
                                     apply_channel_shift, flip_axis)
from .dataframe_iterator import DataFrameIterator
from .directory_iterator import DirectoryIterator
from .numpy_array_iterator import NumpyArrayIterator


def _draw_shift(rng, shift_range, size):
    """A random shift in pixels, following Keras 2's rules for `width_shift_range` and
    `height_shift_range`."""
    if not shift_range:
        return 0
    try:  # 1-D array-like or int: one of its elements (or of range(int)), random sign
        shift = rng.choice(shift_range)
        shift *= rng.choice([-1, 1])
    except ValueError:  # a float
        shift = rng.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:  # a fraction of the size
        shift *= size
    return shift


class ImageDataGenerator(object):
    """Generate batches of tensor image data with real-time data augmentation.

    The data is looped over (in batches).

    # Arguments
        featurewise_center: boolean. Set input mean to 0 over the dataset, feature-wise.
        samplewise_center: boolean. Set each sample mean to 0.
        featurewise_std_normalization: boolean. Divide inputs by std of the dataset,
            feature-wise.
        samplewise_std_normalization: boolean. Divide each input by its std.
        zca_whitening: boolean. Apply ZCA whitening.
        zca_epsilon: epsilon for ZCA whitening. Default is 1e-6.
        rotation_range: int. Degree range for random rotations.
        width_shift_range: float, 1-D array-like or int
            - float: fraction of total width, if < 1, or pixels if >= 1.
            - 1-D array-like: random elements from the array (times a random sign).
            - int: integer number of pixels from interval
                `(-width_shift_range, +width_shift_range)`.
            - With `width_shift_range=2` possible values are integers `[-1, 0, +1]`,
              same as with `width_shift_range=[-1, 0, +1]`, while with
              `width_shift_range=1.0` possible values are floats in the interval
              `[-1.0, +1.0)`.
        height_shift_range: float, 1-D array-like or int, as `width_shift_range` for
            the height.
        brightness_range: tuple or list of two floats. Range for picking a brightness
            shift value from.
        shear_range: float. Shear intensity (shear angle in counter-clockwise direction
            in degrees).
        zoom_range: float or `[lower, upper]`. Range for random zoom. If a float,
            `[lower, upper] = [1 - zoom_range, 1 + zoom_range]`.
        channel_shift_range: float. Range for random channel shifts.
        fill_mode: one of `{"constant", "nearest", "reflect" or "wrap"}`. Default is
            'nearest'. Points outside the boundaries of the input are filled according to
            the given mode:
            - 'constant': kkkkkkkk|abcd|kkkkkkkk (cval=k)
            - 'nearest':  aaaaaaaa|abcd|dddddddd
            - 'reflect':  abcddcba|abcd|dcbaabcd
            - 'wrap':  abcdabcd|abcd|abcdabcd
        cval: float or int. Value used for points outside the boundaries when
            `fill_mode = "constant"`.
        horizontal_flip: boolean. Randomly flip inputs horizontally.
        vertical_flip: boolean. Randomly flip inputs vertically.
        rescale: rescaling factor. Defaults to None. If None or 0, no rescaling is
            applied, otherwise the data is multiplied by the value provided (after
            applying all other transformations).
        preprocessing_function: function that will be applied on each input. The
            function will run after the image is resized and augmented. It takes one
            argument, one image (NumPy tensor with rank 3), and returns a NumPy tensor
            with the same shape.
        data_format: image data format, either `"channels_first"` or
            `"channels_last"`. `"channels_last"` means that the images have shape
            `(samples, height, width, channels)`, `"channels_first"` that they have shape
            `(samples, channels, height, width)`. Defaults to `K.image_data_format()`.
        validation_split: float. Fraction of images reserved for validation (strictly
            between 0 and 1).
        dtype: dtype to use for the generated arrays (default: `K.floatx()`).

    Augmentation draws from NumPy's global generator (seed it with `np.random.seed`),
    or from a generator seeded with the `seed` given to `flow*`, `fit` or
    `random_transform`, without reseeding the global one.

    # Examples

    Example of using `.flow(x, y)`:

    ```python
        (x_train, y_train), (x_test, y_test) = cifar10.load_data()
        y_train = np_utils.to_categorical(y_train, num_classes)
        y_test = np_utils.to_categorical(y_test, num_classes)

        datagen = ImageDataGenerator(
            featurewise_center=True,
            featurewise_std_normalization=True,
            rotation_range=20,
            width_shift_range=0.2,
            height_shift_range=0.2,
            horizontal_flip=True)

        # compute quantities required for featurewise normalization
        # (std, mean, and principal components if ZCA whitening is applied)
        datagen.fit(x_train)

        # fits the model on batches with real-time data augmentation:
        model.fit_generator(datagen.flow(x_train, y_train, batch_size=32),
                            steps_per_epoch=len(x_train) / 32, epochs=epochs)
    ```

    Example of using `.flow_from_directory(directory)`:

    ```python
        train_datagen = ImageDataGenerator(rescale=1. / 255, shear_range=0.2,
                                           zoom_range=0.2, horizontal_flip=True)
        test_datagen = ImageDataGenerator(rescale=1. / 255)

        train_generator = train_datagen.flow_from_directory(
            'data/train', target_size=(150, 150), batch_size=32, class_mode='binary')
        validation_generator = test_datagen.flow_from_directory(
            'data/validation', target_size=(150, 150), batch_size=32,
            class_mode='binary')

        model.fit_generator(train_generator, steps_per_epoch=2000, epochs=50,
                            validation_data=validation_generator, validation_steps=800)
    ```

    Example of transforming images and masks together: give the same seed to both.

    ```python
        data_gen_args = dict(rotation_range=90, width_shift_range=0.1,
                             height_shift_range=0.1, zoom_range=0.2)
        image_datagen = ImageDataGenerator(**data_gen_args)
        mask_datagen = ImageDataGenerator(**data_gen_args)

        seed = 1
        image_generator = image_datagen.flow_from_directory(
            'data/images', class_mode=None, seed=seed)
        mask_generator = mask_datagen.flow_from_directory(
            'data/masks', class_mode=None, seed=seed)

        # combine generators into one which yields image and masks
        train_generator = zip(image_generator, mask_generator)
        model.fit_generator(train_generator, steps_per_epoch=2000, epochs=50)
    ```
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0., height_shift_range=0., brightness_range=None,
                 shear_range=0., zoom_range=0., channel_shift_range=0., fill_mode='nearest',
                 cval=0., horizontal_flip=False, vertical_flip=False, rescale=None,
                 preprocessing_function=None, data_format=None, validation_split=0.0,
                 dtype=None):
        if data_format is None:
            data_format = backend.image_data_format()
        if dtype is None:
            dtype = backend.floatx()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.brightness_range = brightness_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype

        if data_format not in {'channels_last', 'channels_first'}:
            raise ValueError('`data_format` should be `"channels_last"` '
                             '(channel after row and column) or '
                             '`"channels_first"` (channel before row and column). '
                             'Received: %s' % data_format)
        self.data_format = data_format
        if data_format == 'channels_first':
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if validation_split and not 0 < validation_split < 1:
            raise ValueError('`validation_split` must be strictly between 0 and 1. '
                             ' Received: %s' % validation_split)
        self._validation_split = validation_split

        self.mean = None
        self.std = None
        self.principal_components = None

        if np.isscalar(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError('`zoom_range` should be a float or '
                             'a tuple or list of two floats. '
                             'Received: %s' % (zoom_range,))
        if brightness_range is not None and len(brightness_range) != 2:
            raise ValueError('`brightness_range should be tuple or list of two floats. '
                             'Received: %s' % (brightness_range,))
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn('This ImageDataGenerator specifies '
                              '`zca_whitening`, which overrides '
                              'setting of `featurewise_center`.')
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn('This ImageDataGenerator specifies '
                              '`zca_whitening` '
                              'which overrides setting of'
                              '`featurewise_std_normalization`.')
        if featurewise_std_normalization:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn('This ImageDataGenerator specifies '
                              '`featurewise_std_normalization`, '
                              'which overrides setting of '
                              '`featurewise_center`.')
        if samplewise_std_normalization:
            if not samplewise_center:
                self.samplewise_center = True
                warnings.warn('This ImageDataGenerator specifies '
                              '`samplewise_std_normalization`, '
                              'which overrides setting of '
                              '`samplewise_center`.')

    # ---------------------------------------------------------------------- iterators

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix='', save_format='png', subset=None):
        """Takes data & label arrays, generates batches of augmented data.

        # Arguments
            x: input data. NumPy array of rank 4 or a tuple. If a tuple, the first
                element contains the images and the second element another NumPy array
                or a list of NumPy arrays that gets passed to the output without any
                modifications (e.g. to feed the model miscellaneous data along with the
                images). The channels axis of the images has 1 (grayscale), 3 (RGB) or 4
                (RGBA) elements.
            y: labels.
            batch_size: int (default: 32).
            shuffle: boolean (default: True).
            sample_weight: sample weights.
            seed: int (default: None): seed of the shuffling and augmentation.
            save_to_dir: None or str (default: None). A directory in which to save the
                augmented pictures being generated (useful to see what you are doing).
            save_prefix: str (default: `''`). Prefix of the names of saved pictures
                (only relevant if `save_to_dir` is set).
            save_format: one of "png", "jpeg" (only relevant if `save_to_dir` is set).
                Default: "png".
            subset: subset of data (`"training"` or `"validation"`) if
                `validation_split` is set in `ImageDataGenerator`.

        # Returns
            An `Iterator` yielding tuples of `(x, y)` where `x` is a NumPy array of
            image data (in the case of a single image input) or a list of NumPy arrays
            (in the case with additional inputs) and `y` is a NumPy array of
            corresponding labels. If `sample_weight` is not None, the yielded tuples are
            of the form `(x, y, sample_weight)`. If `y` is None, only the NumPy array `x`
            is returned.
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode='rgb',
                            classes=None, class_mode='categorical', batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix='',
                            save_format='png', follow_links=False, subset=None,
                            interpolation='nearest'):
        """Takes the path to a directory & generates batches of augmented data.

        # Arguments
            directory: path to the target directory. It contains one subdirectory per
                class; any PNG, JPG, BMP, PPM or TIF image inside each subdirectory tree
                is included in the generator.
            target_size: tuple of integers `(height, width)`, default `(256, 256)`. The
                dimensions to which all images found will be resized.
            color_mode: one of "grayscale", "rgb", "rgba". Default: "rgb". Whether the
                images will be converted to have 1, 3, or 4 channels.
            classes: optional list of class subdirectories (e.g. `['dogs', 'cats']`).
                Default: None. If not provided, the list of classes is inferred from the
                subdirectory names under `directory`, each subdirectory being a class,
                in alphanumeric order (the order of the label indices). The dictionary
                mapping class names to class indices is the attribute `class_indices`.
            class_mode: one of "categorical", "binary", "sparse", "input", or None.
                Default: "categorical". Determines the type of label arrays returned:
                - "categorical": 2D one-hot encoded labels,
                - "binary": 1D binary labels,
                - "sparse": 1D integer labels,
                - "input": images identical to input images (mainly used to work with
                  autoencoders),
                - None: no labels are returned (the generator only yields batches of
                  image data, useful with `model.predict_generator()`); the data still
                  needs to reside in a subdirectory of `directory`.
            batch_size: size of the batches of data (default: 32).
            shuffle: whether to shuffle the data (default: True).
            seed: optional random seed for shuffling and transformations.
            save_to_dir: None or str (default: None). A directory in which to save the
                augmented pictures being generated.
            save_prefix: str. Prefix of the names of saved pictures (only relevant if
                `save_to_dir` is set).
            save_format: one of "png", "jpeg" (only relevant if `save_to_dir` is set).
                Default: "png".
            follow_links: whether to follow symlinks inside class subdirectories
                (default: False).
            subset: subset of data (`"training"` or `"validation"`) if
                `validation_split` is set in `ImageDataGenerator`.
            interpolation: interpolation method used to resample the image if the
                target size is different from that of the loaded image: "nearest"
                (default), "bilinear", "bicubic", "lanczos", "box" or "hamming".

        # Returns
            A `DirectoryIterator` yielding tuples of `(x, y)` where `x` is a NumPy
            array containing a batch of images with shape
            `(batch_size, *target_size, channels)` and `y` is a NumPy array of
            corresponding labels.
        """
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation,
                                 dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory, x_col='filename', y_col='class',
                            has_ext=True, target_size=(256, 256), color_mode='rgb',
                            classes=None, class_mode='categorical', batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix='',
                            save_format='png', subset=None, interpolation='nearest'):
        """Takes a data frame and the path to a directory, and generates batches of
        augmented data.

        # Arguments
            dataframe: pandas `DataFrame` (or any object with the same `frame[column]`
                access) containing the file names of the images in column `x_col` and
                their classes (or other targets) in column(s) `y_col`.
            directory: path to the directory to read images from; None if `x_col`
                holds absolute paths.
            x_col: column holding the file names.
            y_col: column (or, for `class_mode="other"`, columns) holding the targets.
            has_ext: whether the file names in `x_col` include their extension.
            target_size: tuple of integers `(height, width)`, default `(256, 256)`.
            color_mode: one of "grayscale", "rgb", "rgba". Default: "rgb".
            classes: optional list of classes (values of `y_col`); by default the
                distinct values of `y_col`, in order of first appearance.
            class_mode: one of "categorical", "binary", "sparse", "input", "other" or
                None. Default: "categorical". "other" yields the values of `y_col`.
            batch_size: size of the batches of data (default: 32).
            shuffle: whether to shuffle the data (default: True).
            seed: optional random seed for shuffling and transformations.
            save_to_dir: None or str. A directory in which to save the augmented
                pictures being generated.
            save_prefix: str. Prefix of the names of saved pictures.
            save_format: one of "png", "jpeg". Default: "png".
            subset: subset of data (`"training"` or `"validation"`) if
                `validation_split` is set in `ImageDataGenerator`.
            interpolation: interpolation method used to resample the images.

        # Returns
            A `DataFrameIterator` yielding tuples of `(x, y)` where `x` is a NumPy
            array containing a batch of images with shape
            `(batch_size, *target_size, channels)` and `y` is a NumPy array of
            corresponding labels.
        """
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col,
                                 has_ext=has_ext, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset,
                                 interpolation=interpolation, dtype=self.dtype)

    # ------------------------------------------------------------------ normalization

    def standardize(self, x):
        """Applies the normalization configuration to a batch of inputs.

        As in Keras 2, `x` is modified in place when it is a float array (and returned).

        # Arguments
            x: batch of inputs (or single input) to be normalized.

        # Returns
            The inputs, normalized.
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= (np.std(x, keepdims=True) + backend.epsilon())

        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn('This ImageDataGenerator specifies '
                              '`featurewise_center`, but it hasn\'t '
                              'been fit on any training data. Fit it '
                              'first by calling `.fit(numpy_data)`.')
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= (self.std + backend.epsilon())
            else:
                warnings.warn('This ImageDataGenerator specifies '
                              '`featurewise_std_normalization`, '
                              'but it hasn\'t '
                              'been fit on any training data. Fit it '
                              'first by calling `.fit(numpy_data)`.')
        if self.zca_whitening:
            if self.principal_components is not None:
                flatx = np.reshape(x, (-1, np.prod(x.shape[-3:])))
                whitex = np.dot(flatx, self.principal_components)
                x = np.reshape(whitex, x.shape)
            else:
                warnings.warn('This ImageDataGenerator specifies '
                              '`zca_whitening`, but it hasn\'t '
                              'been fit on any training data. Fit it '
                              'first by calling `.fit(numpy_data)`.')
        return x

    # --------------------------------------------------------------- augmentation

    def get_random_transform(self, img_shape, seed=None):
        """Generates random parameters for a transformation.

        # Arguments
            img_shape: tuple of integers. Shape of the image that is transformed.
            seed: random seed (draws then come from a generator seeded with it; NumPy's
                global generator is left alone).

        # Returns
            A dictionary containing randomly chosen parameters describing the
            transformation.
        """
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        # The order of the draws is Keras 2's, so that seeded results match it.
        rng = current_rng() if seed is None else seeded(seed)

        theta = rng.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = _draw_shift(rng, self.height_shift_range, img_shape[img_row_axis])
        ty = _draw_shift(rng, self.width_shift_range, img_shape[img_col_axis])
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0

        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)

        flip_horizontal = (rng.random_sample() < 0.5) * self.horizontal_flip
        flip_vertical = (rng.random_sample() < 0.5) * self.vertical_flip

        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = rng.uniform(-self.channel_shift_range,
                                                  self.channel_shift_range)

        brightness = None
        if self.brightness_range is not None:
            if len(self.brightness_range) != 2:
                raise ValueError('`brightness_range should be tuple or list of two floats. '
                                 'Received: %s' % (self.brightness_range,))
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1])

        return {'theta': theta,
                'tx': tx,
                'ty': ty,
                'shear': shear,
                'zx': zx,
                'zy': zy,
                'flip_horizontal': flip_horizontal,
                'flip_vertical': flip_vertical,
                'channel_shift_intensity': channel_shift_intensity,
                'brightness': brightness}

    def apply_transform(self, x, transform_parameters):
        """Applies a transformation to an image according to given parameters.

        # Arguments
            x: 3D tensor, single image.
            transform_parameters: dictionary with string - parameter pairs describing the
                transformation. Currently, the following parameters from the dictionary
                are used:
                - `'theta'`: float. Rotation angle in degrees.
                - `'tx'`: float. Shift in the x direction (rows).
                - `'ty'`: float. Shift in the y direction (columns).
                - `'shear'`: float. Shear angle in degrees.
                - `'zx'`: float. Zoom in the x direction.
                - `'zy'`: float. Zoom in the y direction.
                - `'flip_horizontal'`: boolean. Horizontal flip.
                - `'flip_vertical'`: boolean. Vertical flip.
                - `'channel_shift_intensity'`: float. Channel shift intensity.
                - `'brightness'`: float. Brightness shift intensity.

        # Returns
            A transformed version of the input (same shape).
        """
        # x is a single image, so it doesn't have image number at index 0
        img_row_axis = self.row_axis - 1
        img_col_axis = self.col_axis - 1
        img_channel_axis = self.channel_axis - 1

        x = apply_affine_transform(x, transform_parameters.get('theta', 0),
                                   transform_parameters.get('tx', 0),
                                   transform_parameters.get('ty', 0),
                                   transform_parameters.get('shear', 0),
                                   transform_parameters.get('zx', 1),
                                   transform_parameters.get('zy', 1),
                                   row_axis=img_row_axis, col_axis=img_col_axis,
                                   channel_axis=img_channel_axis,
                                   fill_mode=self.fill_mode, cval=self.cval)

        if transform_parameters.get('channel_shift_intensity') is not None:
            x = apply_channel_shift(x, transform_parameters['channel_shift_intensity'],
                                    img_channel_axis)
        if transform_parameters.get('flip_horizontal', False):
            x = flip_axis(x, img_col_axis)
        if transform_parameters.get('flip_vertical', False):
            x = flip_axis(x, img_row_axis)
        if transform_parameters.get('brightness') is not None:
            x = apply_brightness_shift(x, transform_parameters['brightness'],
                                       data_format=self.data_format)
        return x

    def random_transform(self, x, seed=None):
        """Applies a random transformation to an image.

        # Arguments
            x: 3D tensor, single image.
            seed: random seed.

        # Returns
            A randomly transformed version of the input (same shape).
        """
        params = self.get_random_transform(x.shape, seed)
        return self.apply_transform(x, params)

    # ----------------------------------------------------------------------- fitting

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Fits the data generator to some sample data.

        Computes the internal data statistics of the data-dependent transformations
        (`mean`, `std`, `principal_components`) from an array of sample data. Only
        required if `featurewise_center`, `featurewise_std_normalization` or
        `zca_whitening` are set.

        # Arguments
            x: sample data, of rank 4. The channels axis has 1 (grayscale), 3 (RGB) or 4
                (RGBA) elements.
            augment: boolean (default: False). Whether to fit on randomly augmented
                samples.
            rounds: int (default: 1). If using data augmentation (`augment=True`), this
                is how many augmentation passes over the data to use.
            seed: int (default: None). Random seed of the augmentation.

        # Raises
            ValueError: if `x` is not of rank 4.
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError('Input to `.fit()` should have rank 4. '
                             'Got array with shape: ' + str(x.shape))
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn(
                'Expected input to be images (as Numpy array) '
                'following the data format convention "' +
                self.data_format + '" (channels on axis ' +
                str(self.channel_axis) + '), i.e. expected '
                'either 1, 3 or 4 channels on axis ' +
                str(self.channel_axis) + '. '
                'However, it was passed an array with shape ' +
                str(x.shape) + ' (' + str(x.shape[self.channel_axis]) +
                ' channels).')

        x = np.copy(x)
        if augment:
            ax = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            with using_rng(None if seed is None else seeded(seed)):
                for r in range(rounds):
                    for i in range(x.shape[0]):
                        ax[i + r * x.shape[0]] = self.random_transform(x[i])
            x = ax

        broadcast_shape = [1, 1, 1]
        broadcast_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, self.row_axis, self.col_axis))
            self.mean = np.reshape(self.mean, broadcast_shape)
            x -= self.mean

        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, self.row_axis, self.col_axis))
            self.std = np.reshape(self.std, broadcast_shape)
            x /= (self.std + backend.epsilon())

        if self.zca_whitening:
            flat_x = np.reshape(x, (x.shape[0], x.shape[1] * x.shape[2] * x.shape[3]))
            sigma = np.dot(flat_x.T, flat_x) / flat_x.shape[0]
            # SciPy's SVD, as Keras 2 used; imported here, not with cornu (it is slow to
            # import and most programs never whiten).
            from scipy import linalg
            u, s, _ = linalg.svd(sigma)
            s_inv = 1. / np.sqrt(s[np.newaxis] + self.zca_epsilon)
            self.principal_components = (u * s_inv).dot(u.T)
