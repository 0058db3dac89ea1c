"""Shape arguments given by the user (`Input(shape=...)`, a first layer's `input_shape=`,
`batch_input_shape=`, `batch_size=`), checked once where they are given.

Every entry of a shape is a positive integer or `None` (unknown). Keras 2.2.4 on TensorFlow
refused an int in place of a tuple (`TypeError`), and negative or fractional sizes
(`ValueError`); here a size of 0 is refused too, as it holds no data.
"""
import numbers


def checked_shape(shape, argument, owner):
    """`shape` as a tuple of ints and `None`s, or an error naming `argument` and `owner`.

    # Arguments
        shape: the value given (a tuple or list).
        argument: the argument's name, e.g. `'input_shape'`, for the messages.
        owner: what it was given to, e.g. `'Layer dense_1'` or `'Input'`.

    # Returns
        A tuple of positive ints and `None`s.

    # Raises
        TypeError: when `shape` is not a tuple or list, or holds something other than
            numbers and `None`.
        ValueError: for a size that is not a positive whole number.
    """
    if isinstance(shape, numbers.Number):
        raise TypeError(owner + ': `' + argument + '` must be a tuple of sizes, such as (' +
                        str(shape) + ',), but got ' + type(shape).__name__ + ' ' +
                        repr(shape) + '.')
    if isinstance(shape, (str, bytes, dict)) or not hasattr(shape, '__iter__'):
        raise TypeError(owner + ': `' + argument + '` must be a tuple of sizes (positive '
                        'integers or None), but got ' + type(shape).__name__ + ' ' +
                        repr(shape)[:200] + '.')
    shape = tuple(shape)
    return tuple(checked_size(size, argument, owner, shape) for size in shape)


def checked_size(size, argument, owner, shape=None):
    """One size of a shape: a positive int, or `None`.

    # Raises
        TypeError: for a value that is neither a number nor `None`.
        ValueError: for a number that is not a positive whole number.
    """
    if size is None:
        return None
    if shape is None:
        expected = owner + ': `' + argument + '` must be a positive integer or None'
        given = repr(size)
    else:
        expected = owner + ': the sizes of `' + argument + '` must be positive integers or None'
        given = repr(size) + ' in ' + repr(shape)
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(expected + ', but got ' + type(size).__name__ + ' ' + given + '.')
    if not float(size).is_integer() or size <= 0:
        raise ValueError(expected + ', but got ' + given + '.')
    return int(size)
