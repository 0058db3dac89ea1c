"""What the PyTorch engine supplies to the training step (`cornu.engine.trainer`).

The step is written once, engine-neutrally; an engine provides how its gradients are taken
(`value_and_grad`), how a step function is run (`compile_step`) and how a batch's rows are
picked (`take_rows` and friends). On PyTorch a step runs eagerly and updates the variables in
place: the training step under autograd, the test and predict steps under
`torch.inference_mode` (entered by the trainer, once per `predict`). With `jit_compile`, the forward pass, the losses and the metrics run
as one `torch.compile`d function whose backward graph is compiled with it (see
`value_and_grad`).
"""
import contextlib

import numpy as np
import torch
from torch.overrides import has_torch_function
from torch.utils import _pytree

from ..run_context import run_context
from . import distributed
from . import interop
from .core import DEVICE, convert_to_tensor, to_numpy
from .denormals import with_denormals_flushed

__all__ = ['prepare_trainable', 'value_and_grad', 'known_gradients', 'compile_step',
           'placement', 'hold', 'place', 'place_arrays', 'row_order', 'batch_rows', 'feed',
           'take_rows', 'trim', 'to_host']


def prepare_trainable(params):
    """Makes `params` (the weights a model trains) require gradients.

    A weight frozen in a torch module view (`as_torch_module`) trains again once compiled as
    trainable."""
    for param in params:
        if not param.requires_grad and param.is_floating_point():
            param.requires_grad_(True)


class GradientFunction:
    """`fn`'s value and its gradients with respect to `params` (see `value_and_grad`).

    # Arguments
        fn: a plain function returning `(loss, aux)`.
        params: the variables to differentiate with respect to.
        keep_graph: return the loss still attached to its graph and no gradients (a Keras
            2-style `get_updates` asks for them itself with `K.gradients`).
        jit_compile: run `fn` through `torch.compile` (falling back to eager with a warning).
        name: what that warning calls the step.
    """

    def __init__(self, fn, params, keep_graph=False, jit_compile=False, name='a step'):
        self.params = list(params)
        self.keep_graph = keep_graph
        self.forward = interop.compile_step(fn, name) if jit_compile else fn
        # An eager step calls the autograd engine itself; a compiled one through
        # `_engine_run_backward`, which hands the compiler's settings to the backward pass.
        self._run_backward = _autograd_engine_call(jit_compile)
        self._param_tuple = tuple(self.params)
        # Tensor subclasses that override torch functions are differentiated through
        # `torch.autograd.grad`, which dispatches to them.
        self._overridden = has_torch_function(self._param_tuple)
        # The backward pass's seed, a one of the loss's dtype and device, kept from step to
        # step (see `gradients`).
        self._seed = None

    def __call__(self, *args):
        loss, aux = self.forward(*args)
        if self.keep_graph:
            return loss, aux, None
        return loss.detach(), aux, self.gradients(loss)

    def gradients(self, loss):
        """The gradients of the scalar `loss` with respect to `params` (`None` where it does
        not depend on one)."""
        if not self.params:
            return []
        if self._run_backward is None or self._overridden or loss.dim() or \
                not loss.requires_grad or has_torch_function((loss,)):
            # Its errors too: a loss that is not a scalar, or not differentiable.
            return torch.autograd.grad(loss, self.params, allow_unused=True)
        # What `torch.autograd.grad(loss, params, allow_unused=True)` does for a scalar loss
        # of plain tensors, without its argument normalisation (~40 Python calls a step).
        # The seed is made once: autograd reads it and never writes it.
        seed = self._seed
        if seed is None or seed.dtype is not loss.dtype or seed.device != loss.device:
            seed = self._seed = torch.ones_like(loss)
        grads = self._run_backward((loss,), (seed,), False, False, self._param_tuple, True,
                                   False)
        for grad in grads:
            if grad is seed:
                # The loss passed its seed on unchanged to a weight (a scalar weight added
                # to the loss as it is): that gradient is the caller's to change in place
                # (clipping), so the next step makes a new seed.
                self._seed = None
        return grads


def _autograd_engine_call(compiled):
    """The autograd engine's entry point a step calls directly, or `None` (a torch release
    that does not have it: the step then goes through `torch.autograd.grad`)."""
    if compiled:
        # Through it, the compiler's settings reach the backward pass.
        return getattr(torch.autograd.graph, '_engine_run_backward', None)
    engine = getattr(torch.autograd.Variable, '_execution_engine', None)
    return getattr(engine, 'run_backward', None)


class DataParallelGradientFunction(GradientFunction):
    """A `GradientFunction` whose results are summed over the processes that train
    together, each weighted by `share` (the fraction of the global batch this process ran).

    The loss (and every scalar of `aux`) comes back as the weighted sum over the processes:
    the global batch's average, identical everywhere. The gradients are those of that
    average, summed while the backward pass runs (`distributed.GradientReducer`); with
    `keep_graph` they are returned too, and a Keras 2-style `get_updates` receives them from
    `K.gradients` through `known_gradients`.
    """

    def __init__(self, fn, params, keep_graph=False, jit_compile=False, name='a step'):
        super().__init__(fn, params, keep_graph, jit_compile, name)
        # Each call uses the share set before it, then the equal share (`train_on_batch` in
        # every process) until the next is set.
        self.equal_share = self.share = 1. / distributed.world_size()
        self.reducer = None

    def __call__(self, *args):
        if self.reducer is None:
            self.reducer = distributed.GradientReducer(self.params)
        loss, aux = self.forward(*args)
        values, layout = _pytree.tree_flatten(aux)
        share, self.share = self.share, self.equal_share
        self.reducer.begin()
        grads = torch.autograd.grad(loss * share, self.params, allow_unused=True) \
            if self.params else []
        logged = torch.stack([v.detach().reshape(()).float() for v in [loss] + values]) * share
        grads, logged = self.reducer.finish(logged)
        reduced = list(logged.unbind(0))
        return reduced[0], _pytree.tree_unflatten(reduced[1:], layout), grads


def value_and_grad(fn, params, keep_graph=False, jit_compile=False, name='a step',
                   data_parallel=False):
    """A function computing `fn(*args)` and the gradients of its loss.

    # Arguments
        fn: a plain function of the step's arguments returning `(loss, aux)`.
        params: the variables to differentiate with respect to.
        keep_graph: see `GradientFunction`.
        jit_compile: compile `fn` with `torch.compile`.
        name: a description of the step for warnings.
        data_parallel: sum the results over the processes training together (see
            `DataParallelGradientFunction`; its `share` attribute is this process's fraction
            of each global batch).

    # Returns
        A callable: `(*args) -> (loss, aux, grads)`: the loss detached from its graph, `aux`
        as `fn` returned it, `grads` aligned with `params` (`None` for a parameter the loss
        does not depend on).
    """
    if data_parallel:
        return DataParallelGradientFunction(fn, params, keep_graph, jit_compile, name)
    return GradientFunction(fn, params, keep_graph, jit_compile, name)


def known_gradients(loss, params, grads):
    """Within it, `K.gradients(loss, params)` returns `grads` when they were taken already
    (summed over the processes of a data-parallel step, unscaled by a loss-scaled one);
    with `grads` `None`, `K.gradients` differentiates the loss's live graph (the step kept it
    for a Keras 2-style `get_updates`)."""
    if grads is None:
        return contextlib.nullcontext()
    return run_context(known_gradients=(loss, {id(p): g for p, g in zip(params, grads)}))


def compile_step(body, variables, training, placement=None):
    """The step function that runs `body`: on PyTorch, `body` itself, eagerly.

    # Arguments
        body: the step, a function of the batch returning the logged values or outputs.
        variables: the variables it reads and assigns (updated in place on PyTorch).
        training: whether it is a training step (the caller runs test and predict steps
            under `inference_mode`).
        placement: unused on PyTorch (data-parallel replicas place themselves).

    # Returns
        A callable taking `body`'s arguments: `body` run with denormals flushed to zero, as
        TensorFlow and XLA run CPU ops (see `denormals.py`).
    """
    return with_denormals_flushed(body)


def placement(devices):
    """How a data-parallel model's batches are spread: on PyTorch, its replicas place their
    own slices (`replica_placement`), so steps need nothing."""
    return None


def hold(array, dtype):
    """An in-memory array as the loops keep it: a tensor on `DEVICE`, of dtype `dtype`
    (copied once; the steps gather their rows there)."""
    if array is None:
        return None
    if (type(array) is np.ndarray and _ON_CPU and array.dtype is _NUMPY_DTYPES.get(dtype) and
            array.flags.c_contiguous and array.flags.writeable):
        # What `convert_to_tensor` makes of such an array (of the dtype's own native-order
        # NumPy type), in one call: the tensor reads the array's memory (nothing writes into
        # a fed array; an output that is this tensor itself, as an identity model gives, is
        # copied by `to_numpy`).
        return torch.from_numpy(array)
    return convert_to_tensor(np.asarray(array), dtype=dtype)


_ON_CPU = DEVICE.type == 'cpu'
_NUMPY_DTYPES = {name: np.dtype(name) for name in
                 ('float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8',
                  'bool')}


def place(values, placement):
    """`values` where the steps want them: as they are on PyTorch."""
    return values


def place_arrays(data, placement):
    """The input, target and weight arrays of `data` (an `ArrayBatches`)."""
    return data.inputs, data.targets, data.weights


def row_order(order, placement=None):
    """An epoch's shuffled row order (NumPy), as the rows a step takes: a tensor on `DEVICE`,
    so that each batch's indices are a slice of it already on the device (one copy per
    epoch; indices left on the host would be copied to a GPU, synchronously, every batch)."""
    return torch.as_tensor(order, dtype=torch.int64, device=DEVICE)


def batch_rows(index):
    """The rows of one batch as `take_rows` takes them: a `(start, stop)` pair stays one
    (a slice is a view, no copy), indices stay a tensor."""
    return index


def feed(groups, rows, placement, limit=None, pad=False):
    """The arrays a step is called with and the rows it takes: `(groups, rows, None)`, the
    first two as they are. PyTorch runs any batch length without compiling, so it never
    pads (the JAX engine gathers and pads batches here)."""
    return groups, rows, None


def take_rows(groups, rows, placement=None):
    """Every array in `groups` (lists that may hold `None`) at `rows` (`None`: all)."""
    if rows is None:
        return groups
    taken = []
    if isinstance(rows, tuple):
        start, stop = rows
        for group in groups:
            taken.append([None if a is None else a[start:stop] for a in group])
    elif type(rows) is torch.Tensor and rows.dtype is torch.int64 and rows.dim() == 1:
        # Row indices (a slice of the epoch's order): `index_select` gathers the rows of a
        # contiguous array as `a[rows]` does, without the parsing of an indexing expression
        # (~30% fewer instructions for a small batch).
        for group in groups:
            taken.append([None if a is None else
                          _index_select(a, 0, rows) if a.is_contiguous() else a[rows]
                          for a in group])
    else:
        for group in groups:
            taken.append([None if a is None else a[rows] for a in group])
    return taken


_index_select = torch.index_select


def trim(outputs, valid):
    """The outputs of a batch: as they are (PyTorch batches are never padded)."""
    return outputs


def to_host(parts):
    """The outputs of several batches of one output (tensors) as one NumPy array:
    concatenated on the device and copied once."""
    return to_numpy(parts[0] if len(parts) == 1 else torch.cat(list(parts), dim=0))
