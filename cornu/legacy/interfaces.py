"""`keras.legacy.interfaces`: decorators that accept Keras 1 arguments, with Keras 2.2.4's
names.

Each `legacy_*_support` decorates an `__init__`: it renames Keras 1 keyword arguments (and
values such as `dim_ordering='th'`) to their Keras 2 form, refuses extra positional
arguments, and warns with the Keras 2 call to write instead. The layers of `cornu.layers`
already carry them; `generate_legacy_interface` makes one for a user's own layer.
"""
import functools

from .._common.legacy_arguments import legacy_generator_methods_support  # noqa: F401
from ..layers._legacy import (legacy_interface, legacy_dense_support,  # noqa: F401
                              legacy_dropout_support, legacy_conv1d_support,
                              legacy_conv2d_support, legacy_conv3d_support,
                              legacy_deconv2d_support, legacy_separable_conv2d_support,
                              legacy_upsampling1d_support, legacy_zeropadding2d_support,
                              legacy_pooling1d_support)
from ..layers._legacy import legacy_pooling_support as legacy_pooling2d_support  # noqa: F401
from ..layers._legacy import legacy_pooling_support as legacy_pooling3d_support  # noqa: F401
from ..layers._legacy import legacy_spatial_support as legacy_upsampling2d_support  # noqa: F401
from ..layers._legacy import legacy_spatial_support as legacy_upsampling3d_support  # noqa: F401
from ..layers._legacy import (  # noqa: F401
    legacy_spatialdropout_support as legacy_spatialdropout1d_support)
from ..layers._legacy import (  # noqa: F401
    legacy_spatialdropout_support as legacy_spatialdropoutNd_support)
from ..layers.advanced_activations import (  # noqa: F401
    _legacy_prelu_support as legacy_prelu_support)
from ..layers.embeddings import _legacy_embedding_support as legacy_embedding_support  # noqa
from ..layers.noise import (  # noqa: F401
    _legacy_gaussiannoise_support as legacy_gaussiannoise_support,
    _legacy_gaussiandropout_support as legacy_gaussiandropout_support)
from ..layers.normalization import (  # noqa: F401
    _legacy_batchnorm_support as legacy_batchnorm_support)
from ..layers.recurrent.layers import legacy_recurrent_support  # noqa: F401
from ..layers.convolutional_recurrent import legacy_convlstm2d_support  # noqa: F401


def generate_legacy_interface(allowed_positional_args=None, conversions=None,
                              preprocessor=None, value_conversions=None, object_type='class'):
    """Makes a decorator that converts Keras 1 arguments of a constructor (or method).

    # Arguments
        allowed_positional_args: names of the positional arguments the Keras 2 signature
            takes; more positional arguments raise a `TypeError`. `None`: no check.
        conversions: list of `(keras1_name, keras2_name)` keyword renamings.
        preprocessor: optional `f(args, kwargs) -> (args, kwargs, converted)` for what a
            renaming cannot do; `converted` lists `(keras2_name, keras1_name)` pairs.
        value_conversions: `{keras1_name: {keras1_value: keras2_value}}`.
        object_type: `'class'` (for an `__init__`: the warning names the class) or
            `'method'` (it names the method).

    # Returns
        A decorator.

    # Raises
        ValueError: for an unknown `object_type`.
    """
    if object_type not in ('class', 'method'):
        raise ValueError('object_type must be "class" or "method", got ' + repr(object_type))
    return legacy_interface(allowed_positional_args=allowed_positional_args,
                            conversions=conversions or (),
                            value_conversions=value_conversions, preprocessor=preprocessor,
                            object_type=object_type)


generate_legacy_method_interface = functools.partial(generate_legacy_interface,
                                                     object_type='method')


def raise_duplicate_arg_error(old_arg, new_arg):
    """Raises the `TypeError` for a call that gives both a Keras 1 argument and its Keras 2
    replacement."""
    raise TypeError('For the `' + new_arg + '` argument, the layer received both the legacy '
                    'keyword argument `' + old_arg + '` and the Keras 2 keyword argument `' +
                    new_arg + '`. Stick to the latter!')
