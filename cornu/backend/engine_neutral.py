"""Backend functions that are the same on every engine: `K` takes `placeholder`,
`is_placeholder` and `name_scope` from here as they are (through `cornu.backend.api.core`),
and the engines' `function` builds on `function` here.

They touch no tensor library.
"""
import operator

from . import common
from . import symbolic
from .symbolic import KerasTensor


class name_scope:
    """Accepted for Keras 2 code (`with K.name_scope(...)`): names are given by layers.

    # Arguments
        name: the scope's name, which the `with` block receives and nothing else uses.
    """

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self.name

    def __exit__(self, *exc):
        return False


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """Creates a symbolic input tensor, to feed to a `K.function`.

    # Arguments
        shape: tuple of ints or `None`s (sizes known only when values are fed).
        ndim: the number of axes, for a shape of all `None`s when `shape` is not given.
        dtype: dtype name (default `floatx()`).
        sparse: whether the tensor stands for sparse values (`K.is_sparse` then says so).
        name: optional name.

    # Returns
        A symbolic tensor (`KerasTensor`).

    # Raises
        ValueError: if neither `shape` nor `ndim` is given.
    """
    if shape is None:
        if ndim is None:
            raise ValueError('placeholder needs a `shape` or an `ndim`.')
        shape = (None,) * ndim
    tensor = KerasTensor(tuple(shape), dtype or common.floatx(), name=name, sparse=sparse)
    tensor._is_placeholder = True
    return tensor


def is_placeholder(x):
    """Whether `x` is a symbolic tensor made by `placeholder` (or `Input`).

    # Arguments
        x: anything.

    # Returns
        A bool.
    """
    return getattr(x, '_is_placeholder', False)


def function(inputs, outputs, updates=None, **kwargs):
    """Builds what `K.function` returns, through the builder `cornu.engine` registers
    (arguments and result: see `cornu.backend.api.core.function`)."""
    if symbolic._function_builder is None:
        raise RuntimeError('K.function needs cornu.engine; import cornu first.')
    return symbolic._function_builder(inputs, outputs, updates, kwargs)


def _rsub(a, b):
    return b - a


def _rdiv(a, b):
    return b / a


def _rpow(a, b):
    return b ** a


def _rmatmul(a, b):
    return b @ a


def _getitem(x, key):
    return x[key]


def symbolic_operators():
    """The Python operators that symbolic tensors support, recorded as graph ops."""
    return {
        '__add__': operator.add, '__radd__': operator.add, '__sub__': operator.sub,
        '__rsub__': _rsub, '__mul__': operator.mul, '__rmul__': operator.mul,
        '__truediv__': operator.truediv, '__rtruediv__': _rdiv, '__pow__': operator.pow,
        '__rpow__': _rpow, '__matmul__': operator.matmul, '__rmatmul__': _rmatmul,
        '__neg__': operator.neg, '__abs__': operator.abs, '__getitem__': _getitem,
        '__lt__': operator.lt, '__le__': operator.le, '__gt__': operator.gt,
        '__ge__': operator.ge, '__floordiv__': operator.floordiv, '__mod__': operator.mod,
    }
