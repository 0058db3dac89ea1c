"""Variables, conversion, shapes and placement on JAX (dtype names: `dtypes.py`).

Tensors are `jax.Array`s on `DEVICE` (JAX's default device: a GPU when jaxlib has one, else the
CPU; `CORNU_DEVICE`, e.g. `cpu`, overrides it). 64-bit types are enabled so that `int64` and
`float64` mean what they mean on the torch engine (`iterations` is an int64 variable, `argmax`
returns int64); Python numbers stay weakly typed, so `x * 2.` keeps the dtype of `x`. Matrix
products and convolutions run at full float32 precision (no TF32), as the numbers of Keras 2
and the torch engine require.

A `KerasVariable` is a plain Python object holding a jax array. JAX arrays are immutable: an
assignment (`K.update`, `K.set_value`, an optimizer step) replaces the array the variable holds.
While a jitted step is traced, a *state scope* maps each variable to the traced value standing
in for it: reads see the scope's value and writes are recorded in the scope, so that the step
returns them as new values (see `cornu.backend.jax.tracing`). The active scope is the run
context's `state_scope` (see `cornu.backend.run_context`), so a step traced in one thread does
not see another thread's. Layer code is the same on both engines.

Bare implementations: each of `K`'s core functions has its signature, docstring and
argument-only checks in `cornu.backend.api.core`, which calls these. The device, the variable
class, conversions, dtypes and gradient modes are cornu's kernels (`cornu.backend.kernels`).
"""
import copy
import os

import numpy as np
import jax
import jax.numpy as jnp

from .. import common
from .. import engine_neutral
from ..symbolic import KerasTensor, is_symbolic
from ..run_context import current, run_context
from . import data_parallel
from . import gradient_retracing
from .dtypes import _DTYPES, _dtype_name, is_floating, standardize_dtype  # noqa: F401

jax.config.update('jax_enable_x64', True)
jax.config.update('jax_default_matmul_precision', 'highest')

# The functions of `cornu.backend.api.core` that need the engine (the others are written
# there whole).
__all__ = [
    'variable', 'constant', 'is_tensor', 'is_sparse', 'to_dense', 'shape', 'int_shape', 'ndim',
    'dtype', 'eval', 'get_value', 'batch_get_value', 'set_value', 'batch_set_value',
    'print_tensor', 'zeros', 'ones', 'eye', 'zeros_like', 'ones_like', 'identity', 'cast',
    'update', 'update_add', 'update_sub', 'moving_average_update', 'gradients', 'stop_gradient',
    'function',
]


def _pick_device():
    # A multi-process run (`data_parallel`) starts before JAX makes any array.
    data_parallel.start_processes()
    requested = os.environ.get('CORNU_DEVICE')
    if not requested:
        # This process's first device (in a multi-process run `jax.devices()` lists every
        # process's devices, and process 0's come first).
        return jax.local_devices()[0]
    kind, _, index = requested.partition(':')
    kind = {'cuda': 'gpu'}.get(kind, kind)
    chosen = jax.devices(kind)[int(index) if index else 0]
    jax.config.update('jax_default_device', chosen)
    return chosen


DEVICE = _pick_device()

# JAX runs threads of its own once it has a device (picked above, at import): a process forked
# from it may deadlock on a lock one of them held (JAX warns when it sees a fork), so data
# workers (`use_multiprocessing=True`) are started as new processes instead.
WORKERS_MAY_FORK = False

_Array = jax.Array
_Tracer = jax.core.Tracer


def device():
    """Returns the device tensors are placed on, as a string (`'cpu'`, `'cuda'`)."""
    platform = DEVICE.platform
    return 'cuda' if platform == 'gpu' else platform


# ---------------------------------------------------------------- the state scope

class _Scope:
    """Values standing in for variables while a function is traced (see the module doc);
    active inside `_in_scope(scope)`.

    Reading `rng` or `step` records that the traced function uses them (`uses_rng`,
    `uses_step`): a traced step whose function draws nothing and folds in no step is then
    compiled without them (see `cornu.backend.jax.tracing`). Code that only carries the key
    along (out of a differentiated function, say) reads `_rng`.

    # Arguments
        values: dict mapping `id(variable)` to the value it has in the scope.
        rng: a PRNG key for the random ops drawn in the scope (`None`: the global stream).
        step: a traced step counter, which seeded dropout streams fold in.
    """

    def __init__(self, values, rng=None, step=None):
        self.values = values
        self.written = {}
        self.unknown = {}
        self.log = []
        self._rng = rng
        self._step = step
        self.uses_rng = False
        self.uses_step = False
        self.seeded_calls = 0

    @property
    def rng(self):
        self.uses_rng = True
        return self._rng

    @rng.setter
    def rng(self, value):
        self._rng = value

    @property
    def step(self):
        self.uses_step = True
        return self._step

    def read(self, variable):
        value = self.values.get(id(variable))
        if value is None:
            self.unknown[id(variable)] = variable
            return variable._value
        return value

    def write(self, variable, value):
        key = id(variable)
        if key not in self.values:
            self.unknown[key] = variable
        self.values[key] = value
        self.written[key] = variable
        self.log.append(key)


def _in_scope(scope):
    """Context manager making `scope` the active state scope of its block (gradients known
    for an outer scope's loss do not hold in it)."""
    return run_context(state_scope=scope, known_gradients=None)


def _assign(variable, value):
    """Gives `variable` a new value: in the active scope, else in place of its array."""
    scope = current().state_scope
    if scope is None:
        variable._value = value
    else:
        scope.write(variable, value)


# ---------------------------------------------------------------- conversion

def _tensor_dtype(array, dtype=None):
    """The dtype a NumPy `array` takes as a tensor: `dtype`, or one picked from the array's
    own (floats take floatx)."""
    if dtype is not None:
        return standardize_dtype(dtype)
    kind = array.dtype.kind
    if kind == 'f':
        return _DTYPES[common.floatx()]
    if array.dtype in (np.uint16, np.uint32, np.uint64):
        return _DTYPES['int64']
    if kind in 'iub':
        return _DTYPES.get(array.dtype.name, _DTYPES['int64'])
    if array.dtype == _DTYPES['bfloat16']:
        return _DTYPES[common.floatx()]
    raise TypeError(f'Cannot convert an array of dtype {array.dtype} to a tensor.')


def host_array(value, dtype=None):
    """`value` as a NumPy array in native byte order, of the dtype it would take as a tensor
    (see `convert_to_tensor`): what the step loops keep on the host."""
    array = np.asarray(value)
    target = _tensor_dtype(array, dtype)
    if array.dtype != target:
        array = array.astype(target)
    elif array.dtype.byteorder == '>':
        array = array.astype(array.dtype.newbyteorder('='))
    return array


def _numpy_to_tensor(value, dtype=None, copy=None):
    array = np.asarray(value)
    target = _tensor_dtype(array, dtype)
    if array.dtype.byteorder == '>':
        array = array.astype(array.dtype.newbyteorder('='))
    if copy:
        # A private copy made on the host and placed as it is: `jnp.asarray(..., copy=True)`
        # copies with an engine op, compiled on its first use for each shape and dtype (a
        # few milliseconds each, for every new weight shape of a model).
        return jax.device_put(np.array(array, dtype=target, copy=True))
    return jnp.asarray(array, dtype=target, copy=copy)


def _private_tensor(value, dtype=None):
    """`value` (a NumPy array, a list or a number) as a jax array that shares no memory with
    it: on the CPU, `jnp.asarray` may use the memory of a suitably aligned NumPy array, which
    the caller could change afterwards under a variable or a constant."""
    return _numpy_to_tensor(value, dtype, copy=True)


def _t(x):
    """`x` as a jax array: a variable gives its current value, anything else is converted."""
    if isinstance(x, _Array):
        return x
    if isinstance(x, KerasVariable):
        return x.value
    return convert_to_tensor(x)


def _operand(y):
    """A second operand: Python numbers stay (weakly typed) numbers, NumPy scalars become
    Python numbers, the rest becomes a jax array."""
    if isinstance(y, (_Array, int, float, bool)):
        return y
    if isinstance(y, KerasVariable):
        return y.value
    if isinstance(y, np.generic) and y.dtype.kind in 'biuf':
        return y.item()
    return convert_to_tensor(y)


def convert_to_tensor(x, dtype=None):
    """Converts NumPy arrays, Python numbers, lists and variables to a jax array.

    Arrays are returned unchanged (or cast when `dtype` is given); a variable gives its
    current value. Floating inputs take the default float type unless `dtype` says otherwise.
    """
    if isinstance(x, KerasVariable):
        x = x.value
    if isinstance(x, _Array):
        if dtype is not None:
            target = standardize_dtype(dtype)
            if x.dtype != target:
                return x.astype(target)
        return x
    if is_symbolic(x):
        raise TypeError(f'Expected a concrete tensor, got the symbolic {x!r}; symbolic tensors '
                        'are computed by running a model or a K.function.')
    if isinstance(x, (bool, int, float)) and dtype is None:
        dtype = 'bool' if isinstance(x, bool) else ('int64' if isinstance(x, int) else None)
    return _numpy_to_tensor(x, dtype)


def to_numpy(x):
    """Returns a NumPy version of a tensor (or passes NumPy arrays and numbers through)."""
    if isinstance(x, KerasVariable):
        x = x.value
    if isinstance(x, _Array):
        if isinstance(x, _Tracer):
            raise TypeError('Cannot read the value of a tensor inside a jitted jax step (it '
                            'is traced, not computed): use K functions on it instead.')
        if x.dtype == _DTYPES['bfloat16']:
            x = x.astype(jnp.float32)
        # A copy: NumPy's view of a jax array's buffer is read-only (and on the CPU shares
        # its memory), and the caller may write into what it is given.
        return np.array(x)
    if is_symbolic(x):
        raise TypeError(f'Cannot evaluate the symbolic tensor {x!r} directly: build a '
                        '`K.function` or a `Model` that computes it.')
    return np.asarray(x)


# ---------------------------------------------------------------- variables

def _unwrap(other):
    if isinstance(other, KerasVariable):
        return other.value
    if isinstance(other, np.generic) and other.dtype.kind in 'biuf':
        return other.item()
    return other


def _forward_operator(name):
    def operator(self, *args):
        if args and isinstance(args[0], KerasTensor):
            return NotImplemented  # the symbolic tensor records the op
        return getattr(self.value, name)(*[_unwrap(a) for a in args])
    operator.__name__ = name
    return operator


class KerasVariable:
    """A variable: a jax array with a Keras 2 name, an optional constraint and a trainable flag.

    The array is replaced, never changed, by assignments. Arithmetic and comparison operators,
    indexing, `len()` and NumPy conversion act on the current value, so Keras 2 code such as
    `self.kernel * 2` works. Non-float variables (e.g. an optimizer's `iterations`) are never
    trained.

    # Arguments
        value: the initial jax array.
        trainable: whether gradients are taken for it (only float variables are trainable).
        name: the Keras 2 name, e.g. `'dense_1/kernel:0'`.
        constraint: optional projection applied after optimizer updates.
    """

    # NumPy defers to the operators below (`np_array * variable`).
    __array_priority__ = 1000
    __array_ufunc__ = None
    __hash__ = object.__hash__

    def __init__(self, value, trainable=True, name=None, constraint=None):
        self._value = value
        self._trainable = bool(trainable and jnp.issubdtype(value.dtype, jnp.floating))
        self._keras_name = name
        self.constraint = constraint

    @property
    def value(self):
        """The current value: the scope's while a step is traced, else the stored array."""
        scope = current().state_scope
        if scope is None:
            return self._value
        return scope.read(self)

    @property
    def name(self):
        return self._keras_name

    @name.setter
    def name(self, value):
        self._keras_name = value

    @property
    def trainable(self):
        return self._trainable

    @property
    def shape(self):
        return tuple(self._value.shape)

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return int(self._value.size)

    @property
    def T(self):
        return self.value.T

    def numpy(self):
        """The value as a NumPy array (a copy)."""
        return to_numpy(self.value)

    def __array__(self, dtype=None, copy=None):
        array = to_numpy(self.value)
        return array.astype(dtype) if dtype is not None else array

    def __len__(self):
        return len(self._value)

    def __iter__(self):
        value = self.value
        return iter(value[i] for i in range(len(value)))

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __index__(self):
        return int(self.value)

    def __getitem__(self, key):
        return self.value[_unwrap(key)]

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return self.value

    def __abs__(self):
        return abs(self.value)

    def __invert__(self):
        return ~self.value

    __add__ = _forward_operator('__add__')
    __radd__ = _forward_operator('__radd__')
    __sub__ = _forward_operator('__sub__')
    __rsub__ = _forward_operator('__rsub__')
    __mul__ = _forward_operator('__mul__')
    __rmul__ = _forward_operator('__rmul__')
    __truediv__ = _forward_operator('__truediv__')
    __rtruediv__ = _forward_operator('__rtruediv__')
    __floordiv__ = _forward_operator('__floordiv__')
    __rfloordiv__ = _forward_operator('__rfloordiv__')
    __mod__ = _forward_operator('__mod__')
    __rmod__ = _forward_operator('__rmod__')
    __pow__ = _forward_operator('__pow__')
    __rpow__ = _forward_operator('__rpow__')
    __matmul__ = _forward_operator('__matmul__')
    __rmatmul__ = _forward_operator('__rmatmul__')
    __and__ = _forward_operator('__and__')
    __rand__ = _forward_operator('__rand__')
    __or__ = _forward_operator('__or__')
    __ror__ = _forward_operator('__ror__')
    __xor__ = _forward_operator('__xor__')
    __rxor__ = _forward_operator('__rxor__')
    __lt__ = _forward_operator('__lt__')
    __le__ = _forward_operator('__le__')
    __gt__ = _forward_operator('__gt__')
    __ge__ = _forward_operator('__ge__')
    __eq__ = _forward_operator('__eq__')
    __ne__ = _forward_operator('__ne__')

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self._value, self._trainable, self._keras_name,
                            copy.deepcopy(self.constraint, memo))
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_variable, (to_numpy(self._value), self._trainable, self._keras_name,
                                    _dtype_name(self._value.dtype)))

    def __repr__(self):
        return (f'<cornu variable {self._keras_name!r} shape={self.shape} '
                f'dtype={_dtype_name(self._value.dtype)}>')


def _rebuild_variable(array, trainable, name, dtype_name):
    return KerasVariable(_numpy_to_tensor(array, dtype_name), trainable, name)


def variable(value, dtype, name=None, constraint=None):
    if isinstance(value, (_Array, KerasVariable)):
        data = _t(value).astype(standardize_dtype(dtype))
    else:
        data = _private_tensor(value, dtype)
    return KerasVariable(data, True, name or 'Variable', constraint)


def constant(value, dtype, shape=None, name=None):
    if isinstance(value, (_Array, KerasVariable)):
        tensor = _t(value).astype(standardize_dtype(dtype))
    else:
        tensor = _private_tensor(value, dtype)
    if shape is not None:
        tensor = jnp.broadcast_to(tensor, tuple(shape))
    return tensor


def is_tensor(x):
    return isinstance(x, (_Array, KerasVariable, KerasTensor))


def is_variable(x):
    return isinstance(x, KerasVariable)


def is_sparse(tensor):
    # Sparse placeholders and sparse CTC labels only: jax has no sparse arrays in its core.
    return getattr(tensor, 'sparse', False) is True


def to_dense(tensor):
    if is_sparse(tensor) and hasattr(tensor, 'todense'):
        return tensor.todense()
    return tensor


def shape(x):
    if isinstance(x, KerasVariable):
        return x.shape
    return tuple(x.shape)


def int_shape(x):
    if isinstance(x, KerasTensor):
        return x._keras_shape
    if hasattr(x, '_keras_shape'):
        return x._keras_shape
    if isinstance(x, (_Array, KerasVariable)):
        return tuple(x.shape)
    return tuple(np.shape(x))


def ndim(x):
    if isinstance(x, KerasTensor):
        return len(x._keras_shape)
    if isinstance(x, (_Array, KerasVariable)):
        return len(x.shape)
    return np.ndim(x)


def dtype(x):
    if isinstance(x, KerasTensor):
        return x.dtype
    if isinstance(x, (_Array, KerasVariable)):
        return _dtype_name(x.dtype)
    return np.asarray(x).dtype.name


def _snapshot(x):
    """A NumPy copy of `x` (`to_numpy` copies)."""
    return to_numpy(x)


def eval(x):
    return _snapshot(x)


def get_value(x):
    return _snapshot(x)


def batch_get_value(ops):
    return [_snapshot(x) for x in ops]


def set_value(x, value):
    """Gives `x` the NumPy `value`, checked against its shape."""
    if value.dtype.byteorder == '>':
        value = value.astype(value.dtype.newbyteorder('='))
    _assign(x, jnp.array(value, dtype=x.dtype, copy=True).reshape(tuple(x.shape)))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def print_tensor(x, message=''):
    """Inside a traced step, prints when the step runs."""
    value = _t(x)
    if isinstance(value, _Tracer):
        jax.debug.print(str(message).replace('{', '{{').replace('}', '}}') + ' {}', value)
    else:
        print(message, to_numpy(value))
    return x


def zeros(shape, dtype=None, name=None):
    shape = tuple(int(s) for s in shape)
    return KerasVariable(jnp.zeros(shape, dtype=standardize_dtype(dtype)), True,
                         name or 'zeros')


def ones(shape, dtype=None, name=None):
    shape = tuple(int(s) for s in shape)
    return KerasVariable(jnp.ones(shape, dtype=standardize_dtype(dtype)), True, name or 'ones')


def eye(size, dtype=None, name=None):
    rows, columns = size
    return KerasVariable(jnp.eye(int(rows), int(columns), dtype=standardize_dtype(dtype)), True,
                         name or 'eye')


def zeros_like(x, dtype=None, name=None):
    return jnp.zeros_like(_t(x), dtype=standardize_dtype(dtype) if dtype else None)


def ones_like(x, dtype=None, name=None):
    return jnp.ones_like(_t(x), dtype=standardize_dtype(dtype) if dtype else None)


def identity(x, name=None):
    """jax arrays are immutable: no copy is needed."""
    return _t(x)


def cast(x, dtype):
    return _t(x).astype(standardize_dtype(dtype))


def _new_value(x, value):
    """`value` as the new value of the variable `x`: its dtype, broadcast to its shape (a
    NumPy array is copied, never kept)."""
    if not isinstance(value, (_Array, KerasVariable)):
        value = _private_tensor(value) if isinstance(value, np.ndarray) else _t(value)
    value = jax.lax.stop_gradient(_t(value))
    if value.dtype != x.dtype:
        value = value.astype(x.dtype)
    if tuple(value.shape) != x.shape:
        value = jnp.broadcast_to(value, x.shape)
    return value


def update(x, new_x):
    _assign(x, _new_value(x, new_x))
    return x


def update_add(x, increment):
    _assign(x, _new_value(x, x.value + _new_value(x, increment)))
    return x


def update_sub(x, decrement):
    _assign(x, _new_value(x, x.value - _new_value(x, decrement)))
    return x


def moving_average_update(x, value, momentum):
    current = x.value
    value = jax.lax.stop_gradient(_t(value)).astype(current.dtype)
    _assign(x, current * momentum + value * (1.0 - momentum))
    return x


# ---------------------------------------------------------------- gradients

# JAX has no tape of eager operations, so gradients are taken by tracing again the code that
# computed `loss`: inside a training step `loss` is the step's total loss (as a Keras 2-style
# optimizer's `get_updates` asks for it), whose gradients the step has already taken; when a
# `K.function` evaluates a recorded gradient op, the part of the graph from the function's
# inputs to `loss` is traced again as a function of `variables` and differentiated with
# `jax.grad` (see `cornu.backend.jax.gradient_retracing`).
def gradients(loss, variables):
    known = current().known_gradients
    if known is not None:
        known_loss, by_id = known
        if loss is known_loss:
            return [by_id[id(v)] if id(v) in by_id else jnp.zeros_like(_t(v))
                    for v in variables]
    if gradient_retracing.running():
        return gradient_retracing.retraced_gradients(variables, _t, is_variable,
                                                     _substituting_scope)
    raise RuntimeError(
        'K.gradients on concrete tensors needs a record of how they were computed, which the '
        'jax engine does not keep: call it on symbolic tensors (e.g. a model\'s output) and '
        'evaluate it with a K.function, or use jax.grad.')


def _substituting_scope(substitutes):
    """Context manager activating a state scope in which the variables whose ids key
    `substitutes` read the values given there, and every other variable what it reads now
    (with the active scope's random key and step)."""
    outer = current().state_scope
    values = dict(outer.values) if outer is not None else {}
    values.update(substitutes)
    scope = _Scope(values, outer.rng if outer is not None else None,
                   outer.step if outer is not None else None)
    if outer is not None:
        # A variable that only the loss reads must join the state of a traced step (else it
        # would be traced as a constant): the outer scope learns of it.
        scope.unknown = outer.unknown
    return _in_scope(scope)


def stop_gradient(variables):
    return jax.lax.stop_gradient(_t(variables))


def function(inputs, outputs, updates=None, **kwargs):
    return engine_neutral.function(inputs, outputs, updates, **kwargs)


class _NoOpMode:
    """Gradient-mode context managers: JAX takes gradients of functions, so there is no
    recording to switch on or off; usable as `with` blocks and as decorators."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_NoOpMode):
    """Accepted for engine-neutral code: a no-op on JAX."""


class enable_grad(_NoOpMode):
    """Accepted for engine-neutral code: a no-op on JAX."""


class inference_mode(_NoOpMode):
    """Accepted for engine-neutral code: a no-op on JAX."""
