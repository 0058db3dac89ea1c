"""Keras 1 argument names for convolution, pooling and resizing layers, as Keras 2.2.4 accepted.

Keras 2.2.4 still took the Keras 1 spellings (`nb_filter`, `border_mode`, `subsample`,
`dim_ordering='th'`, `Convolution2D(32, 3, 3)`, ...), converted them and warned. Old scripts
rely on it, so the layers here do the same: a decorator on `__init__` rewrites the arguments
once, at construction, and warns with the Keras 2 call to write instead.
"""
import warnings

from .._common.legacy_arguments import legacy_interface  # noqa: F401 (used by layers)

_DIM_ORDERING = {'dim_ordering': {'tf': 'channels_last', 'th': 'channels_first',
                                  'default': None}}

_WEIGHT_CONVERSIONS = [('init', 'kernel_initializer'),
                       ('W_regularizer', 'kernel_regularizer'),
                       ('b_regularizer', 'bias_regularizer'),
                       ('W_constraint', 'kernel_constraint'),
                       ('b_constraint', 'bias_constraint'),
                       ('bias', 'use_bias')]


def _conv1d_preprocessor(args, kwargs):
    converted = []
    if 'input_dim' in kwargs:
        length = kwargs.pop('input_length', None)
        kwargs['input_shape'] = (length, kwargs.pop('input_dim'))
        converted.append(('input_shape', 'input_dim'))
    return args, kwargs, converted


def _kernel_from_legacy(args, kwargs, names, what):
    """Gathers Keras 1 per-axis kernel sizes (`Conv2D(32, 3, 3)`, `nb_row=`, ...) into
    `kernel_size`; `args` includes `self`."""
    converted = []
    rank = len(names)
    args = list(args)
    if len(args) > rank + 2:
        raise TypeError('Layer can receive at most ' + str(rank + 1) + ' positional '
                        'arguments.')
    if len(args) == rank + 2:
        if all(isinstance(a, int) for a in args[2:]):
            if rank == 2:
                for keyword in ('padding', 'strides', 'data_format'):
                    if keyword in kwargs:
                        raise ValueError('It seems that you are using the Keras 2 and you are '
                                         'passing both `kernel_size` and `strides` as integer '
                                         'positional arguments. For safety reasons, this is '
                                         'disallowed. Pass `strides` as a keyword argument '
                                         'instead.')
            args = args[:2] + [tuple(args[2:])]
            converted.append(('kernel_size', what))
        return tuple(args), kwargs, converted
    given = len(args) - 2  # per-axis sizes given positionally
    if given >= 1 and not all(isinstance(a, int) for a in args[2:]):
        return tuple(args), kwargs, converted
    missing = names[max(given, 0):]
    if len(args) >= 2 and missing and all(n in kwargs for n in missing):
        sizes = tuple(args[2:]) + tuple(kwargs.pop(n) for n in missing)
        args = args[:2] + [sizes]
        converted.append(('kernel_size', what))
    elif len(args) == 1 and all(n in kwargs for n in names):
        kwargs['kernel_size'] = tuple(kwargs.pop(n) for n in names)
        converted.append(('kernel_size', what))
    return tuple(args), kwargs, converted


def _conv2d_preprocessor(args, kwargs):
    return _kernel_from_legacy(args, kwargs, ('nb_row', 'nb_col'), 'nb_row/nb_col')


def _conv3d_preprocessor(args, kwargs):
    return _kernel_from_legacy(args, kwargs, ('kernel_dim1', 'kernel_dim2', 'kernel_dim3'),
                               'kernel_dim*')


def _separable_conv2d_preprocessor(args, kwargs):
    converted = []
    if 'init' in kwargs:
        init = kwargs.pop('init')
        kwargs['depthwise_initializer'] = init
        kwargs['pointwise_initializer'] = init
        converted.append(('init', 'depthwise_initializer/pointwise_initializer'))
    args, kwargs, more = _conv2d_preprocessor(args, kwargs)
    return args, kwargs, converted + more


def _deconv2d_preprocessor(args, kwargs):
    # Keras 1's Deconvolution2D took the output shape; Keras 2 infers it.
    converted = []
    if len(args) == 5 and isinstance(args[4], tuple):
        args = args[:-1]
        converted.append(('output_shape', None))
    if 'output_shape' in kwargs:
        kwargs.pop('output_shape')
        converted.append(('output_shape', None))
    args, kwargs, more = _conv2d_preprocessor(args, kwargs)
    return args, kwargs, converted + more


def _zeropadding2d_preprocessor(args, kwargs):
    keys = {'top_pad', 'bottom_pad', 'left_pad', 'right_pad'}

    def convert(padding):
        return ((padding.get('top_pad', 0), padding.get('bottom_pad', 0)),
                (padding.get('left_pad', 0), padding.get('right_pad', 0)))

    if isinstance(kwargs.get('padding'), dict) and set(kwargs['padding']) <= keys:
        kwargs['padding'] = convert(kwargs['padding'])
        warnings.warn('The `padding` argument in the Keras 2 API no longer accepts dict '
                      'types. You can now input argument as: '
                      '`padding=((top_pad, bottom_pad), (left_pad, right_pad))`.', stacklevel=3)
    elif len(args) == 2 and isinstance(args[1], dict) and set(args[1]) <= keys:
        args = (args[0], convert(args[1]))
        warnings.warn('The `padding` argument in the Keras 2 API no longer accepts dict '
                      'types. You can now input argument as: '
                      '`padding=((top_pad, bottom_pad), (left_pad, right_pad))`.', stacklevel=3)
    return args, kwargs, []


_CONV_BASE = [('nb_filter', 'filters'), ('subsample', 'strides'), ('border_mode', 'padding'),
              ('dim_ordering', 'data_format')]

legacy_conv1d_support = legacy_interface(
    allowed_positional_args=['filters', 'kernel_size'],
    conversions=[('nb_filter', 'filters'), ('filter_length', 'kernel_size'),
                 ('subsample_length', 'strides'), ('border_mode', 'padding')] +
    _WEIGHT_CONVERSIONS,
    preprocessor=_conv1d_preprocessor)

legacy_conv2d_support = legacy_interface(
    allowed_positional_args=['filters', 'kernel_size'],
    conversions=_CONV_BASE + _WEIGHT_CONVERSIONS, value_conversions=_DIM_ORDERING,
    preprocessor=_conv2d_preprocessor)

legacy_conv3d_support = legacy_interface(
    allowed_positional_args=['filters', 'kernel_size'],
    conversions=_CONV_BASE + _WEIGHT_CONVERSIONS, value_conversions=_DIM_ORDERING,
    preprocessor=_conv3d_preprocessor)

legacy_deconv2d_support = legacy_interface(
    allowed_positional_args=['filters', 'kernel_size'],
    conversions=_CONV_BASE + _WEIGHT_CONVERSIONS, value_conversions=_DIM_ORDERING,
    preprocessor=_deconv2d_preprocessor)

legacy_separable_conv2d_support = legacy_interface(
    allowed_positional_args=['filters', 'kernel_size'],
    conversions=_CONV_BASE + [('b_regularizer', 'bias_regularizer'),
                              ('b_constraint', 'bias_constraint'), ('bias', 'use_bias')],
    value_conversions=_DIM_ORDERING, preprocessor=_separable_conv2d_preprocessor)

legacy_upsampling1d_support = legacy_interface(
    allowed_positional_args=['size'], conversions=[('length', 'size')])

legacy_spatial_support = legacy_interface(
    conversions=[('dim_ordering', 'data_format')], value_conversions=_DIM_ORDERING)

legacy_zeropadding2d_support = legacy_interface(
    allowed_positional_args=['padding'], conversions=[('dim_ordering', 'data_format')],
    value_conversions=_DIM_ORDERING, preprocessor=_zeropadding2d_preprocessor)

legacy_pooling1d_support = legacy_interface(
    allowed_positional_args=['pool_size', 'strides', 'padding'],
    conversions=[('pool_length', 'pool_size'), ('stride', 'strides'),
                 ('border_mode', 'padding')])

legacy_pooling_support = legacy_interface(
    allowed_positional_args=['pool_size', 'strides', 'padding'],
    conversions=[('border_mode', 'padding'), ('dim_ordering', 'data_format')],
    value_conversions=_DIM_ORDERING)

legacy_dense_support = legacy_interface(
    allowed_positional_args=['units'],
    conversions=[('output_dim', 'units')] + _WEIGHT_CONVERSIONS)

legacy_dropout_support = legacy_interface(
    allowed_positional_args=['rate', 'noise_shape', 'seed'], conversions=[('p', 'rate')])

legacy_spatialdropout_support = legacy_interface(
    allowed_positional_args=['rate'], conversions=[('p', 'rate'),
                                                   ('dim_ordering', 'data_format')],
    value_conversions=_DIM_ORDERING)
