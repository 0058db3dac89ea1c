"""`cornu.backend`, imported as `K`: the Keras 2 backend API on PyTorch (default) or JAX.

The engine is chosen once, at import: the `CORNU_BACKEND` environment variable, else the
`"backend"` entry of `~/.cornu/cornu.json`, else `torch`. Every engine package exposes the same
public names in the same files (`core`, `math`, `nn`, `rnn`, `random`); this module re-exports
them. Functions that compute on tensors are wrapped so that, given symbolic tensors, they
record an op in the functional graph instead (see `symbolic.py`).
"""
import importlib
import os

from .common import (epsilon, set_epsilon, floatx, set_floatx, cast_to_floatx,
                     image_data_format, set_image_data_format, normalize_data_format,
                     image_dim_ordering, set_image_dim_ordering, get_uid, reset_uids,
                     clear_session, manual_variable_initialization, on_clear_session,
                     load_user_config)
from .phase import (learning_phase, set_learning_phase, learning_phase_scope,
                    reset_learning_phase, current_run_phase)
from . import phase as _phase
from .symbolic import KerasTensor, LEARNING_PHASE, is_symbolic
from . import symbolic as _symbolic

ENGINES = ('torch', 'jax')
_ENGINE_MODULES = ('core', 'math', 'shape_ops', 'nn', 'conv', 'rnn', 'random', 'fused',
                   'optim', 'compiled')

# Functions that never record a graph op: they create state, inspect static properties or
# build callables; everything else exported by an engine is dispatched on symbolic inputs.
_NOT_DISPATCHED = frozenset([
    'variable', 'constant', 'placeholder', 'is_placeholder', 'is_tensor', 'is_keras_tensor',
    'is_variable', 'is_sparse', 'int_shape', 'ndim', 'dtype', 'eval', 'get_value',
    'batch_get_value', 'set_value', 'batch_set_value', 'get_variable_shape', 'count_params',
    'zeros', 'ones', 'eye', 'random_uniform_variable', 'random_normal_variable', 'function',
    'Function', 'compile_function', 'gradients_of',
    'update', 'update_add', 'update_sub', 'moving_average_update', 'convert_to_tensor',
    'to_numpy', 'device', 'no_grad', 'inference_mode', 'set_random_seed', 'name_scope',
    'enable_grad', 'is_floating', 'as_variable_value', 'get_session', 'set_session',
    # optim: optimizer state updates
    'scalar_value', 'assign_scalar', 'advance_counter', 'forget_scalar', 'clip_gradients',
    'apply_constraints', 'sgd_update', 'rmsprop_update', 'adagrad_update', 'adadelta_update',
    'adam_update', 'adamax_update', 'nadam_update', 'is_native_optimizer', 'native_optimizer',
    'native_optimizer_step', 'native_optimizer_lr',
])


def _select_engine():
    config = load_user_config()
    name = os.environ.get('CORNU_BACKEND') or config.get('backend') or 'torch'
    name = str(name).lower()
    if name not in ENGINES:
        raise ValueError('Unknown cornu backend %r (CORNU_BACKEND or ~/.cornu/cornu.json): '
                         'expected one of %s.' % (name, ', '.join(ENGINES)))
    return name


_BACKEND = _select_engine()


def backend():
    """Returns the name of the engine in use: `'torch'` or `'jax'`."""
    return _BACKEND


def _export_engine():
    exported = {}
    for module_name in _ENGINE_MODULES:
        module = importlib.import_module('.%s.%s' % (_BACKEND, module_name), __name__)
        for name in module.__all__:
            fn = getattr(module, name)
            if callable(fn) and name not in _NOT_DISPATCHED and not isinstance(fn, type):
                fn = _symbolic.dispatching(fn)
            exported[name] = fn
    return exported


globals().update(_export_engine())


# Written here rather than in `phase.py`: a tensor-valued phase selects with the engine's
# `switch`, which this module exports.
def _select_by_phase(x, alt, training):
    training = _phase.resolved_phase(training)
    if training is True or (type(training) is int and training == 1):
        return x() if callable(x) else x
    if training is False or (type(training) is int and training == 0):
        return alt() if callable(alt) else alt
    return switch(training, x, alt)  # noqa: F821 (exported by the engine) element-wise


@_symbolic.dispatching
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


@_symbolic.dispatching
def in_test_phase(x, alt, training=None):
    """Selects `x` in the test phase and `alt` otherwise (see `in_train_phase`)."""
    return _select_by_phase(alt, x, training)

_symbolic.install_operators(globals()['symbolic_operators']())
on_clear_session(reset_learning_phase)
