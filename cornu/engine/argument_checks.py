"""The domains of the numeric arguments of `fit`, `evaluate`, `predict` and the generator
methods, checked before anything runs.

Keras 2.2.4 let some of these through (a negative `batch_size` trained nothing, a
`validation_split` of 1.5 was ignored); they are refused here with a `ValueError` naming the
argument, the value given and what is expected, or a `TypeError` for a value of the wrong
type.
"""
import numbers


def _is_integer(value):
    # `type(value) is int` first: the ABC check costs a microsecond per call of `predict`.
    return type(value) is int or (isinstance(value, numbers.Integral) and
                                  not isinstance(value, bool))


def check_positive_int(value, name, allow_none=True):
    """Refuses `value` unless it is an integer > 0 (or `None` where allowed).

    # Raises
        TypeError: for a value that is not an integer.
        ValueError: for an integer <= 0.
    """
    if value is None and allow_none:
        return
    if not _is_integer(value):
        raise TypeError('`' + name + '` must be an integer > 0, but got ' + repr(value) +
                        ' (' + type(value).__name__ + ').')
    if value <= 0:
        raise ValueError('`' + name + '` must be an integer > 0, but got ' + str(value) + '.')


def check_steps(value, name):
    """Refuses a number of steps that is not a number > 0 (`None` allowed). Floats are
    allowed: Keras 2.2.4's generator loops drew batches while `steps_done < steps`.

    # Raises
        TypeError: for a value that is not a number.
        ValueError: for a number <= 0.
    """
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError('`' + name + '` must be a number of batches > 0, but got ' +
                        repr(value) + ' (' + type(value).__name__ + ').')
    if not value > 0:
        raise ValueError('`' + name + '` must be a number of batches > 0, but got ' +
                         str(value) + '.')


def check_epochs(epochs, initial_epoch):
    """Refuses `epochs` or `initial_epoch` that are not integers >= 0. As in Keras 2.2.4,
    `epochs` is the index of the last epoch: `epochs <= initial_epoch` trains nothing.

    # Raises
        TypeError: for a value that is not an integer.
        ValueError: for a negative value.
    """
    for name, value in (('epochs', epochs), ('initial_epoch', initial_epoch)):
        if not _is_integer(value):
            raise TypeError('`' + name + '` must be an integer >= 0, but got ' + repr(value) +
                            ' (' + type(value).__name__ + ').')
        if value < 0:
            raise ValueError('`' + name + '` must be an integer >= 0, but got ' + str(value) +
                             '.')


def check_validation_split(validation_split):
    """Refuses a `validation_split` outside `[0, 1)` (`None` means 0, as Keras 2.2.4 took it).

    # Raises
        TypeError: for a value that is not a number.
        ValueError: for a number outside `[0, 1)`.
    """
    if validation_split is None:
        return
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError('`validation_split` must be a fraction in [0, 1), but got ' +
                        repr(validation_split) + ' (' + type(validation_split).__name__ + ').')
    if not 0. <= validation_split < 1.:
        raise ValueError('`validation_split` must be a fraction in [0, 1) (the part of the '
                         'data held out for validation), but got ' + str(validation_split) +
                         '.')


def check_verbose(verbose):
    """Refuses a `verbose` other than 0, 1 or 2 (`True` and `False` count as 1 and 0).

    # Raises
        TypeError: for a value that is not an integer.
        ValueError: for an integer other than 0, 1 or 2.
    """
    if type(verbose) is not int and not isinstance(verbose, numbers.Integral):
        raise TypeError('`verbose` must be 0 (silent), 1 (progress bar) or 2 (one line per '
                        'epoch), but got ' + repr(verbose) + ' (' + type(verbose).__name__ +
                        ').')
    if verbose not in (0, 1, 2):
        raise ValueError('`verbose` must be 0 (silent), 1 (progress bar) or 2 (one line per '
                         'epoch), but got ' + str(verbose) + '.')
