"""`cornu.backend`, imported as `K`: the Keras 2 backend API on PyTorch (default) or JAX.

The engine is chosen once, at import: the `CORNU_BACKEND` environment variable, else the
`"backend"` entry of `~/.cornu/cornu.json`, else `torch`. Every engine package exposes the same
public names in the same files (`core`, `math`, `nn`, `rnn`, `random`); this module re-exports
them. Functions marked `@graph_op` (see `symbolic.py`) are wrapped so that, given symbolic
tensors, they record an op in the functional graph instead; unmarked ones never are.
"""
import importlib
import os

from .common import (epsilon, set_epsilon, floatx, set_floatx, cast_to_floatx,
                     image_data_format, set_image_data_format, normalize_data_format,
                     image_dim_ordering, set_image_dim_ordering, get_uid, reset_uids,
                     clear_session, manual_variable_initialization, on_clear_session,
                     load_user_config)
from .phase import (learning_phase, set_learning_phase, learning_phase_scope, in_train_phase,
                    in_test_phase, reset_learning_phase, set_run_phase, current_run_phase)
from .symbolic import KerasTensor, LEARNING_PHASE, is_symbolic
from . import symbolic as _symbolic

ENGINES = ('torch', 'jax')
_ENGINE_MODULES = ('core', 'math', 'shape_ops', 'nn', 'conv', 'rnn', 'random', 'fused',
                   'optim')

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
            if _symbolic.records_graph_op(fn):
                fn = _symbolic.dispatching(fn)
            exported[name] = fn
    return exported


globals().update(_export_engine())
in_train_phase = _symbolic.dispatching(in_train_phase)  # both carry the graph_op marker
in_test_phase = _symbolic.dispatching(in_test_phase)
_symbolic.install_operators(globals()['symbolic_operators']())
on_clear_session(reset_learning_phase)
