"""`K`'s surface: which functions record graph ops on symbolic inputs, and which names it has.

A function records an op on symbolic tensors exactly when it carries the `graph_op` marker;
nothing else decides. The functions below are the public ones that must not record ops: they
create state, read static properties, write variables or build callables. Every other public
function of `K` must carry the marker, so a new function without it fails here instead of
silently computing on a symbolic tensor.
"""
import inspect

import numpy as np

import cornu.backend as K
from cornu.backend import symbolic

NOT_GRAPH_OPS = frozenset([
    # configuration and name counters
    'backend', 'epsilon', 'set_epsilon', 'floatx', 'set_floatx', 'cast_to_floatx',
    'image_data_format', 'set_image_data_format', 'normalize_data_format',
    'image_dim_ordering', 'set_image_dim_ordering', 'get_uid', 'reset_uids', 'clear_session',
    'manual_variable_initialization', 'set_random_seed',
    # the learning phase
    'learning_phase', 'set_learning_phase', 'learning_phase_scope',
    # state: variables, constants, placeholders, their values and updates
    'variable', 'constant', 'placeholder', 'zeros', 'ones', 'eye', 'random_uniform_variable',
    'random_normal_variable', 'eval', 'get_value', 'batch_get_value', 'set_value',
    'batch_set_value', 'update', 'update_add', 'update_sub', 'moving_average_update',
    # static properties
    'is_sparse', 'is_keras_tensor', 'is_tensor', 'is_placeholder', 'int_shape', 'ndim',
    'dtype', 'get_variable_shape', 'count_params',
    # callables and scopes
    'function', 'Function', 'name_scope', 'get_session', 'set_session', 'KerasTensor',
])


def _public_functions():
    return {name: getattr(K, name) for name in dir(K)
            if not name.startswith('_') and callable(getattr(K, name))
            and not inspect.ismodule(getattr(K, name))}


def test_the_hand_kept_list_is_gone():
    assert not hasattr(K, '_NOT_DISPATCHED')


def test_marked_functions_record_and_unmarked_ones_do_not():
    x = K.placeholder(shape=(None, 3))
    assert isinstance(K.mean(x, axis=1), K.KerasTensor)
    assert isinstance(K.in_train_phase(x, K.zeros_like(x)), K.KerasTensor)
    assert K.int_shape(x) == (None, 3)
    assert K.ndim(x) == 2


def test_an_unmarked_function_is_not_wrapped():
    def plain(x):
        return x

    def marked(x):
        return x

    symbolic.graph_op(marked)
    assert not symbolic.records_graph_op(plain)
    assert symbolic.records_graph_op(marked)
    wrapped = symbolic.dispatching(marked)
    assert wrapped(np.ones(2)).shape == (2,)
