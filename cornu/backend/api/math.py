"""K's math: products, reductions, element-wise functions, comparisons and `switch`.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.math`) computes. Checks that need
the engine's tensor (its shape, its rank) stay in the engine, calling `arguments.py`."""
from ..arguments import clip_bounds, normalize_axes
from ..engine_choice import engine_module
from ..symbolic import graph_op

_engine = engine_module('math')

__all__ = [
    'dot', 'batch_dot', 'transpose', 'gather', 'max', 'min', 'sum', 'prod', 'cumsum',
    'cumprod', 'var', 'std', 'mean', 'any', 'all', 'argmax', 'argmin', 'square', 'abs', 'sqrt',
    'exp', 'log', 'logsumexp', 'round', 'sign', 'pow', 'clip', 'equal', 'not_equal', 'greater',
    'greater_equal', 'less', 'less_equal', 'maximum', 'minimum', 'sin', 'cos', 'switch',
    'l2_normalize', 'in_top_k',
]


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
    return _engine.dot(x, y)


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
    return _engine.batch_dot(x, y, axes)


@graph_op
def transpose(x):
    """Reverses the axes of a tensor (the matrix transpose for 2-D tensors).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.transpose(x)


@graph_op
def gather(reference, indices):
    """Retrieves the entries of `reference` at `indices` along its first axis.

    # Arguments
        reference: tensor.
        indices: integer tensor of indices (any shape).

    # Returns
        A tensor of shape `indices.shape + reference.shape[1:]`.
    """
    return _engine.gather(reference, indices)


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
    return _engine.max(x, normalize_axes(axis), keepdims)


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
    return _engine.min(x, normalize_axes(axis), keepdims)


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
    return _engine.sum(x, normalize_axes(axis), keepdims)


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
    return _engine.prod(x, normalize_axes(axis), keepdims)


@graph_op
def cumsum(x, axis=0):
    """Cumulative sum of the values of a tensor along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor of the same shape.
    """
    return _engine.cumsum(x, axis)


@graph_op
def cumprod(x, axis=0):
    """Cumulative product of the values of a tensor along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor of the same shape.
    """
    return _engine.cumprod(x, axis)


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
    return _engine.var(x, normalize_axes(axis), keepdims)


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
    return _engine.std(x, normalize_axes(axis), keepdims)


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
    return _engine.mean(x, normalize_axes(axis), keepdims)


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
    return _engine.any(x, normalize_axes(axis), keepdims)


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
    return _engine.all(x, normalize_axes(axis), keepdims)


@graph_op
def argmax(x, axis=-1):
    """Index of the maximum value along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        An int64 tensor.
    """
    return _engine.argmax(x, axis)


@graph_op
def argmin(x, axis=-1):
    """Index of the minimum value along `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        An int64 tensor.
    """
    return _engine.argmin(x, axis)


@graph_op
def square(x):
    """Element-wise square.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.square(x)


@graph_op
def abs(x):
    """Element-wise absolute value.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.abs(x)


@graph_op
def sqrt(x):
    """Element-wise square root; negative inputs are clipped to 0 first, as in Keras 2.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.sqrt(x)


@graph_op
def exp(x):
    """Element-wise exponential.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.exp(x)


@graph_op
def log(x):
    """Element-wise natural logarithm.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.log(x)


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
    return _engine.logsumexp(x, normalize_axes(axis), keepdims)


@graph_op
def round(x):
    """Element-wise rounding to the nearest integer, ties to even (as `tf.round`).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.round(x)


@graph_op
def sign(x):
    """Element-wise sign (-1, 0 or 1).

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.sign(x)


@graph_op
def pow(x, a):
    """Element-wise power `x ** a`.

    # Arguments
        x: tensor or variable.
        a: number or tensor, the exponent.

    # Returns
        A tensor.
    """
    return _engine.pow(x, a)


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
    min_value, max_value = clip_bounds(min_value, max_value)
    return _engine.clip(x, min_value, max_value)


@graph_op
def equal(x, y):
    """Element-wise `x == y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return _engine.equal(x, y)


@graph_op
def not_equal(x, y):
    """Element-wise `x != y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return _engine.not_equal(x, y)


@graph_op
def greater(x, y):
    """Element-wise `x > y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return _engine.greater(x, y)


@graph_op
def greater_equal(x, y):
    """Element-wise `x >= y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return _engine.greater_equal(x, y)


@graph_op
def less(x, y):
    """Element-wise `x < y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return _engine.less(x, y)


@graph_op
def less_equal(x, y):
    """Element-wise `x <= y`.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A bool tensor.
    """
    return _engine.less_equal(x, y)


@graph_op
def maximum(x, y):
    """Element-wise maximum of two tensors.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A tensor.
    """
    return _engine.maximum(x, y)


@graph_op
def minimum(x, y):
    """Element-wise minimum of two tensors.

    # Arguments
        x: tensor or variable.
        y: tensor, variable or number.

    # Returns
        A tensor.
    """
    return _engine.minimum(x, y)


@graph_op
def sin(x):
    """Element-wise sine.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.sin(x)


@graph_op
def cos(x):
    """Element-wise cosine.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.cos(x)


@graph_op
def switch(condition, then_expression, else_expression):
    """Chooses between two expressions depending on `condition`.

    A scalar condition picks one expression (only the chosen callable is called, as
    `tf.cond`; on JAX inside a jitted step, where the condition is traced, both are computed
    and one is selected); a tensor condition chooses element-wise, aligned with the leading
    axes of the expressions (a `(batch,)` condition chooses whole samples).

    # Arguments
        condition: bool/int scalar or tensor.
        then_expression: tensor, or a callable returning one.
        else_expression: tensor, or a callable returning one.

    # Returns
        A tensor.

    # Raises
        ValueError: if the condition has a higher rank than the expressions.
    """
    return _engine.switch(condition, then_expression, else_expression)


@graph_op
def l2_normalize(x, axis=None):
    """Divides `x` by its L2 norm over `axis` (the norm is floored at 1e-6, as TF).

    # Arguments
        x: tensor or variable.
        axis: int, list of ints or `None` for all axes.

    # Returns
        A tensor.
    """
    return _engine.l2_normalize(x, normalize_axes(axis))


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
    return _engine.in_top_k(predictions, targets, k)
