"""Backend functions that are the same on every engine, re-exported by each engine's `core`.

Keras 2 code calls them through `K`; they touch no tensor library.
"""
import operator


class name_scope(object):
    """Accepted for Keras 2 code (`with K.name_scope(...)`); names are given by layers."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self.name

    def __exit__(self, *exc):
        return False


def get_session():
    raise RuntimeError('cornu has no TensorFlow session: values are computed eagerly; use '
                       'K.get_value / K.eval.')


def set_session(session):
    raise RuntimeError('cornu has no TensorFlow session to set.')


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
