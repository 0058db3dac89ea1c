"""Tensor math on PyTorch: products, reductions, element-wise ops, switch (shape operations:
`shape_ops.py`).

Semantics follow Keras 2.2.4's TensorFlow backend. Python numbers, lists and NumPy arrays are
accepted wherever TensorFlow accepted them. Ops that TensorFlow computed as copies may return
views here (`permute_dimensions`, `reshape`, `expand_dims`, `repeat`, ...): the values are the
same, and no copy is paid for on the hot path.
"""
import builtins

import numpy as np
import torch
import torch.nn.functional as F

from .. import common
from ..arguments import batch_dot_axes, clip_bounds, condition_shape, normalize_axes
from ..symbolic import graph_op
from .core import convert_to_tensor, standardize_dtype

__all__ = [
    'dot', 'batch_dot', 'transpose', 'gather', 'max', 'min', 'sum', 'prod', 'cumsum', 'cumprod',
    'var', 'std', 'mean', 'any', 'all', 'argmax', 'argmin', 'square', 'abs', 'sqrt', 'exp', 'log',
    'logsumexp', 'round', 'sign', 'pow', 'clip', 'equal', 'not_equal', 'greater',
    'greater_equal', 'less', 'less_equal', 'maximum', 'minimum', 'sin', 'cos', 'switch',
    'l2_normalize', 'in_top_k',
]

_Tensor = torch.Tensor
_SCALARS = (int, float, bool)


def _t(x):
    return x if isinstance(x, _Tensor) else convert_to_tensor(x)


def _operand(y):
    # Python scalars go to torch as they are: no tensor is built for them.
    return y if isinstance(y, (_Tensor, int, float, bool)) else convert_to_tensor(y)


def _floatx_dtype():
    return standardize_dtype(common.floatx())


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
    y_ndim = y.dim()
    if y_ndim <= 2:
        if x.is_sparse:
            return torch.sparse.mm(x, y)
        # matmul folds the leading axes of an N-D `x` into a single matrix product.
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([x.dim() - 1], [y_ndim - 2]))


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
    x_ndim = x.dim()
    y_ndim = y.dim()
    a0, a1 = batch_dot_axes(axes, x_ndim, y_ndim)
    if x_ndim == 2 and y_ndim == 2:
        if a0 == 1 and a1 == 1:
            # One batched (1 x n) @ (n x 1) product instead of a multiply and a reduction.
            return torch.bmm(x.unsqueeze(1), y.unsqueeze(2)).reshape(x.shape[0], 1)
        if a0 == a1:
            out = torch.sum(x * y, a0)
        else:
            out = torch.sum(x.t() * y, a1)
        return out.unsqueeze(1) if out.dim() == 1 else out
    diff = x_ndim - y_ndim
    if diff > 0:
        y = y.reshape(tuple(y.shape) + (1,) * diff)
    elif diff < 0:
        x = x.reshape(tuple(x.shape) + (1,) * -diff)
    ndim = x.dim()
    if a0 != ndim - 1:
        x = x.transpose(-1, -2)
    if a1 == ndim - 1:
        y = y.transpose(-1, -2)
    out = torch.matmul(x, y)
    if diff:
        idx = x_ndim + y_ndim - 3 if diff > 0 else x_ndim - 1
        out = out.squeeze(tuple(range(idx, idx + builtins.abs(diff))))
    if out.dim() == 1:
        out = out.unsqueeze(1)
    return out


@graph_op
def transpose(x):
    """Reverses the axes of a tensor (the matrix transpose for 2-D tensors).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    x = _t(x)
    if x.dim() == 2:
        return x.t()
    return x.permute(tuple(range(x.dim() - 1, -1, -1)))


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
    if indices.dtype.is_floating_point or indices.dtype == torch.bool:
        indices = indices.long()
    if reference.dim() == 2 and reference.dtype.is_floating_point:
        # The embedding kernel has a fused, deterministic backward for this common case.
        return F.embedding(indices, reference)
    return reference[indices]


# REDUCTIONS

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
    x = _t(x)
    axis = normalize_axes(axis)
    if axis is None:
        if not keepdims:
            return torch.amax(x, dim=tuple(range(x.dim())))
        axis = tuple(range(x.dim()))
    elif axis == ():
        return x
    return torch.amax(x, dim=axis, keepdim=keepdims)


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
    x = _t(x)
    axis = normalize_axes(axis)
    if axis is None:
        axis = tuple(range(x.dim()))
    elif axis == ():
        return x
    return torch.amin(x, dim=axis, keepdim=keepdims)


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
    axis = normalize_axes(axis)
    if axis is None:
        return torch.sum(x) if not keepdims else torch.sum(x, dim=None, keepdim=True)
    if axis == ():
        return x
    return torch.sum(x, dim=axis, keepdim=keepdims)


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
    axis = normalize_axes(axis)
    if axis is None:
        out = torch.prod(x)
        return out.reshape((1,) * x.dim()) if keepdims else out
    if isinstance(axis, int):
        return torch.prod(x, axis, keepdim=keepdims)
    ndim = x.dim()
    # torch reduces one axis at a time here; going from the last axis keeps indices valid.
    for a in sorted(set(a % ndim for a in axis), reverse=True):
        x = torch.prod(x, a, keepdim=keepdims)
    return x


@graph_op
def cumsum(x, axis=0):
    """Cumulative sum of the values of a tensor along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor of the same shape.
    """
    return torch.cumsum(_t(x), dim=axis)


@graph_op
def cumprod(x, axis=0):
    """Cumulative product of the values of a tensor along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor of the same shape.
    """
    return torch.cumprod(_t(x), dim=axis)


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
    if not x.dtype.is_floating_point:
        x = x.to(_floatx_dtype())
    axis = normalize_axes(axis)
    if axis == ():
        return torch.zeros_like(x)
    return torch.var(x, dim=axis, correction=0, keepdim=keepdims)


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
    if not x.dtype.is_floating_point:
        x = x.to(_floatx_dtype())
    axis = normalize_axes(axis)
    if axis == ():
        return torch.zeros_like(x)
    return torch.std(x, dim=axis, correction=0, keepdim=keepdims)


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
    dtype = x.dtype
    if dtype == torch.bool:
        x = x.to(_floatx_dtype())
    elif not (dtype.is_floating_point or dtype.is_complex):
        total = torch.sum(x, dim=axis, keepdim=keepdims)
        count = x.numel() // builtins.max(total.numel(), 1) if x.numel() else 1
        return torch.div(total, count, rounding_mode='trunc').to(dtype)
    if axis is None and not keepdims:
        return torch.mean(x)
    return torch.mean(x, dim=axis, keepdim=keepdims)


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
        return x.bool()
    return torch.any(x, dim=axis, keepdim=keepdims)


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
        return x.bool()
    return torch.all(x, dim=axis, keepdim=keepdims)


@graph_op
def argmax(x, axis=-1):
    """Index of the maximum value along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        An int64 tensor.
    """
    return torch.argmax(_t(x), dim=axis)


@graph_op
def argmin(x, axis=-1):
    """Index of the minimum value along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        An int64 tensor.
    """
    return torch.argmin(_t(x), dim=axis)


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
    x = _t(x)
    axis = normalize_axes(axis)
    if axis is None:
        axis = tuple(range(x.dim()))
    elif axis == ():
        return x
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


# ELEMENT-WISE

@graph_op
def square(x):
    """Element-wise square.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.square(_t(x))


@graph_op
def abs(x):
    """Element-wise absolute value.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.abs(_t(x))


@graph_op
def sqrt(x):
    """Element-wise square root; negative inputs are clipped to 0 first, as in Keras 2.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.sqrt(torch.clamp(_t(x), min=0))


@graph_op
def exp(x):
    """Element-wise exponential.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.exp(_t(x))


@graph_op
def log(x):
    """Element-wise natural logarithm.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.log(_t(x))


@graph_op
def round(x):
    """Element-wise rounding to the nearest integer, ties to even (as `tf.round`).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.round(_t(x))


@graph_op
def sign(x):
    """Element-wise sign (-1, 0 or 1).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.sign(_t(x))


@graph_op
def pow(x, a):
    """Element-wise power `x ** a`.

    # Arguments
        x: tensor or variable.
        a: number or tensor, the exponent.

    # Returns
        A tensor.
    """
    return torch.pow(_t(x), _operand(a))


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
    if min_value is None and max_value is None:
        return x
    return torch.clamp(x, min_value, max_value)


@graph_op
def equal(x, y):
    """Element-wise `x == y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return torch.eq(_t(x), _operand(y))


@graph_op
def not_equal(x, y):
    """Element-wise `x != y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return torch.ne(_t(x), _operand(y))


@graph_op
def greater(x, y):
    """Element-wise `x > y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return torch.gt(_t(x), _operand(y))


@graph_op
def greater_equal(x, y):
    """Element-wise `x >= y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return torch.ge(_t(x), _operand(y))


@graph_op
def less(x, y):
    """Element-wise `x < y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return torch.lt(_t(x), _operand(y))


@graph_op
def less_equal(x, y):
    """Element-wise `x <= y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return torch.le(_t(x), _operand(y))


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
        # A clamp needs no tensor for the scalar and, like TF, sends the gradient of ties to x.
        return torch.clamp(x, min=y)
    return torch.maximum(x, _t(y))


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
        return torch.clamp(x, max=y)
    return torch.minimum(x, _t(y))


@graph_op
def sin(x):
    """Element-wise sine.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.sin(_t(x))


@graph_op
def cos(x):
    """Element-wise cosine.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.cos(_t(x))


@graph_op
def switch(condition, then_expression, else_expression):
    """Chooses between two expressions depending on `condition`.

    A scalar condition picks one expression (only the chosen callable is called, as
    `tf.cond`); a tensor condition chooses element-wise, aligned with the leading axes of the
    expressions (a `(batch,)` condition chooses whole samples).

    # Arguments
        condition: bool/int scalar or tensor.
        then_expression: tensor, or a callable returning one.
        else_expression: tensor, or a callable returning one.

    # Returns
        A tensor.

    # Raises
        ValueError: if the condition has a higher rank than the expressions.
    """
    if not isinstance(condition, _Tensor):
        if isinstance(condition, (bool, int, np.bool_, np.integer)):
            chosen = then_expression if condition else else_expression
            return chosen() if callable(chosen) else chosen
        condition = convert_to_tensor(condition)
    if condition.dim() == 0:
        chosen = then_expression if bool(condition) else else_expression
        return chosen() if callable(chosen) else chosen
    if condition.dtype != torch.bool:
        condition = condition != 0
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    then_expression = _operand(then_expression)
    else_expression = _operand(else_expression)
    expr_ndim = then_expression.dim() if isinstance(then_expression, _Tensor) else 0
    shape = condition_shape(condition.shape, expr_ndim)
    if shape is not None:
        condition = condition.reshape(shape)
    return torch.where(condition, then_expression, else_expression)


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
    if axis is None:
        axis = tuple(range(x.dim()))
    square_sum = torch.sum(x * x, dim=axis, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=1e-12))


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
    targets = _t(targets).reshape(-1).long()
    num_classes = predictions.shape[1]
    valid = (targets >= 0) & (targets < num_classes)
    target_scores = predictions.gather(1, torch.clamp(targets, 0, num_classes - 1).unsqueeze(1))
    larger = torch.sum(predictions > target_scores, dim=1)
    finite = torch.isfinite(predictions).all(dim=1)
    return (larger < k) & finite & valid
