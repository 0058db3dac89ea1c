"""Tensor math on PyTorch: products, reductions, element-wise ops, switch (shape operations:
`shape_ops.py`).

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.math`, which calls these.

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
from ..arguments import batch_dot_axes, condition_shape
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

def dot(x, y):
    x = _t(x)
    y = _t(y)
    y_ndim = y.dim()
    if y_ndim <= 2:
        if x.is_sparse:
            return torch.sparse.mm(x, y)
        # matmul folds the leading axes of an N-D `x` into a single matrix product.
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([x.dim() - 1], [y_ndim - 2]))


def batch_dot(x, y, axes=None):
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


def transpose(x):
    x = _t(x)
    if x.dim() == 2:
        return x.t()
    return x.permute(tuple(range(x.dim() - 1, -1, -1)))


def gather(reference, indices):
    reference = _t(reference)
    indices = _t(indices)
    if indices.dtype.is_floating_point or indices.dtype == torch.bool:
        indices = indices.long()
    if reference.dim() == 2 and reference.dtype.is_floating_point:
        # The embedding kernel has a fused, deterministic backward for this common case.
        return F.embedding(indices, reference)
    return reference[indices]


# REDUCTIONS

def max(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        if not keepdims:
            return torch.amax(x, dim=tuple(range(x.dim())))
        axis = tuple(range(x.dim()))
    elif axis == ():
        return x
    return torch.amax(x, dim=axis, keepdim=keepdims)


def min(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        axis = tuple(range(x.dim()))
    elif axis == ():
        return x
    return torch.amin(x, dim=axis, keepdim=keepdims)


def sum(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        return torch.sum(x) if not keepdims else torch.sum(x, dim=None, keepdim=True)
    if axis == ():
        return x
    return torch.sum(x, dim=axis, keepdim=keepdims)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
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


def cumsum(x, axis=0):
    return torch.cumsum(_t(x), dim=axis)


def cumprod(x, axis=0):
    return torch.cumprod(_t(x), dim=axis)


def var(x, axis=None, keepdims=False):
    x = _t(x)
    if not x.dtype.is_floating_point:
        x = x.to(_floatx_dtype())
    if axis == ():
        return torch.zeros_like(x)
    return torch.var(x, dim=axis, correction=0, keepdim=keepdims)


def std(x, axis=None, keepdims=False):
    x = _t(x)
    if not x.dtype.is_floating_point:
        x = x.to(_floatx_dtype())
    if axis == ():
        return torch.zeros_like(x)
    return torch.std(x, dim=axis, correction=0, keepdim=keepdims)


def mean(x, axis=None, keepdims=False):
    x = _t(x)
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


def any(x, axis=None, keepdims=False):
    x = _t(x)
    if axis == ():
        return x.bool()
    return torch.any(x, dim=axis, keepdim=keepdims)


def all(x, axis=None, keepdims=False):
    x = _t(x)
    if axis == ():
        return x.bool()
    return torch.all(x, dim=axis, keepdim=keepdims)


def argmax(x, axis=-1):
    x = _t(x)
    if x.dtype == torch.bool:
        # torch has no boolean argmax; True > False as for any engine.
        x = x.to(torch.uint8)
    return torch.argmax(x, dim=axis)


def argmin(x, axis=-1):
    x = _t(x)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argmin(x, dim=axis)


def logsumexp(x, axis=None, keepdims=False):
    x = _t(x)
    if axis is None:
        axis = tuple(range(x.dim()))
    elif axis == ():
        return x
    return torch.logsumexp(x, dim=axis, keepdim=keepdims)


# ELEMENT-WISE

def square(x):
    return torch.square(_t(x))


def abs(x):
    return torch.abs(_t(x))


def sqrt(x):
    return torch.sqrt(torch.clamp(_t(x), min=0))


def exp(x):
    return torch.exp(_t(x))


def log(x):
    return torch.log(_t(x))


def round(x):
    return torch.round(_t(x))


def sign(x):
    return torch.sign(_t(x))


def pow(x, a):
    return torch.pow(_t(x), _operand(a))


def clip(x, min_value, max_value):
    x = _t(x)
    if min_value is None and max_value is None:
        return x
    return torch.clamp(x, min_value, max_value)


def equal(x, y):
    return torch.eq(_t(x), _operand(y))


def not_equal(x, y):
    return torch.ne(_t(x), _operand(y))


def greater(x, y):
    return torch.gt(_t(x), _operand(y))


def greater_equal(x, y):
    return torch.ge(_t(x), _operand(y))


def less(x, y):
    return torch.lt(_t(x), _operand(y))


def less_equal(x, y):
    return torch.le(_t(x), _operand(y))


def maximum(x, y):
    x = _t(x)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        # A clamp needs no tensor for the scalar and, like TF, sends the gradient of ties to x.
        return torch.clamp(x, min=y)
    return torch.maximum(x, _t(y))


def minimum(x, y):
    x = _t(x)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return torch.clamp(x, max=y)
    return torch.minimum(x, _t(y))


def sin(x):
    return torch.sin(_t(x))


def cos(x):
    return torch.cos(_t(x))


def switch(condition, then_expression, else_expression):
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


def l2_normalize(x, axis=None):
    x = _t(x)
    if axis is None:
        axis = tuple(range(x.dim()))
    square_sum = torch.sum(x * x, dim=axis, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=1e-12))


def in_top_k(predictions, targets, k):
    predictions = _t(predictions)
    targets = _t(targets).reshape(-1).long()
    num_classes = predictions.shape[1]
    valid = (targets >= 0) & (targets < num_classes)
    target_scores = predictions.gather(1, torch.clamp(targets, 0, num_classes - 1).unsqueeze(1))
    larger = torch.sum(predictions > target_scores, dim=1)
    finite = torch.isfinite(predictions).all(dim=1)
    return (larger < k) & finite & valid
