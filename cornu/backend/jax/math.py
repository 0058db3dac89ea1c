"""Tensor math on JAX: products, reductions, element-wise ops, switch (shape operations:
`shape_ops.py`).

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.math`, which calls these.

Semantics follow Keras 2.2.4's TensorFlow backend and match `cornu.backend.torch.math`
function by function. Python numbers, lists, NumPy arrays and variables are accepted wherever
TensorFlow accepted tensors.
"""
import builtins

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from .. import common
from ..arguments import batch_dot_axes, condition_shape
from .core import _t, _operand, _Array, _Tracer, standardize_dtype

__all__ = [
    'dot', 'batch_dot', 'transpose', 'gather', 'max', 'min', 'sum', 'prod', 'cumsum', 'cumprod',
    'var', 'std', 'mean', 'any', 'all', 'argmax', 'argmin', 'square', 'abs', 'sqrt', 'exp', 'log',
    'logsumexp', 'round', 'sign', 'pow', 'clip', 'equal', 'not_equal', 'greater',
    'greater_equal', 'less', 'less_equal', 'maximum', 'minimum', 'sin', 'cos', 'switch',
    'l2_normalize', 'in_top_k',
]


def _floatx_dtype():
    return standardize_dtype(common.floatx())


def _is_float(x):
    return jnp.issubdtype(x.dtype, jnp.floating)


# LINEAR ALGEBRA

def dot(x, y):
    x = _t(x)
    y = _t(y)
    if y.ndim <= 2:
        return jnp.matmul(x, y)
    return jnp.tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))


def batch_dot(x, y, axes=None):
    x = _t(x)
    y = _t(y)
    x_ndim = x.ndim
    y_ndim = y.ndim
    a0, a1 = batch_dot_axes(axes, x_ndim, y_ndim)
    if x_ndim == 2 and y_ndim == 2:
        if a0 == 1 and a1 == 1:
            return jnp.sum(x * y, axis=1, keepdims=True)
        if a0 == a1:
            out = jnp.sum(x * y, axis=a0)
        else:
            out = jnp.sum(x.T * y, axis=a1)
        return out[:, None] if out.ndim == 1 else out
    diff = x_ndim - y_ndim
    if diff > 0:
        y = y.reshape(tuple(y.shape) + (1,) * diff)
    elif diff < 0:
        x = x.reshape(tuple(x.shape) + (1,) * -diff)
    ndim = x.ndim
    if a0 != ndim - 1:
        x = jnp.swapaxes(x, -1, -2)
    if a1 == ndim - 1:
        y = jnp.swapaxes(y, -1, -2)
    out = jnp.matmul(x, y)
    if diff:
        idx = x_ndim + y_ndim - 3 if diff > 0 else x_ndim - 1
        out = jnp.squeeze(out, tuple(range(idx, idx + builtins.abs(diff))))
    if out.ndim == 1:
        out = out[:, None]
    return out


def transpose(x):
    return jnp.transpose(_t(x))


def gather(reference, indices):
    reference = _t(reference)
    indices = _t(indices)
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        indices = indices.astype(jnp.int64)
    return reference[indices]


# REDUCTIONS

def _reduce(fn, x, axis, keepdims):
    if axis == ():
        return x
    return fn(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return _reduce(jnp.max, _t(x), axis, keepdims)


def min(x, axis=None, keepdims=False):
    return _reduce(jnp.min, _t(x), axis, keepdims)


def sum(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return _reduce(jnp.sum, x, axis, keepdims)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return _reduce(jnp.prod, x, axis, keepdims)


def cumsum(x, axis=0):
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return jnp.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return jnp.cumprod(x, axis=axis)


def var(x, axis=None, keepdims=False):
    x = _t(x)
    if not _is_float(x):
        x = x.astype(_floatx_dtype())
    if axis == ():
        return jnp.zeros_like(x)
    return jnp.var(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    x = _t(x)
    if not _is_float(x):
        x = x.astype(_floatx_dtype())
    if axis == ():
        return jnp.zeros_like(x)
    return jnp.std(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
    if axis == ():
        return x
    if x.dtype == jnp.bool_:
        x = x.astype(_floatx_dtype())
    elif not (_is_float(x) or jnp.issubdtype(x.dtype, jnp.complexfloating)):
        total = jnp.sum(x, axis=axis, keepdims=keepdims)
        count = x.size // builtins.max(total.size, 1) if x.size else 1
        return lax.div(total, jnp.asarray(count, total.dtype)).astype(x.dtype)
    return jnp.mean(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    x = _t(x)
    if axis == ():
        return x.astype(jnp.bool_)
    return jnp.any(x, axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    x = _t(x)
    if axis == ():
        return x.astype(jnp.bool_)
    return jnp.all(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return jnp.argmax(_t(x), axis=axis).astype(jnp.int64)


def argmin(x, axis=-1):
    return jnp.argmin(_t(x), axis=axis).astype(jnp.int64)


def logsumexp(x, axis=None, keepdims=False):
    return _reduce(jax.nn.logsumexp, _t(x), axis, keepdims)


# ELEMENT-WISE

def square(x):
    return jnp.square(_t(x))


def abs(x):
    return _abs(_t(x))


@jax.custom_jvp
def _abs(x):
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    # The derivative at 0 is 0, as in TensorFlow and PyTorch (jax's own gives 1 there), so
    # an L1 penalty leaves exact zeros alone on both engines.
    (x,), (tangent,) = primals, tangents
    return jnp.abs(x), jnp.sign(x) * tangent


def sqrt(x):
    x = _t(x)
    # A select keeps the gradient of the values at 0 flowing (the clamp of the torch engine).
    return jnp.sqrt(jnp.where(x >= 0, x, jnp.zeros_like(x)))


def exp(x):
    return jnp.exp(_t(x))


def log(x):
    return jnp.log(_t(x))


def round(x):
    return jnp.round(_t(x))


def sign(x):
    return jnp.sign(_t(x))


def pow(x, a):
    return jnp.power(_t(x), _operand(a))


def _select_max(x, bound):
    # Ties send the gradient to `x`, as torch's clamp does.
    return jnp.where(x >= bound, x, jnp.asarray(bound, x.dtype) if not
                     isinstance(bound, _Array) else bound.astype(x.dtype))


def _select_min(x, bound):
    return jnp.where(x <= bound, x, jnp.asarray(bound, x.dtype) if not
                     isinstance(bound, _Array) else bound.astype(x.dtype))


def clip(x, min_value, max_value):
    x = _t(x)
    if min_value is not None:
        x = _select_max(x, _operand(min_value))
    if max_value is not None:
        x = _select_min(x, _operand(max_value))
    return x


def equal(x, y):
    return jnp.equal(_t(x), _operand(y))


def not_equal(x, y):
    return jnp.not_equal(_t(x), _operand(y))


def greater(x, y):
    return jnp.greater(_t(x), _operand(y))


def greater_equal(x, y):
    return jnp.greater_equal(_t(x), _operand(y))


def less(x, y):
    return jnp.less(_t(x), _operand(y))


def less_equal(x, y):
    return jnp.less_equal(_t(x), _operand(y))


def maximum(x, y):
    x = _t(x)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        # Like TF (and the torch engine's clamp), ties send the gradient to x.
        return _select_max(x, y)
    return jnp.maximum(x, _t(y))


def minimum(x, y):
    x = _t(x)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return _select_min(x, y)
    return jnp.minimum(x, _t(y))


def sin(x):
    return jnp.sin(_t(x))


def cos(x):
    return jnp.cos(_t(x))


def switch(condition, then_expression, else_expression):
    if isinstance(condition, (bool, int, np.bool_, np.integer)):
        chosen = then_expression if condition else else_expression
        return chosen() if callable(chosen) else chosen
    condition = _t(condition)
    if condition.ndim == 0 and not isinstance(condition, _Tracer):
        chosen = then_expression if bool(condition) else else_expression
        return chosen() if callable(chosen) else chosen
    if condition.dtype != jnp.bool_:
        condition = condition != 0
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    then_expression = _operand(then_expression)
    else_expression = _operand(else_expression)
    expr_ndim = then_expression.ndim if isinstance(then_expression, _Array) else 0
    shape = condition_shape(condition.shape, expr_ndim)
    if shape is not None:
        condition = condition.reshape(shape)
    return jnp.where(condition, then_expression, else_expression)


def l2_normalize(x, axis=None):
    x = _t(x)
    square_sum = jnp.sum(x * x, axis=axis, keepdims=True)
    return x * lax.rsqrt(jnp.maximum(square_sum, 1e-12))


def in_top_k(predictions, targets, k):
    predictions = _t(predictions)
    targets = _t(targets).reshape(-1).astype(jnp.int64)
    num_classes = predictions.shape[1]
    valid = (targets >= 0) & (targets < num_classes)
    target_scores = jnp.take_along_axis(
        predictions, jnp.clip(targets, 0, num_classes - 1)[:, None], axis=1)
    larger = jnp.sum(predictions > target_scores, axis=1)
    finite = jnp.all(jnp.isfinite(predictions), axis=1)
    return (larger < k) & finite & valid


