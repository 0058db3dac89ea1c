"""K's core: variables and constants, their values and updates, shapes and dtypes, gradients,
`K.function`, and the names kept for Keras 2 code written against TensorFlow's sessions.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.core`) computes. A few names need
no engine function of their own and are written here whole: `is_keras_tensor`,
`get_variable_shape`, `count_params` and `Function` (built on the engine's `is_tensor`,
`int_shape` and on `function`); `placeholder`, `is_placeholder` and `name_scope` are the
engine-neutral ones of `engine_neutral.py`, and `get_session` and `set_session` those of
`sessions.py`, re-exported as they are.

The variable an engine makes: on PyTorch a `torch.nn.Parameter` on the engine's device,
updated in place; on JAX an object holding an immutable jax array, which assignments replace
(while a JAX step is traced, the run context's state scope holds the values standing in for
variables and records the assignments; see `cornu.backend.jax.core`).
"""
import numpy as np

from .. import common
from ..arguments import check_assignable
from ..engine_choice import engine_module
from ..engine_neutral import name_scope, placeholder, is_placeholder  # noqa: F401 (K names)
from ..sessions import get_session, set_session  # noqa: F401 (K names)
from ..run_context import state_constructor
from ..symbolic import KerasTensor, graph_op, is_symbolic

_engine = engine_module('core')

__all__ = [
    'variable', 'constant', 'placeholder', 'is_placeholder', 'is_tensor', 'is_keras_tensor',
    'is_sparse', 'to_dense', 'shape', 'int_shape', 'ndim', 'dtype', 'eval', 'get_value',
    'batch_get_value', 'set_value', 'batch_set_value', 'get_variable_shape', 'print_tensor',
    'zeros', 'ones', 'eye', 'zeros_like', 'ones_like', 'identity', 'count_params', 'cast',
    'update', 'update_add', 'update_sub', 'moving_average_update', 'gradients', 'stop_gradient',
    'function', 'Function', 'name_scope', 'get_session', 'set_session',
]


# ---------------------------------------------------------------- variables and constants

@state_constructor
def variable(value, dtype=None, name=None, constraint=None):
    """Creates a variable from a NumPy array, a number, a tensor or another variable.

    Only floating-point variables are trainable (an integer variable, e.g. an optimizer's
    `iterations`, never gets gradients).

    # Arguments
        value: initial value (copied).
        dtype: dtype name (default `floatx()`).
        name: optional name, e.g. `'dense_1/kernel:0'` (default `'Variable'`).
        constraint: optional projection applied after optimizer updates.

    # Returns
        A variable: on PyTorch a `torch.nn.Parameter` on the engine's device; on JAX an object
        holding a jax array, which assignments replace.
    """
    return _engine.variable(value, dtype or common.floatx(), name, constraint)


def constant(value, dtype=None, shape=None, name=None):
    """Creates a constant tensor.

    # Arguments
        value: a number, a list or a NumPy array (on JAX also a tensor or a variable, cast to
            `dtype`).
        dtype: dtype name (default `floatx()`).
        shape: optional shape to broadcast `value` to.
        name: accepted for Keras 2 code; unused.

    # Returns
        A tensor (not a variable).
    """
    return _engine.constant(value, dtype or common.floatx(), shape, name)


@state_constructor
def zeros(shape, dtype=None, name=None):
    """Creates a variable filled with zeros.

    # Arguments
        shape: int or tuple of ints.
        dtype: dtype name (default `floatx()`).
        name: optional name (default `'zeros'`).

    # Returns
        A variable.
    """
    return _engine.zeros((shape,) if isinstance(shape, int) else tuple(shape), dtype, name)


@state_constructor
def ones(shape, dtype=None, name=None):
    """Creates a variable filled with ones.

    # Arguments
        shape: int or tuple of ints.
        dtype: dtype name (default `floatx()`).
        name: optional name (default `'ones'`).

    # Returns
        A variable.
    """
    return _engine.ones((shape,) if isinstance(shape, int) else tuple(shape), dtype, name)


@state_constructor
def eye(size, dtype=None, name=None):
    """Creates an identity-matrix variable.

    # Arguments
        size: int (a square matrix) or a `(rows, columns)` pair.
        dtype: dtype name (default `floatx()`).
        name: optional name (default `'eye'`).

    # Returns
        A variable of shape `(rows, columns)`, ones on the main diagonal.
    """
    return _engine.eye((size, size) if isinstance(size, int) else size, dtype, name)


@graph_op
def zeros_like(x, dtype=None, name=None):
    """Creates a tensor of zeros with the shape of `x`.

    # Arguments
        x: tensor or variable.
        dtype: dtype name (default: the dtype of `x`).
        name: accepted for Keras 2 code; unused.

    # Returns
        A tensor (not a variable).
    """
    return _engine.zeros_like(x, dtype, name)


@graph_op
def ones_like(x, dtype=None, name=None):
    """Creates a tensor of ones with the shape of `x`.

    # Arguments
        x: tensor or variable.
        dtype: dtype name (default: the dtype of `x`).
        name: accepted for Keras 2 code; unused.

    # Returns
        A tensor (not a variable).
    """
    return _engine.ones_like(x, dtype, name)


@graph_op
def identity(x, name=None):
    """Returns a tensor with the content of `x`.

    On PyTorch it is a copy through which gradients flow; on JAX, whose arrays are immutable,
    the array itself (a variable gives its current value).

    # Arguments
        x: tensor or variable.
        name: accepted for Keras 2 code; unused.

    # Returns
        A tensor.
    """
    return _engine.identity(x, name)


# ---------------------------------------------------------------- what a tensor is

def is_tensor(x):
    """Whether `x` is a tensor of the engine, a variable or a symbolic tensor.

    # Arguments
        x: anything.

    # Returns
        A bool (`False` for NumPy arrays and Python numbers).
    """
    return _engine.is_tensor(x)


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor made by a layer or by `Input`.

    # Arguments
        x: a tensor.

    # Returns
        A bool: `False` for concrete tensors, variables and placeholders made by `placeholder`.

    # Raises
        ValueError: if `x` is not a tensor at all.
    """
    if not _engine.is_tensor(x):
        raise ValueError('Unexpectedly found an instance of type `' + str(type(x)) + '`. '
                         'Expected a symbolic tensor instance.')
    return isinstance(x, KerasTensor) and x._keras_history is not None


def is_sparse(tensor):
    """Whether a tensor is sparse.

    On PyTorch: a placeholder made with `sparse=True` or a sparse torch tensor. On JAX, which
    has no sparse arrays in its core: a placeholder made with `sparse=True` or sparse CTC
    labels.

    # Arguments
        tensor: a tensor.

    # Returns
        A bool.
    """
    return _engine.is_sparse(tensor)


@graph_op
def to_dense(tensor):
    """Converts a sparse tensor to a dense one; a dense tensor is returned as it is.

    # Arguments
        tensor: a tensor.

    # Returns
        A dense tensor.
    """
    return _engine.to_dense(tensor)


@graph_op
def shape(x):
    """The shape of a tensor as a tuple of ints, usable in `reshape` and the like.

    On JAX the shape is static, also inside a traced step.

    # Arguments
        x: tensor or variable.

    # Returns
        A tuple of ints.
    """
    return _engine.shape(x)


def int_shape(x):
    """The static shape of a tensor or variable.

    # Arguments
        x: tensor, variable, symbolic tensor or NumPy array.

    # Returns
        A tuple of ints, with `None` for sizes unknown until the graph runs (symbolic tensors).
    """
    return _engine.int_shape(x)


def ndim(x):
    """The number of axes of a tensor.

    # Arguments
        x: tensor, variable or symbolic tensor.

    # Returns
        An int.
    """
    return _engine.ndim(x)


def dtype(x):
    """The dtype of a tensor, as a name.

    # Arguments
        x: tensor, variable or symbolic tensor.

    # Returns
        A string, e.g. `'float32'`.
    """
    return _engine.dtype(x)


def get_variable_shape(x):
    """The shape of a variable (the same as `int_shape`).

    # Arguments
        x: variable.

    # Returns
        A tuple of ints.
    """
    return _engine.int_shape(x)


def count_params(x):
    """The number of scalars in a tensor or variable.

    # Arguments
        x: tensor or variable.

    # Returns
        An int.
    """
    return int(np.prod(_engine.int_shape(x), dtype=np.int64))


@graph_op
def cast(x, dtype):
    """Casts a tensor to another dtype.

    # Arguments
        x: tensor, variable, NumPy array or number.
        dtype: dtype name, e.g. `'float16'`.

    # Returns
        A tensor of dtype `dtype`.
    """
    return _engine.cast(x, dtype)


# ---------------------------------------------------------------- values

def eval(x):
    """The value of a tensor or variable.

    # Arguments
        x: tensor or variable (concrete: a symbolic tensor is computed by a `K.function` or a
            model).

    # Returns
        A NumPy array (a copy).
    """
    return _engine.eval(x)


def get_value(x):
    """The value of a variable.

    # Arguments
        x: variable.

    # Returns
        A NumPy array (a copy: later updates of the variable do not show in it).
    """
    return _engine.get_value(x)


def batch_get_value(ops):
    """The values of several variables.

    # Arguments
        ops: list of variables.

    # Returns
        A list of NumPy arrays (copies).
    """
    return _engine.batch_get_value(ops)


def _assignable(x, value):
    """`value` as a NumPy array, checked against the shape of the variable `x`."""
    value = np.asarray(value)
    check_assignable(value, x.shape, getattr(x, 'name', '?'))
    return value


def set_value(x, value):
    """Assigns a value to a variable: in place on PyTorch; on JAX the variable's array is
    replaced.

    # Arguments
        x: variable.
        value: NumPy array (or anything `np.asarray` takes) of the variable's shape, or a scalar
            for a variable of one value.

    # Raises
        ValueError: if the shapes differ.
    """
    return _engine.set_value(x, _assignable(x, value))


def batch_set_value(tuples):
    """Assigns values to several variables (see `set_value`).

    # Arguments
        tuples: list of `(variable, value)` pairs.

    # Raises
        ValueError: if a value's shape differs from its variable's (the pairs before it have
            been assigned).
    """
    # Each pair is checked as the engine reaches it, so a bad pair leaves the ones before it
    # assigned, as assigning them one by one would.
    return _engine.batch_set_value((x, _assignable(x, value)) for x, value in tuples)


@graph_op
def print_tensor(x, message=''):
    """Prints `message` and the value of `x` when `x` is computed, and returns `x`.

    Inside a traced JAX step the value is printed when the step runs.

    # Arguments
        x: tensor or variable.
        message: text printed before the value.

    # Returns
        `x`, unchanged.
    """
    return _engine.print_tensor(x, message)


# ---------------------------------------------------------------- updates

def update(x, new_x):
    """Assigns `new_x` to the variable `x`; no gradient flows through the assignment.

    On PyTorch `x` is written in place; on JAX its array is replaced by `new_x` cast to its
    dtype and broadcast to its shape. With a symbolic `new_x` nothing is assigned: the pair
    `(x, new_x)` is returned, for `K.function(..., updates=[...])` to assign at each call.

    # Arguments
        x: variable.
        new_x: tensor of the shape of `x` (or broadcastable to it).

    # Returns
        `x` (or the `(x, new_x)` update pair).
    """
    if is_symbolic(new_x):
        return (x, new_x)
    return _engine.update(x, new_x)


def update_add(x, increment):
    """Adds `increment` to the variable `x` (see `update`).

    # Arguments
        x: variable.
        increment: tensor of the shape of `x` (or broadcastable to it).

    # Returns
        `x` (or the update pair `(x, x + increment)` when `increment` is symbolic).
    """
    if is_symbolic(increment):
        return (x, increment + x)
    return _engine.update_add(x, increment)


def update_sub(x, decrement):
    """Subtracts `decrement` from the variable `x` (see `update`).

    # Arguments
        x: variable.
        decrement: tensor of the shape of `x` (or broadcastable to it).

    # Returns
        `x` (or the update pair `(x, x - decrement)` when `decrement` is symbolic).
    """
    if is_symbolic(decrement):
        return (x, -decrement + x)
    return _engine.update_sub(x, decrement)


def moving_average_update(x, value, momentum):
    """Sets the variable `x` to `x * momentum + value * (1 - momentum)` (no gradient flows).

    # Arguments
        x: variable.
        value: tensor of the shape of `x`, cast to its dtype.
        momentum: float, the weight of the old value.

    # Returns
        `x`.
    """
    return _engine.moving_average_update(x, value, momentum)


# ---------------------------------------------------------------- gradients

@graph_op
def gradients(loss, variables):
    """The gradients of `loss` (summed first when not a scalar) with respect to `variables`.

    On symbolic tensors the call records an op that a `K.function` computes (gradients of
    gradients too). On concrete tensors PyTorch differentiates the graph autograd recorded
    while computing `loss`, which must have been computed with gradients enabled; JAX keeps no
    such record, so there it answers inside a training step, for the step's total loss (as an
    optimizer's Keras 2-style `get_updates` asks), and raises otherwise.

    # Arguments
        loss: tensor.
        variables: a variable or tensor, or a list of them.

    # Returns
        A list of gradients, one per variable, also for a single variable (so
        `K.gradients(loss, x)[0]` is the gradient for `x`); zeros for a variable that `loss`
        does not depend on.

    # Raises
        RuntimeError: on JAX, for concrete tensors computed eagerly outside a training step
            (evaluate the gradients of symbolic tensors with a `K.function`, or use `jax.grad`).
    """
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    return _engine.gradients(loss, variables)


@graph_op
def stop_gradient(variables):
    """Returns the tensor(s) given, through which no gradient flows.

    # Arguments
        variables: tensor or variable, or a list of them.

    # Returns
        A tensor, or a list of tensors for a list.
    """
    if isinstance(variables, (list, tuple)):
        return [_engine.stop_gradient(v) for v in variables]
    return _engine.stop_gradient(variables)


# ---------------------------------------------------------------- functions

def function(inputs, outputs, updates=None, **kwargs):
    """Makes a callable that computes `outputs` from values fed for the symbolic `inputs`.

    On JAX its calls are compiled, and the gradient ops among `outputs` are computed by
    tracing again the part of the graph that computes their loss.

    # Arguments
        inputs: list of symbolic tensors (placeholders, model inputs, `K.learning_phase()`).
        outputs: list of symbolic tensors (or a single one).
        updates: list of `(variable, new_value)` pairs or update ops to run after each call.
        **kwargs: accepted for Keras 2 code (e.g. `name`).

    # Returns
        A function taking a list of values (NumPy arrays) for `inputs` and returning a list of
        NumPy arrays.

    # Raises
        RuntimeError: if `cornu.engine` has not been imported (`import cornu` does it).
    """
    return _engine.function(inputs, outputs, updates, **kwargs)


def Function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's `K.Function`: the same as `K.function(inputs, outputs, updates)`.

    # Arguments
        inputs: list of symbolic tensors.
        outputs: list of symbolic tensors.
        updates: list of update ops.
        name: accepted for Keras 2 code.
        **kwargs: passed to `function`.

    # Returns
        A function taking a list of values and returning a list of NumPy arrays.
    """
    return function(inputs, outputs, updates=updates, name=name, **kwargs)
