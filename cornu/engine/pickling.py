"""Pickling models: `pickle.dumps(model)` stores what `model.save` would write (architecture,
weights, training configuration, optimizer state) in a dictionary, and `pickle.loads` rebuilds
the model from it (Keras 2.2.4's `pickle_model`/`unpickle_model`).
"""
from .._common.io_utils import H5Dict
from .hdf5_format import SavedModel, build_model, compile_arguments, serialize_model


def pickle_model(model):
    """The state of `model` as a dictionary (what `pickle` stores for a model)."""
    state = {}
    serialize_model(model, H5Dict(state))
    return state


def unpickle_model(state, custom_objects=None):
    """Rebuilds a model from `pickle_model`'s dictionary.

    Unpickling runs code by nature, so Lambda layers are loaded without asking.
    """
    saved = SavedModel(H5Dict(state, mode='r'))
    return build_model(saved, custom_objects=custom_objects,
                        compile=saved.training_config is not None, safe_mode=False)


def _user_classes(model):
    """Classes and functions that `model` uses from outside cornu, by name, so that pickle
    can store them by reference and unpickling need not be told about them."""
    found = {}

    def note(obj):
        module = getattr(obj, '__module__', '') or ''
        qualname = getattr(obj, '__qualname__', '')
        if module.split('.')[0] != 'cornu' and '<locals>' not in qualname and \
                '<lambda>' not in qualname:
            found[obj.__name__] = obj

    def visit(layer):
        note(layer.__class__)
        for attr in ('layer', 'forward_layer', 'backward_layer'):
            inner = getattr(layer, attr, None)
            if inner is not None and hasattr(inner, 'get_config'):
                visit(inner)
        for sublayer in getattr(layer, 'layers', None) or []:
            visit(sublayer)

    visit(model)
    loss, metrics, _, _, weighted_metrics = compile_arguments(model)
    for value in (loss, metrics, weighted_metrics):
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
            elif callable(item) and hasattr(item, '__name__'):
                note(item)
    optimizer = getattr(model, 'optimizer', None)
    if optimizer is not None:
        note(optimizer.__class__)
    return found


def reduce_model(model):
    """`__reduce__` of a model: rebuilt by `unpickle_model` from `pickle_model`'s state."""
    return unpickle_model, (pickle_model(model), _user_classes(model))
