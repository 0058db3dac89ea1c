"""`cornu.backend`, imported as `K`: the Keras 2 backend API on PyTorch (default) or JAX.

The engine is chosen once, at import (`engine_choice.py`: the `CORNU_BACKEND` environment
variable, else the `"backend"` entry of `~/.cornu/cornu.json`, else `torch`).

What `K` holds is exactly Keras 2.2.4's backend names plus the short list of cornu extensions
in `_EXTENSIONS` below (a test compares them). The layout behind it:

- `common.py` (configuration, name counters), `phase.py` (the learning phase) and
  `run_context.py` (the state of the run in progress, per thread): written once,
  engine-neutral.
- `api/`: `K`'s functions written once, engine-neutral: signature, docstring, the checks
  that need only the arguments, the `graph_op` marker; each calls the engine's function of
  the same name. A call from user code is then the marker's wrapper, the `api` function and
  the engine function, nothing more. (One module per engine module, listed in
  `_API_MODULES`; a few names of `api/core.py` need no engine function and are written there
  whole.)
- `torch/` and `jax/`: one package per engine, the same file names and the same names in each
  file's `__all__`. `core`, `math`, `shape_ops`, `nn`, `conv`, `rnn` and `random` hold the
  implementations of `K`'s functions; `dense`, `gradients`, `rnn_steps`, `native_rnn`,
  `lstm_kernel`, `placement` and `optim` hold cornu's own kernels, which `K` does not show.
- `kernels.py`: those kernels (fused dense and RNN kernels, optimizer updates, gradient modes,
  tensor/NumPy conversion, replica placement), the one place cornu's layers, optimizers and
  engine import them from.
- `arguments.py`, `conv_arithmetic.py`, `ctc_decoding.py`, `engine_neutral.py`: argument
  checks and shape arithmetic written once, called by both engines.
- `symbolic.py`: symbolic tensors and the `graph_op` marker. A function marked `@graph_op`
  records an op in the functional graph when given symbolic tensors; `K` wraps exactly the
  marked functions for that, and hands symbolic tensors to unmarked ones as they are.
"""
from importlib import import_module as _import_module

from . import common as _common
from . import symbolic as _symbolic
from .common import (epsilon, set_epsilon, floatx, set_floatx, cast_to_floatx,
                     image_data_format, set_image_data_format, normalize_data_format,
                     image_dim_ordering, set_image_dim_ordering, get_uid, reset_uids,
                     clear_session, manual_variable_initialization)
from .engine_choice import ENGINE as _ENGINE
from .engine_neutral import symbolic_operators as _symbolic_operators
from .sessions import without_tensorflow as _without_tensorflow
from . import phase as _phase
from .phase import (learning_phase, set_learning_phase, learning_phase_scope,
                    reset_learning_phase as _reset_learning_phase)
from .symbolic import KerasTensor, graph_op as _graph_op

# The engine modules that implement `K`'s functions; the engines' other modules hold kernels.
_ENGINE_MODULES = ('core', 'math', 'shape_ops', 'nn', 'conv', 'rnn', 'random')

# `K`'s functions written once, in `api/`, one module per engine module; `K` takes them from
# there.
_API_MODULES = ('core', 'math', 'shape_ops', 'nn', 'conv', 'rnn', 'random')

# cornu's names in `K` beyond Keras 2.2.4's backend, each with the reason it is there.
_EXTENSIONS = {
    'backend': "Keras 2's own `K.backend()`; here it names the engine, 'torch' or 'jax'",
    'KerasTensor': 'the type of symbolic tensors, for isinstance checks in user code',
    'learning_phase_scope': 'sets the learning phase for a block (a context manager, as in '
                            'tf.keras)',
    'name_scope': 'accepted for Keras 2 code that names its ops; layers give the names',
    'get_session': 'Keras 2 TensorFlow-backend code calls it; it explains that there is no '
                   'session',
    'set_session': 'the same, for code that sets a session',
    'set_random_seed': "seeds the engine's random streams, for reproducible runs",
}


def backend():
    """Returns the name of the engine in use: `'torch'` or `'jax'`."""
    return _ENGINE


# Keras 2.2.4's module attribute holding `backend()`; its tests and some scripts read it.
_BACKEND = _ENGINE


def _export_api():
    exported = {}
    for module_name in _API_MODULES:
        module = _import_module(f'.api.{module_name}', __name__)
        for name in module.__all__:
            fn = getattr(module, name)
            if _symbolic.records_graph_op(fn):
                fn = _symbolic.dispatching(fn)
            exported[name] = fn
    return exported


globals().update(_export_api())


# Written here rather than in `phase.py`: a tensor-valued phase selects with the engine's
# `switch`, which this module exports.
def _select_by_phase(x, alt, training):
    training = _phase.resolved_phase(training)
    if training is True or (type(training) is int and training == 1):
        return x() if callable(x) else x
    if training is False or (type(training) is int and training == 0):
        return alt() if callable(alt) else alt
    return switch(training, x, alt)  # noqa: F821 (exported by the engine) element-wise


@_graph_op
def in_train_phase(x, alt, training=None):
    """Selects `x` in the training phase and `alt` otherwise.

    # Arguments
        x: what to return in the training phase (a tensor or a callable returning one).
        alt: what to return otherwise (a tensor or a callable returning one).
        training: optional phase overriding the current learning phase (bool, int or tensor).

    # Returns
        `x` or `alt`.
    """
    return _select_by_phase(x, alt, training)


@_graph_op
def in_test_phase(x, alt, training=None):
    """Selects `x` in the test phase and `alt` otherwise (see `in_train_phase`)."""
    return _select_by_phase(alt, x, training)


in_train_phase = _symbolic.dispatching(in_train_phase)
in_test_phase = _symbolic.dispatching(in_test_phase)
_symbolic.install_operators(_symbolic_operators())
_common.on_clear_session(_reset_learning_phase)

# Keras 2's `keras.backend.tensorflow_backend`, for code that reaches into it.
from . import tensorflow_backend  # noqa: E402,F401


def __getattr__(name):
    # Keras 2's TensorFlow backend exposed TensorFlow itself as `K.tf`.
    if name == 'tf':
        raise AttributeError(_without_tensorflow('K.tf'))
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
