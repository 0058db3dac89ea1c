"""cornu's internal backend kernels: what its own layers, optimizers and engine call beyond
Keras 2's backend API.

Not part of `keras.backend` (`K`), and free to change between releases: fused dense and RNN
kernels, optimizer updates, gradients for the training step, gradient modes, conversions
between engine tensors and NumPy, replica placement, and a few engine-neutral helpers that
the engine needs next to them. Code inside cornu imports it as
`from cornu.backend import kernels` (or relatively, `from ..backend import kernels`).

Each name comes from the engine chosen for the process (`engine_choice.py`); the engines
define them in the same files with the same names:

- `core`: the device, variables' class, tensor/NumPy conversion, gradient modes, dtypes,
  whether data workers may be forked from the process (`WORKERS_MAY_FORK`);
- `compiled`: `compile_function`, how the run of a `K.function` is prepared for repeated
  calls (jitted on JAX);
- `dense`, `gradients`, `rnn_steps`, `native_rnn`, `lstm_kernel`, `gru_kernel`, `placement`,
  `optim`, `loss_scaling`, `fused_metrics`, `fused_conv`:
  one job each, every name in their `__all__` re-exported here.

The kernels that layers call on their inputs (`dense`, `fused_conv`, the RNN kernels) carry
the `graph_op` marker, as K's functions do: given symbolic tensors (a layer's `call` run on
them directly, as Keras 2 code does inside `K.function`), they record a graph op. The others
take concrete tensors only.
"""
from .engine_choice import engine_module
from .phase import current_run_phase  # noqa: F401 (re-exported)
from .symbolic import LEARNING_PHASE, dispatching, is_symbolic, records_graph_op  # noqa: F401

_core = engine_module('core')

DEVICE = _core.DEVICE
WORKERS_MAY_FORK = _core.WORKERS_MAY_FORK
KerasVariable = _core.KerasVariable
device = _core.device
convert_to_tensor = _core.convert_to_tensor
to_numpy = _core.to_numpy
is_variable = _core.is_variable
is_floating = _core.is_floating
standardize_dtype = _core.standardize_dtype
no_grad = _core.no_grad
enable_grad = _core.enable_grad
inference_mode = _core.inference_mode
compile_function = engine_module('compiled').compile_function

_KERNEL_MODULES = ('dense', 'gradients', 'rnn_steps', 'native_rnn', 'lstm_kernel', 'gru_kernel',
                   'placement', 'optim', 'loss_scaling', 'fused_metrics', 'fused_conv')


def _kernel_names():
    names = {}
    for module_name in _KERNEL_MODULES:
        module = engine_module(module_name)
        for name in module.__all__:
            fn = getattr(module, name)
            if records_graph_op(fn):
                # A layer's `call` run on symbolic tensors (`K.function([x],
                # [layer.call(x)])`, a Keras 2 idiom) records the kernel as a graph op.
                fn = dispatching(fn)
            names[name] = fn
    return names


_KERNELS = _kernel_names()
globals().update(_KERNELS)

__all__ = ['DEVICE', 'WORKERS_MAY_FORK', 'KerasVariable', 'device', 'convert_to_tensor',
           'to_numpy', 'is_variable', 'is_floating', 'standardize_dtype', 'no_grad',
           'enable_grad', 'inference_mode',
           'compile_function', 'current_run_phase', 'LEARNING_PHASE',
           'is_symbolic'] + sorted(_KERNELS)
