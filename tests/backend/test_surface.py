"""`K`'s surface: which names it has, and which of its functions record graph ops.

`K` holds exactly Keras 2.2.4's backend names (listed here) and cornu's short list of
extensions (`cornu.backend._EXTENSIONS`, each with its reason); cornu's own kernels live in
`cornu.backend.kernels`, not in `K`.

A function records an op on symbolic tensors exactly when it carries the `graph_op` marker;
nothing else decides. The functions below are the public ones that must not record ops: they
create state, read static properties, write variables or build callables. Every other public
function of `K` must carry the marker, so a new function without it fails here instead of
silently computing on a symbolic tensor.
"""
import ast
import importlib
import inspect
import os

import numpy as np
import pytest

import cornu.backend as K
from cornu.backend import kernels, symbolic

# Keras 2.2.4's `keras.backend`: the TensorFlow backend's public functions (minus session
# plumbing) and the configuration functions.
KERAS2_BACKEND = frozenset('''
get_uid reset_uids clear_session manual_variable_initialization learning_phase
set_learning_phase is_sparse to_dense variable constant is_keras_tensor is_tensor placeholder
is_placeholder shape int_shape ndim dtype eval zeros ones eye zeros_like ones_like identity
random_uniform_variable random_normal_variable count_params cast update update_add update_sub
moving_average_update dot batch_dot transpose gather max min sum prod cumsum cumprod var std
mean any all argmax argmin square abs sqrt exp log logsumexp round sign pow clip equal
not_equal greater greater_equal less less_equal maximum minimum sin cos
normalize_batch_in_training batch_normalization concatenate reshape permute_dimensions
resize_images resize_volumes repeat_elements repeat arange tile flatten batch_flatten
expand_dims squeeze temporal_padding spatial_2d_padding spatial_3d_padding stack one_hot
reverse slice get_value batch_get_value set_value batch_set_value get_variable_shape
print_tensor Function function gradients stop_gradient rnn switch in_train_phase in_test_phase
relu elu softmax softplus softsign categorical_crossentropy sparse_categorical_crossentropy
binary_crossentropy sigmoid hard_sigmoid tanh dropout l2_normalize in_top_k conv1d conv2d
conv2d_transpose separable_conv1d separable_conv2d depthwise_conv2d conv3d conv3d_transpose
pool2d pool3d bias_add random_normal random_uniform random_binomial truncated_normal
ctc_label_dense_to_sparse ctc_batch_cost ctc_decode map_fn foldl foldr local_conv1d
local_conv2d
epsilon set_epsilon floatx set_floatx cast_to_floatx image_data_format set_image_data_format
normalize_data_format set_image_dim_ordering image_dim_ordering
'''.split())

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


def test_k_has_exactly_keras2_names_and_the_extensions():
    public = {name for name in dir(K)
              if not name.startswith('_') and not inspect.ismodule(getattr(K, name))}
    expected = KERAS2_BACKEND | set(K._EXTENSIONS)
    assert sorted(public - expected) == [] and sorted(expected - public) == []


def test_every_extension_says_why():
    assert len(K._EXTENSIONS) <= 10
    assert all(isinstance(reason, str) and reason for reason in K._EXTENSIONS.values())
    assert not set(K._EXTENSIONS) & KERAS2_BACKEND


def test_kernels_stay_out_of_k():
    assert kernels.__all__
    assert sorted(set(kernels.__all__) & set(dir(K))) == []
    assert all(hasattr(kernels, name) for name in kernels.__all__)


def test_the_hand_kept_list_is_gone():
    assert not hasattr(K, '_NOT_DISPATCHED')


def test_every_function_that_computes_on_tensors_is_marked():
    functions = _public_functions()
    unmarked = sorted(name for name, fn in functions.items()
                      if name not in NOT_GRAPH_OPS and not symbolic.records_graph_op(fn))
    assert unmarked == []
    marked_by_mistake = sorted(name for name in NOT_GRAPH_OPS
                               if name in functions and symbolic.records_graph_op(functions[name]))
    assert marked_by_mistake == []


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


# ------------------------------------------------------------------ written once: backend/api

# The names of an api module that no engine implements: written whole in the api module, or
# engine-neutral ones it re-exports. Every other name of the api module calls the engine's
# function of the same name.
WRITTEN_WHOLE_IN_API = {
    'core': {'is_keras_tensor', 'get_variable_shape', 'count_params', 'Function',
             'placeholder', 'is_placeholder', 'name_scope', 'get_session', 'set_session'},
}


def _engine_source(engine, module):
    """An engine module's syntax tree, read from its source (importing the other engine in
    this process would start its threads)."""
    path = os.path.join(os.path.dirname(K.__file__), engine, module + '.py')
    return ast.parse(open(path).read(), filename=path)


def _engine_functions(engine, module):
    """The public functions of an engine module."""
    tree = _engine_source(engine, module)
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _engine_all(engine, module):
    """The `__all__` of an engine module."""
    for node in _engine_source(engine, module).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) == '__all__':
            return ast.literal_eval(node.value)
    raise AssertionError(f'{engine}.{module} sets no __all__')


def test_every_k_module_is_written_once():
    assert K._API_MODULES == K._ENGINE_MODULES


@pytest.mark.parametrize('module', K._API_MODULES)
def test_api_functions_are_what_k_exports(module):
    api = importlib.import_module(f'cornu.backend.api.{module}')
    for name in api.__all__:
        fn = getattr(api, name)
        exported = getattr(K, name)
        # K holds the api function itself, or its graph-op dispatching wrapper.
        assert exported is fn or getattr(exported, '__wrapped__', None) is fn, name
        assert fn.__doc__ and fn.__doc__.strip(), name


@pytest.mark.parametrize('engine', ['torch', 'jax'])
@pytest.mark.parametrize('module', K._API_MODULES)
def test_engines_give_bare_implementations_with_the_api_signature(module, engine):
    api = importlib.import_module(f'cornu.backend.api.{module}')
    functions = _engine_functions(engine, module)
    whole = WRITTEN_WHOLE_IN_API.get(module, set())
    assert whole <= set(api.__all__)
    assert _engine_all(engine, module) == [name for name in api.__all__ if name not in whole]
    assert sorted(whole & set(functions)) == [], f'{engine}.{module} implements them again'
    for name in api.__all__:
        if name in whole:
            continue
        node = functions[name]
        arguments = node.args
        parameters = [a.arg for a in arguments.posonlyargs + arguments.args]
        parameters += [arguments.vararg.arg] if arguments.vararg else []
        parameters += [a.arg for a in arguments.kwonlyargs]
        parameters += [arguments.kwarg.arg] if arguments.kwarg else []
        assert parameters == list(inspect.signature(getattr(api, name)).parameters), name
        doc = ast.get_docstring(node)
        assert doc is None or '\n' not in doc.strip(), f'{engine}.{module}.{name}'
        assert not node.decorator_list, f'{engine}.{module}.{name}'
