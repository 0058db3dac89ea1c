"""Image preprocessing of Keras 2.2.4 (`keras.preprocessing.image`, keras_preprocessing
1.0.5): real-time augmentation with `ImageDataGenerator`, the iterators it returns, image
file helpers (Pillow) and the affine and colour transformations (SciPy).

The module is a package of focused files; every public name of Keras 2's
`keras.preprocessing.image` is importable from here.
"""
from .affine_transformations import apply_affine_transform
from .affine_transformations import apply_brightness_shift
from .affine_transformations import apply_channel_shift
from .affine_transformations import flip_axis
from .affine_transformations import random_brightness
from .affine_transformations import random_channel_shift
from .affine_transformations import random_rotation
from .affine_transformations import random_shear
from .affine_transformations import random_shift
from .affine_transformations import random_zoom
from .affine_transformations import transform_matrix_offset_center
from .dataframe_iterator import DataFrameIterator
from .directory_iterator import DirectoryIterator
from .image_data_generator import ImageDataGenerator
from .iterator import Iterator
from .numpy_array_iterator import NumpyArrayIterator
from .utils import array_to_img
from .utils import img_to_array
from .utils import list_pictures
from .utils import load_img
from .utils import save_img

__all__ = ['ImageDataGenerator', 'Iterator', 'NumpyArrayIterator', 'DirectoryIterator',
           'DataFrameIterator', 'array_to_img', 'img_to_array', 'save_img', 'load_img',
           'list_pictures', 'random_rotation', 'random_shift', 'random_shear', 'random_zoom',
           'random_channel_shift', 'random_brightness', 'apply_affine_transform',
           'apply_channel_shift', 'apply_brightness_shift', 'flip_axis',
           'transform_matrix_offset_center']
