"""Checks of the arguments given to layer constructors (and to the objects passed to layers),
each against the domain the Keras 2 documentation gives it.

A bad argument is refused when the layer is made, before any weight or engine call, with a
message that names the layer, the argument, the value given and what is expected:

    Layer dense_1 (Dense): The `units` argument must be a positive integer. Received: 0.

`ValueError` for a value outside the domain, `TypeError` for a value of the wrong type (a
string where a number is meant). The checks are plain Python, the same on every engine; they
live here, below the layers, so that `cornu.layers` and `cornu.legacy` share them.
"""
import numbers

from . import conv_utils
from .. import backend as K


def describe(owner):
    """The prefix of an error message about `owner`'s arguments.

    # Arguments
        owner: a layer (once `Layer.__init__` has named it), or any other object.

    # Returns
        `'Layer dense_1 (Dense): '` for a named layer, `'MaxNorm: '` otherwise.
    """
    name = getattr(owner, 'name', None)
    class_name = type(owner).__name__
    if isinstance(name, str) and name:
        return 'Layer ' + name + ' (' + class_name + '): '
    return class_name + ': '


class ArgumentValueError(ValueError):
    """A constructor argument outside its domain; `detail` is the message without the
    layer's prefix (the exception takes one argument, `message`, when unpickled)."""

    def __init__(self, message, detail=None):
        super(ArgumentValueError, self).__init__(message)
        self.detail = message if detail is None else detail


class ArgumentTypeError(TypeError):
    """A constructor argument of the wrong type; `detail` as for `ArgumentValueError`."""

    def __init__(self, message, detail=None):
        super(ArgumentTypeError, self).__init__(message)
        self.detail = message if detail is None else detail


def refuse(owner, argument, value, expected, error=ArgumentValueError):
    """Raises `error` (`ArgumentValueError` or `ArgumentTypeError`) saying that `argument`
    must be `expected` (a phrase, e.g. `'a positive integer'`) and received `value`."""
    detail = ('The `' + argument + '` argument must be ' + expected + '. Received: ' +
              repr(value) + '.')
    raise error(describe(owner) + detail, detail)


def made_for(layer_class, name, make):
    """Calls `make()`, which makes an inner object from a layer's arguments (an RNN layer's
    cell), reporting a bad argument as the layer's own, since that is where it was written.

    # Arguments
        layer_class: the class of the layer being made (not named yet).
        name: the `name` given to the layer, or `None`.
        make: a function of no arguments.

    # Returns
        What `make` returns.
    """
    try:
        return make()
    except (ArgumentValueError, ArgumentTypeError) as error:
        prefix = (layer_class.__name__ + ': ' if not name else
                  'Layer ' + str(name) + ' (' + layer_class.__name__ + '): ')
        raise type(error)(prefix + error.detail, error.detail) from None


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _as_int(owner, argument, value, expected):
    """`value` as a Python int: ints (NumPy's included) and integral floats such as `2.0`;
    a `TypeError` for non-numbers, a `ValueError` for fractions."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if not _is_number(value):
        refuse(owner, argument, value, expected, ArgumentTypeError)
    if value != value or value in (float('inf'), float('-inf')) or int(value) != value:
        refuse(owner, argument, value, expected)
    return int(value)


def positive_int(owner, argument, value):
    """Checks a size (`units`, `filters`, `n`, ...): an integer >= 1, returned as an int."""
    expected = 'a positive integer'
    as_int = _as_int(owner, argument, value, expected)
    if as_int < 1:
        refuse(owner, argument, value, expected)
    return as_int


def optional_positive_int(owner, argument, value):
    """`positive_int`, where `None` (unknown, or not given) is allowed too."""
    if value is None:
        return None
    return positive_int(owner, argument, value)


def int_tuple(owner, argument, value, n, minimum=1):
    """Checks an int-or-tuple argument (`kernel_size`, `strides`, `pool_size`, ...).

    # Arguments
        owner: the layer.
        argument: the argument's name.
        value: an int, or an iterable of `n` ints.
        n: the number of entries (the rank of the layer).
        minimum: the smallest legal entry: 1 for sizes and strides, 0 for paddings.

    # Returns
        A tuple of `n` Python ints.

    # Raises
        ValueError: for a value of the wrong length, with a non-integer entry, or with an
            entry below `minimum`.
    """
    try:
        values = conv_utils.normalize_tuple(value, n, argument)
    except ValueError as error:
        raise ArgumentValueError(describe(owner) + str(error), str(error)) from None
    if any(entry < minimum for entry in values):
        expected = ('an integer or a tuple of ' + str(n) + ' integers, each ' +
                    ('positive' if minimum == 1 else '>= ' + str(minimum)))
        refuse(owner, argument, value, expected)
    return values


def _as_float(owner, argument, value, expected):
    if not _is_number(value):
        refuse(owner, argument, value, expected, ArgumentTypeError)
    as_float = float(value)
    if as_float != as_float or as_float in (float('inf'), float('-inf')):
        refuse(owner, argument, value, expected)
    return as_float


def rate(owner, argument, value):
    """Checks a fraction (a dropout rate): a number in [0, 1], returned as a float."""
    expected = 'a number between 0 and 1'
    as_float = _as_float(owner, argument, value, expected)
    if not 0. <= as_float <= 1.:
        refuse(owner, argument, value, expected)
    return as_float


def non_negative_number(owner, argument, value):
    """Checks a number >= 0 (a standard deviation, a slope, a penalty factor)."""
    expected = 'a non-negative number'
    as_float = _as_float(owner, argument, value, expected)
    if not 0. <= as_float:
        refuse(owner, argument, value, expected)
    return as_float


def number(owner, argument, value):
    """Checks a finite real number, returned as a float."""
    return _as_float(owner, argument, value, 'a number')


def one_of(owner, argument, value, choices):
    """Checks that `value` is one of `choices` (strings, or `None`)."""
    if value not in choices:
        expected = 'one of ' + ', '.join(repr(choice) for choice in choices)
        refuse(owner, argument, value, expected)
    return value


def axis(owner, argument, value, allow_list=False):
    """Checks an axis argument: an int or, where `allow_list`, a non-empty list or tuple of
    ints (returned as a list)."""
    if allow_list and isinstance(value, (list, tuple)):
        expected = 'an integer or a list of integers'
        if not value:
            refuse(owner, argument, value, expected)
        return [_strict_int(owner, argument, entry, value, expected) for entry in value]
    return _strict_int(owner, argument, value, value, 'an integer')


def _strict_int(owner, argument, entry, value, expected):
    if isinstance(entry, numbers.Integral) and not isinstance(entry, bool):
        return int(entry)
    refuse(owner, argument, value, expected, ArgumentTypeError)


def strides_without_dilation(owner, strides, dilation_rate):
    """Refuses strides > 1 together with a dilation rate > 1 (Keras 2 documents them as
    incompatible: a dilated convolution moves one step at a time)."""
    if any(stride != 1 for stride in strides) and any(rate != 1 for rate in dilation_rate):
        detail = ('`strides` ' + str(tuple(strides)) + ' and `dilation_rate` ' +
                  str(tuple(dilation_rate)) + ' cannot both be different from 1: use '
                  'strides=1 with a dilation rate, or dilation_rate=1 with strides.')
        raise ArgumentValueError(describe(owner) + detail, detail)


def looked_up(owner, argument, get, identifier):
    """`get(identifier)` (e.g. `activations.get`), its `ValueError` naming the layer, the
    argument and the value."""
    try:
        return get(identifier)
    except ValueError as error:
        detail = ('The `' + argument + '` argument could not be interpreted (' + str(error) +
                  '). Received: ' + repr(identifier) + '.')
        raise ArgumentValueError(describe(owner) + detail, detail) from None


def target_shape(owner, argument, value):
    """Checks a shape without the batch axis (`Reshape`'s `target_shape`): positive integers,
    with at most one `-1` (a size to infer). Returns a tuple of ints."""
    expected = 'a tuple of positive integers, with at most one -1 (a size to infer)'
    if not isinstance(value, (list, tuple)):
        refuse(owner, argument, value, expected, ArgumentTypeError)
    entries = []
    for entry in value:
        if isinstance(entry, bool) or not isinstance(entry, numbers.Integral):
            refuse(owner, argument, value, expected, ArgumentTypeError)
        if entry == 0 or entry < -1:
            refuse(owner, argument, value, expected)
        entries.append(int(entry))
    if entries.count(-1) > 1:
        refuse(owner, argument, value, expected)
    return tuple(entries)


def optional_shape(owner, argument, value):
    """Checks a shape whose entries are positive integers or `None` (a `noise_shape`);
    `None` itself is allowed. Returns a tuple, or `None`."""
    if value is None:
        return None
    expected = 'None or a tuple of positive integers and None'
    if not isinstance(value, (list, tuple)):
        refuse(owner, argument, value, expected, ArgumentTypeError)
    for entry in value:
        if entry is None:
            continue
        if isinstance(entry, bool) or not isinstance(entry, numbers.Integral):
            refuse(owner, argument, value, expected, ArgumentTypeError)
        if entry < 1:
            refuse(owner, argument, value, expected)
    return tuple(value)


def permutation(owner, argument, value):
    """Checks a permutation of the axes `1..n` (`Permute`'s `dims`). Returns a tuple."""
    expected = 'a permutation of the axes 1, 2, ..., n (the batch axis 0 stays first)'
    if not isinstance(value, (list, tuple)):
        refuse(owner, argument, value, expected, ArgumentTypeError)
    for entry in value:
        if isinstance(entry, bool) or not isinstance(entry, numbers.Integral):
            refuse(owner, argument, value, expected, ArgumentTypeError)
    entries = tuple(int(entry) for entry in value)
    if sorted(entries) != list(range(1, len(entries) + 1)):
        refuse(owner, argument, value, expected)
    return entries


def padding(owner, value, allow_causal=False):
    """Checks a convolution's `padding` (case-insensitive; `'causal'` only where
    `allow_causal`, i.e. for 1-D convolutions). Returns it in lower case."""
    expected = ('one of "valid", "same" (or "causal", only for `Conv1D`)' if allow_causal else
                '"valid" or "same" ("causal" padding is only supported by `Conv1D`)')
    if not isinstance(value, str):
        refuse(owner, 'padding', value, expected, ArgumentTypeError)
    normalized = value.lower()
    if normalized not in (('valid', 'same', 'causal') if allow_causal else ('valid', 'same')):
        refuse(owner, 'padding', value, expected)
    return normalized


def data_format(owner, value):
    """Checks a `data_format` (`None` gives `K.image_data_format()`)."""
    expected = 'one of "channels_first", "channels_last" (or None for the configured default)'
    if value is not None and not isinstance(value, str):
        refuse(owner, 'data_format', value, expected, ArgumentTypeError)
    try:
        return K.normalize_data_format(value)
    except ValueError:
        refuse(owner, 'data_format', value, expected)


def convolution_2d(owner, filters, kernel_size, strides, padding_, data_format_,
                   dilation_rate):
    """Checks the arguments of a 2-D convolution inside a recurrent layer (`ConvLSTM2D`'s
    cell, Keras 1's `ConvRecurrent2D`).

    # Returns
        `(filters, kernel_size, strides, padding, data_format, dilation_rate)`, normalised
        (pairs for the sizes, lower-case padding, the configured default for a `None` data
        format).
    """
    checked = (positive_int(owner, 'filters', filters),
               int_tuple(owner, 'kernel_size', kernel_size, 2),
               int_tuple(owner, 'strides', strides, 2),
               padding(owner, padding_),
               data_format(owner, data_format_),
               int_tuple(owner, 'dilation_rate', dilation_rate, 2))
    strides_without_dilation(owner, checked[2], checked[5])
    return checked
