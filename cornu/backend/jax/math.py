"""Tensor math on JAX: products, reductions, element-wise ops, switch (shape operations:
`shape_ops.py`).

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
from ..arguments import batch_dot_axes, clip_bounds, condition_shape, normalize_axes
from ..symbolic import graph_op
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

@graph_op
def dot(x, y):
    """Multiplies two tensors, with Keras 2's rules for N-D tensors.

    The last axis of `x` is contracted with the second-to-last axis of `y` (the only axis of a
    1-D `y`), e.g. `(2, 3) . (4, 3, 5) -> (2, 4, 5)`.

    # Arguments
        x: tensor or variable.
        y: tensor or variable.

    # Returns
        A tensor of shape `x.shape[:-1] + y.shape[:-2] + y.shape[-1:]`.
    """
    x = _t(x)
    y = _t(y)
    if y.ndim <= 2:
        return jnp.matmul(x, y)
    return jnp.tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))


@graph_op
def batch_dot(x, y, axes=None):
    """Batch-wise dot product, with Keras 2.2.4's rules.

    `x` and `y` have the batch as first axis; `axes` (an int, a pair of ints, or `None` for
    `(x.ndim - 1, y.ndim - 2)`) names the axes to contract. A lower-rank operand is padded with
    trailing size-1 axes (squeezed out afterwards). With 2-D inputs the result has shape
    `(batch_size, 1)`.

    # Arguments
        x: tensor with `ndim >= 2`.
        y: tensor with `ndim >= 2`.
        axes: int or tuple of two ints, the axes to contract.

    # Returns
        A tensor with the shape of `x` (less the contracted axis) followed by the shape of `y`
        (less the batch and the contracted axes); at least 2-D.

    # Raises
        ValueError: if `axes` names several axes per tensor.
    """
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


@graph_op
def transpose(x):
    """Reverses the axes of a tensor (the matrix transpose for 2-D tensors).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.transpose(_t(x))


@graph_op
def gather(reference, indices):
    """Retrieves the entries of `reference` at `indices` along its first axis.

    # Arguments
        reference: tensor.
        indices: integer tensor of indices (any shape).

    # Returns
        A tensor of shape `indices.shape + reference.shape[1:]`.
    """
    reference = _t(reference)
    indices = _t(indices)
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        indices = indices.astype(jnp.int64)
    return reference[indices]


# REDUCTIONS

def _reduce(fn, x, axis, keepdims):
    axis = normalize_axes(axis)
    if axis == ():
        return x
    return fn(x, axis=axis, keepdims=keepdims)


@graph_op
def max(x, axis=None, keepdims=False):
    """Maximum of the values of a tensor, over `axis` (int, list of ints or `None` for all).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None`.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    return _reduce(jnp.max, _t(x), axis, keepdims)


@graph_op
def min(x, axis=None, keepdims=False):
    """Minimum of the values of a tensor, over `axis` (int, list of ints or `None` for all).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None`.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    return _reduce(jnp.min, _t(x), axis, keepdims)


@graph_op
def sum(x, axis=None, keepdims=False):
    """Sum of the values of a tensor, over `axis` (int, list of ints or `None` for all).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None`.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return _reduce(jnp.sum, x, axis, keepdims)


@graph_op
def prod(x, axis=None, keepdims=False):
    """Product of the values of a tensor, over `axis` (int, list of ints or `None` for all).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None`.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return _reduce(jnp.prod, x, axis, keepdims)


@graph_op
def cumsum(x, axis=0):
    """Cumulative sum of the values of a tensor along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor of the same shape.
    """
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return jnp.cumsum(x, axis=axis)


@graph_op
def cumprod(x, axis=0):
    """Cumulative product of the values of a tensor along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor of the same shape.
    """
    x = _t(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    return jnp.cumprod(x, axis=axis)


@graph_op
def var(x, axis=None, keepdims=False):
    """Variance (population, i.e. divided by N) of a tensor over `axis`.

    # Arguments
        x: tensor or variable; booleans and integers are read as `floatx()`.
        axis: int, list of ints or `None` for all axes.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    x = _t(x)
    if not _is_float(x):
        x = x.astype(_floatx_dtype())
    axis = normalize_axes(axis)
    if axis == ():
        return jnp.zeros_like(x)
    return jnp.var(x, axis=axis, keepdims=keepdims)


@graph_op
def std(x, axis=None, keepdims=False):
    """Standard deviation (population) of a tensor over `axis`.

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    x = _t(x)
    if not _is_float(x):
        x = x.astype(_floatx_dtype())
    axis = normalize_axes(axis)
    if axis == ():
        return jnp.zeros_like(x)
    return jnp.std(x, axis=axis, keepdims=keepdims)


@graph_op
def mean(x, axis=None, keepdims=False):
    """Mean of a tensor over `axis`.

    Booleans are averaged as `floatx()`; integers give the truncated integer mean, as
    TensorFlow's `reduce_mean` did.

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    x = _t(x)
    axis = normalize_axes(axis)
    if axis == ():
        return x
    if x.dtype == jnp.bool_:
        x = x.astype(_floatx_dtype())
    elif not (_is_float(x) or jnp.issubdtype(x.dtype, jnp.complexfloating)):
        total = jnp.sum(x, axis=axis, keepdims=keepdims)
        count = x.size // builtins.max(total.size, 1) if x.size else 1
        return lax.div(total, jnp.asarray(count, total.dtype)).astype(x.dtype)
    return jnp.mean(x, axis=axis, keepdims=keepdims)


@graph_op
def any(x, axis=None, keepdims=False):
    """Logical OR over `axis` (non-zero values are true).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A bool tensor.
    """
    x = _t(x)
    axis = normalize_axes(axis)
    if axis == ():
        return x.astype(jnp.bool_)
    return jnp.any(x, axis=axis, keepdims=keepdims)


@graph_op
def all(x, axis=None, keepdims=False):
    """Logical AND over `axis` (non-zero values are true).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A bool tensor.
    """
    x = _t(x)
    axis = normalize_axes(axis)
    if axis == ():
        return x.astype(jnp.bool_)
    return jnp.all(x, axis=axis, keepdims=keepdims)


@graph_op
def argmax(x, axis=-1):
    """Index of the maximum value along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        An int64 tensor.
    """
    return jnp.argmax(_t(x), axis=axis).astype(jnp.int64)


@graph_op
def argmin(x, axis=-1):
    """Index of the minimum value along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        An int64 tensor.
    """
    return jnp.argmin(_t(x), axis=axis).astype(jnp.int64)


@graph_op
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` over `axis`, computed without overflow.

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.
        keepdims: whether to keep the reduced axes with length 1.

    # Returns
        A tensor.
    """
    return _reduce(jax.nn.logsumexp, _t(x), axis, keepdims)


# ELEMENT-WISE

@graph_op
def square(x):
    """Element-wise square.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.square(_t(x))


@graph_op
def abs(x):
    """Element-wise absolute value.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
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


@graph_op
def sqrt(x):
    """Element-wise square root; negative inputs are clipped to 0 first, as in Keras 2.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    x = _t(x)
    # A select keeps the gradient of the values at 0 flowing (the clamp of the torch engine).
    return jnp.sqrt(jnp.where(x >= 0, x, jnp.zeros_like(x)))


@graph_op
def exp(x):
    """Element-wise exponential.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.exp(_t(x))


@graph_op
def log(x):
    """Element-wise natural logarithm.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.log(_t(x))


@graph_op
def round(x):
    """Element-wise rounding to the nearest integer, ties to even (as `tf.round`).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.round(_t(x))


@graph_op
def sign(x):
    """Element-wise sign (-1, 0 or 1).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.sign(_t(x))


@graph_op
def pow(x, a):
    """Element-wise power `x ** a`.

    # Arguments
        x: tensor or variable.
        a: number or tensor, the exponent.

    # Returns
        A tensor.
    """
    return jnp.power(_t(x), _operand(a))


def _select_max(x, bound):
    # Ties send the gradient to `x`, as torch's clamp does.
    return jnp.where(x >= bound, x, jnp.asarray(bound, x.dtype) if not
                     isinstance(bound, _Array) else bound.astype(x.dtype))


def _select_min(x, bound):
    return jnp.where(x <= bound, x, jnp.asarray(bound, x.dtype) if not
                     isinstance(bound, _Array) else bound.astype(x.dtype))


@graph_op
def clip(x, min_value, max_value):
    """Element-wise clipping to `[min_value, max_value]`.

    A `max_value` below `min_value` is raised to `min_value`; `None` leaves that side open.

    # Arguments
        x: tensor or variable.
        min_value: number, tensor or `None`.
        max_value: number, tensor or `None`.

    # Returns
        A tensor.
    """
    x = _t(x)
    min_value, max_value = clip_bounds(min_value, max_value)
    if min_value is not None:
        x = _select_max(x, _operand(min_value))
    if max_value is not None:
        x = _select_min(x, _operand(max_value))
    return x


@graph_op
def equal(x, y):
    """Element-wise `x == y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return jnp.equal(_t(x), _operand(y))


@graph_op
def not_equal(x, y):
    """Element-wise `x != y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return jnp.not_equal(_t(x), _operand(y))


@graph_op
def greater(x, y):
    """Element-wise `x > y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return jnp.greater(_t(x), _operand(y))


@graph_op
def greater_equal(x, y):
    """Element-wise `x >= y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return jnp.greater_equal(_t(x), _operand(y))


@graph_op
def less(x, y):
    """Element-wise `x < y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return jnp.less(_t(x), _operand(y))


@graph_op
def less_equal(x, y):
    """Element-wise `x <= y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return jnp.less_equal(_t(x), _operand(y))


@graph_op
def maximum(x, y):
    """Element-wise maximum of two tensors.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A tensor.
    """
    x = _t(x)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        # Like TF (and the torch engine's clamp), ties send the gradient to x.
        return _select_max(x, y)
    return jnp.maximum(x, _t(y))


@graph_op
def minimum(x, y):
    """Element-wise minimum of two tensors.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A tensor.
    """
    x = _t(x)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return _select_min(x, y)
    return jnp.minimum(x, _t(y))


@graph_op
def sin(x):
    """Element-wise sine.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.sin(_t(x))


@graph_op
def cos(x):
    """Element-wise cosine.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return jnp.cos(_t(x))


@graph_op
def switch(condition, then_expression, else_expression):
    """Chooses between two expressions depending on `condition`.

    A scalar condition picks one expression (only the chosen callable is called, as
    `tf.cond`; inside a jitted step, where the condition is traced, both are computed and one
    is selected); a tensor condition chooses element-wise, aligned with the leading axes of
    the expressions (a `(batch,)` condition chooses whole samples).

    # Arguments
        condition: bool/int scalar or tensor.
        then_expression: tensor, or a callable returning one.
        else_expression: tensor, or a callable returning one.

    # Returns
        A tensor.

    # Raises
        ValueError: if the condition has a higher rank than the expressions.
    """
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


@graph_op
def l2_normalize(x, axis=None):
    """Divides `x` by its L2 norm over `axis` (the norm is floored at 1e-6, as TF).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.

    # Returns
        A tensor.
    """
    x = _t(x)
    axis = normalize_axes(axis)
    square_sum = jnp.sum(x * x, axis=axis, keepdims=True)
    return x * lax.rsqrt(jnp.maximum(square_sum, 1e-12))


@graph_op
def in_top_k(predictions, targets, k):
    """Whether each target is among the `k` largest predictions of its row.

    As `tf.nn.in_top_k`, ties at the boundary count as in the top k, and rows with non-finite
    predictions or out-of-range targets give `False`.

    # Arguments
        predictions: float tensor of shape `(batch, classes)`.
        targets: integer tensor of shape `(batch,)`.
        k: int.

    # Returns
        A bool tensor of shape `(batch,)`.
    """
    predictions = _t(predictions)
    targets = _t(targets).reshape(-1).astype(jnp.int64)
    num_classes = predictions.shape[1]
    valid = (targets >= 0) & (targets < num_classes)
    target_scores = jnp.take_along_axis(
        predictions, jnp.clip(targets, 0, num_classes - 1)[:, None], axis=1)
    larger = jnp.sum(predictions > target_scores, axis=1)
    finite = jnp.all(jnp.isfinite(predictions), axis=1)
    return (larger < k) & finite & valid


