"""Variables, conversion, dtypes, shapes and placement on PyTorch.

Tensors live on `DEVICE`: the first CUDA device when one is present (under `torchrun`, the
device of the process's `LOCAL_RANK`), or `CORNU_DEVICE` (e.g. `cpu`), so user code runs
unchanged on CPU and GPU.

Bare implementations: each of `K`'s core functions has its signature, docstring and
argument-only checks in `cornu.backend.api.core`, which calls these. The device, the variable
class, conversions, dtypes and gradient modes are cornu's kernels (`cornu.backend.kernels`).
"""
import copy
import functools
import os

import numpy as np
import torch

from .. import common
from .. import engine_neutral
from ..run_context import current
from ..symbolic import KerasTensor, is_symbolic

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
    requested = os.environ.get('CORNU_DEVICE')
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        if int(os.environ.get('WORLD_SIZE', '1')) > 1 and 'LOCAL_RANK' in os.environ:
            # Under torchrun each process trains on the GPU of its local rank.
            return torch.device('cuda', int(os.environ['LOCAL_RANK']))
        return torch.device('cuda')
    return torch.device('cpu')


DEVICE = _pick_device()

# Data workers (`use_multiprocessing=True`) may be forked from a process running torch, as
# torch's own `DataLoader` forks them.
WORKERS_MAY_FORK = True

_DTYPES = {
    'float16': torch.float16, 'float32': torch.float32, 'float64': torch.float64,
    'bfloat16': torch.bfloat16, 'int8': torch.int8, 'int16': torch.int16, 'int32': torch.int32,
    'int64': torch.int64, 'uint8': torch.uint8, 'bool': torch.bool,
    'complex64': torch.complex64, 'complex128': torch.complex128,
}
_DTYPE_NAMES = {v: k for k, v in _DTYPES.items()}


def device():
    """Returns the device tensors are placed on, as a string (`'cpu'`, `'cuda'`)."""
    return str(DEVICE)


def standardize_dtype(dtype):
    """Maps a dtype given as a name, NumPy dtype or torch dtype to a torch dtype."""
    if dtype is None:
        return _DTYPES[common.floatx()]
    if isinstance(dtype, torch.dtype):
        return dtype
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    try:
        return _DTYPES[name]
    except KeyError:
        raise TypeError(f'Unsupported dtype: {dtype!r}')


def _dtype_name(torch_dtype):
    return _DTYPE_NAMES.get(torch_dtype, str(torch_dtype).replace('torch.', ''))


def is_floating(x):
    return x.dtype.is_floating_point


def _numpy_to_tensor(value, dtype=None):
    array = np.asarray(value)
    if dtype is None:
        if array.dtype.kind == 'f':
            torch_dtype = _DTYPES[common.floatx()]
        elif array.dtype == np.uint16 or array.dtype == np.uint32 or array.dtype == np.uint64:
            torch_dtype = torch.int64
        elif array.dtype.kind in 'iub':
            torch_dtype = _DTYPES.get(array.dtype.name, torch.int64)
        else:
            raise TypeError(f'Cannot convert an array of dtype {array.dtype} to a tensor.')
    else:
        torch_dtype = standardize_dtype(dtype)
    if array.dtype.kind == 'f' or array.dtype.kind in 'iub':
        if not array.flags.writeable or not array.flags.c_contiguous:
            array = np.ascontiguousarray(array).copy() if not array.flags.writeable \
                else np.ascontiguousarray(array)
        if array.dtype.byteorder == '>':
            array = array.astype(array.dtype.newbyteorder('='))
        try:
            tensor = torch.from_numpy(array)
        except TypeError:
            tensor = torch.tensor(array.tolist())
    else:
        tensor = torch.as_tensor(array)
    return tensor.to(device=DEVICE, dtype=torch_dtype)


def convert_to_tensor(x, dtype=None):
    """Converts NumPy arrays, Python numbers and lists to a tensor on `DEVICE`.

    Tensors are returned unchanged (or cast when `dtype` is given). Floating inputs take the
    default float type unless `dtype` says otherwise.
    """
    if isinstance(x, torch.Tensor):
        if dtype is not None:
            torch_dtype = standardize_dtype(dtype)
            if x.dtype != torch_dtype:
                return x.to(torch_dtype)
        if x.device != DEVICE and x.device.type != 'meta':
            return x.to(DEVICE)
        return x
    if is_symbolic(x):
        raise TypeError(f'Expected a concrete tensor, got the symbolic {x!r}; symbolic tensors '
                        'are computed by running a model or a K.function.')
    if isinstance(x, (bool, int, float)) and dtype is None:
        dtype = 'bool' if isinstance(x, bool) else ('int64' if isinstance(x, int) else None)
    return _numpy_to_tensor(x, dtype)


def to_numpy(x):
    """Returns a NumPy version of a tensor (or passes NumPy arrays and numbers through) that
    shares no memory with a variable or with an array the tensor was made from.

    `Tensor.numpy()` shares the memory of a CPU tensor: a tensor computed for the caller (a
    model's output, say) is read in place, without a copy, while one that borrows memory (a
    variable or a view of one, or an input made from the caller's NumPy array and handed
    back unchanged, as an identity or `Reshape` model does) is copied, so that writing into
    the result changes neither the model nor the caller's data.
    """
    if isinstance(x, torch.Tensor):
        if x.dtype is torch.bfloat16:
            return x.detach().float().cpu().numpy()  # NumPy has no bfloat16: a new array
        if x.is_cpu:
            # (Asked of `x` itself: a detached variable no longer says it is one.)
            array = (x.detach() if x.requires_grad else x).numpy()
            return array.copy() if _borrows_memory(x) else array
        return x.detach().cpu().numpy()
    if is_symbolic(x):
        raise TypeError(f'Cannot evaluate the symbolic tensor {x!r} directly: build a '
                        '`K.function` or a `Model` that computes it.')
    return np.asarray(x)


def _borrows_memory(tensor):
    """Whether the memory of `tensor` belongs to something else: a variable (or the tensor
    is a view of one), or a NumPy array (`torch.from_numpy` memory, which torch cannot
    resize)."""
    base = tensor._base
    if base is None:
        base = tensor
    # (`isinstance` on a `Parameter` runs Python code: asked only of subclasses of Tensor.)
    if type(base) is not torch.Tensor and isinstance(base, torch.nn.Parameter):
        return True
    return not base.untyped_storage().resizable()


def _private_tensor(value, dtype):
    """`value` (a NumPy array, a list or a number) as a tensor on `DEVICE` that shares no
    memory with it: what a variable or a constant keeps, which the caller's later changes
    to `value` must not reach, and whose own changes must not reach the caller."""
    array = np.asarray(value)
    tensor = _numpy_to_tensor(array, dtype)
    # `torch.from_numpy` (which the conversion uses where it needs no copy) starts the
    # tensor's memory where the array's starts.
    if tensor.device.type == 'cpu' and tensor.data_ptr() == array.ctypes.data:
        tensor = tensor.clone()
    return tensor


class KerasVariable(torch.nn.Parameter):
    """A variable: a `torch.nn.Parameter` with a Keras 2 name and an optional constraint.

    Non-float variables (e.g. an optimizer's `iterations`) never require gradients.
    """

    # Plain-tensor speed: ops on variables skip Python-level dispatch and return Tensors.
    __torch_function__ = torch._C._disabled_torch_function_impl

    def __new__(cls, data, requires_grad=True, name=None, constraint=None):
        requires_grad = bool(requires_grad and data.dtype.is_floating_point)
        instance = torch.Tensor._make_subclass(cls, data, requires_grad)
        instance._keras_name = name
        instance.constraint = constraint
        return instance

    @property
    def name(self):
        return self._keras_name

    @name.setter
    def name(self, value):
        self._keras_name = value

    @property
    def trainable(self):
        return self.requires_grad

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad, self._keras_name,
                            copy.deepcopy(self.constraint, memo))
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_variable, (self.detach().cpu().numpy(), self.requires_grad,
                                    self._keras_name, _dtype_name(self.dtype)))

    def __repr__(self):
        return (f'<cornu variable {self._keras_name!r} shape={tuple(self.shape)} '
                f'dtype={_dtype_name(self.dtype)}>')


def _rebuild_variable(array, requires_grad, name, dtype_name):
    return KerasVariable(_numpy_to_tensor(array, dtype_name), requires_grad, name)


def variable(value, dtype, name=None, constraint=None):
    if isinstance(value, torch.Tensor):
        data = value.detach().to(device=DEVICE, dtype=standardize_dtype(dtype)).clone()
    else:
        data = _private_tensor(value, dtype)
    return KerasVariable(data, True, name or 'Variable', constraint)


def constant(value, dtype, shape=None, name=None):
    if isinstance(value, torch.Tensor):
        tensor = value.detach().to(device=DEVICE, dtype=standardize_dtype(dtype)).clone()
    else:
        tensor = _private_tensor(value, dtype)
    if shape is not None:
        tensor = tensor.expand(tuple(shape)).clone()
    return tensor


def is_tensor(x):
    return isinstance(x, (torch.Tensor, KerasTensor))


def is_variable(x):
    return isinstance(x, KerasVariable)


def is_sparse(tensor):
    return bool(getattr(tensor, 'sparse', False)) or (
        isinstance(tensor, torch.Tensor) and tensor.is_sparse)


def to_dense(tensor):
    if isinstance(tensor, torch.Tensor) and tensor.is_sparse:
        return tensor.to_dense()
    return tensor


def shape(x):
    return tuple(x.shape)


def int_shape(x):
    if isinstance(x, KerasTensor):
        return x._keras_shape
    if hasattr(x, '_keras_shape'):
        return x._keras_shape
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    return tuple(np.shape(x))


def ndim(x):
    if isinstance(x, KerasTensor):
        return len(x._keras_shape)
    return len(x.shape)


def dtype(x):
    if isinstance(x, KerasTensor):
        return x.dtype
    if isinstance(x, torch.Tensor):
        return _dtype_name(x.dtype)
    return np.asarray(x).dtype.name


def _snapshot(x):
    """A NumPy copy of `x`: `Tensor.numpy()` shares memory with CPU tensors, and a variable's
    value read before a training step must not change with it."""
    if isinstance(x, torch.Tensor) and x.device.type == 'cpu' and x.dtype != torch.bfloat16:
        return x.detach().numpy().copy()
    return to_numpy(x)


def eval(x):
    return _snapshot(x)


def get_value(x):
    return _snapshot(x)


def batch_get_value(ops):
    return [_snapshot(x) for x in ops]


def set_value(x, value):
    """Copies the NumPy `value`, checked against the shape of `x`, into `x`."""
    with torch.no_grad():
        # Converted straight onto the variable's device (one copy, no host tensor first).
        x.copy_(torch.as_tensor(value, dtype=x.dtype, device=x.device).reshape(x.shape))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def print_tensor(x, message=''):
    print(message, to_numpy(x))
    return x


def zeros(shape, dtype=None, name=None):
    return KerasVariable(torch.zeros(shape, dtype=standardize_dtype(dtype), device=DEVICE),
                         True, name or 'zeros')


def ones(shape, dtype=None, name=None):
    return KerasVariable(torch.ones(shape, dtype=standardize_dtype(dtype), device=DEVICE),
                         True, name or 'ones')


def eye(size, dtype=None, name=None):
    rows, columns = size
    return KerasVariable(torch.eye(rows, columns, dtype=standardize_dtype(dtype), device=DEVICE),
                         True, name or 'eye')


def zeros_like(x, dtype=None, name=None):
    return torch.zeros_like(x, dtype=standardize_dtype(dtype) if dtype else None)


def ones_like(x, dtype=None, name=None):
    return torch.ones_like(x, dtype=standardize_dtype(dtype) if dtype else None)


def identity(x, name=None):
    """A copy that still carries gradients."""
    return x.clone()


def cast(x, dtype):
    x = convert_to_tensor(x)
    return x.to(standardize_dtype(dtype))


def _operand_of(x, value):
    """`value` as an operand of an in-place update of `x`: tensors and Python numbers as
    they are, NumPy arrays (and lists, NumPy scalars) as tensors on the device of `x`."""
    if isinstance(value, (torch.Tensor, int, float)):
        return value
    return torch.as_tensor(np.asarray(value), dtype=x.dtype, device=x.device)


def update(x, new_x):
    with torch.no_grad():
        new_x = _operand_of(x, new_x)
        if isinstance(new_x, torch.Tensor):
            x.copy_(new_x)
        else:
            x.fill_(new_x)
    return x


def update_add(x, increment):
    with torch.no_grad():
        x.add_(_operand_of(x, increment))
    return x


def update_sub(x, decrement):
    with torch.no_grad():
        x.sub_(_operand_of(x, decrement))
    return x


def moving_average_update(x, value, momentum):
    with torch.no_grad():
        value = _operand_of(x, value)
        if isinstance(value, torch.Tensor):
            value = value.detach().to(x.dtype)
        x.mul_(momentum).add_(value, alpha=1.0 - momentum)
    return x


def gradients(loss, variables):
    """Differentiates the graph autograd recorded for `loss` (`variables`: a list)."""
    # Inside `steps.known_gradients` for `loss` the gradients are known already: summed over
    # the processes of a data-parallel step, or unscaled by a loss-scaled one.
    known = current().known_gradients
    if known is not None and loss is known[0]:
        by_id = known[1]
        return [by_id[id(v)] if by_id.get(id(v)) is not None else torch.zeros_like(v)
                for v in variables]
    if loss.dim() != 0:
        loss = loss.sum()
    grads = torch.autograd.grad(loss, variables, create_graph=torch.is_grad_enabled(),
                                allow_unused=True)
    return [torch.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]


def stop_gradient(variables):
    return variables.detach()


def function(inputs, outputs, updates=None, **kwargs):
    return engine_neutral.function(inputs, outputs, updates, **kwargs)


class no_grad(object):
    """Within it, operations record no gradients (`torch.no_grad` as a context, in two
    frames instead of a dozen: a training step enters it several times)."""

    __slots__ = ('_previous',)

    def __enter__(self):
        self._previous = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)

    def __exit__(self, *exc):
        torch._C._set_grad_enabled(self._previous)
        return False


enable_grad = torch.enable_grad


def _inference_mode_guard():
    """`torch.inference_mode()` for a `with` block, as the C++ guard that it enters: entered
    once per `predict` call, where the Python class's four frames are a measurable part of a
    one-sample prediction."""
    guard = getattr(torch._C, '_InferenceMode', None)
    if guard is None or not hasattr(guard, '__enter__'):
        return torch.inference_mode
    return functools.partial(guard, True)


inference_mode = _inference_mode_guard()


def graph_capture_active():
    """Whether torch ops are being captured into a graph rather than run: the JIT tracer
    (the ONNX exporter's), torch.compile, torch.export or a torch.func transform. Kernels
    that take a CPU-only shortcut (oneDNN's fused ReLU, a transposed product) skip it then,
    so captured graphs hold the portable ops."""
    return (torch.jit.is_tracing() or torch.compiler.is_compiling() or
            torch.compiler.is_exporting() or torch._C._are_functorch_transforms_active())
