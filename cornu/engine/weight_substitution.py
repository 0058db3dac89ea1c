"""Running a model with other tensors in place of some of its weights.

A model's layers hold their weights as attributes (`self.kernel`), in weight lists, and, for a
wrapped torch module, in the module's own parameter dicts; they compute with what they hold.
A caller that hands the model's torch module other tensors for its parameters
(`torch.func.functional_call`, `torch.export`, which traces with placeholder tensors in the
module's parameter slots, `load_state_dict(..., assign=True)`) expects the computation to use
them: `substituted_weights` puts them, for the duration of a call, wherever the layers hold
the weights they replace, and puts the weights back afterwards.

The substitution changes the layers themselves, so it is seen by every thread using the model
while it lasts.
"""
import contextlib

from .base_layer import Layer


def _weight_sites(model, substitutes, is_module):
    """Where the layers of `model` hold the weights that `substitutes` replaces.

    # Arguments
        model: the model.
        substitutes: `{id(weight): tensor}`.
        is_module: tells torch modules (whose parameter dicts are searched too) from other
            objects.

    # Returns
        A list of `(container, key)`: `container[key]` is a replaced weight, `container`
        being an object's `__dict__`, a list or a dict.
    """
    sites, seen, pending = [], set(), [model]

    def look_at(container, key, value):
        if id(value) in substitutes:
            sites.append((container, key))
        elif isinstance(value, Layer) or is_module(value):
            pending.append(value)

    while pending:
        holder = pending.pop()
        if id(holder) in seen:
            continue
        seen.add(id(holder))
        attributes = vars(holder)
        for name, value in list(attributes.items()):
            if isinstance(value, (list, dict)):
                if id(value) in seen:   # one list or dict held by two objects
                    continue
                seen.add(id(value))
            if isinstance(value, list):
                for index, item in enumerate(value):
                    look_at(value, index, item)
            elif isinstance(value, dict):
                for key, item in list(value.items()):
                    look_at(value, key, item)
            elif isinstance(value, tuple):
                for item in value:   # layers only: a tuple's items cannot be replaced
                    if isinstance(item, Layer) or is_module(item):
                        pending.append(item)
            else:
                look_at(attributes, name, value)
    return sites


@contextlib.contextmanager
def substituted_weights(model, substitutes, is_module):
    """Within the block, the layers of `model` compute with `substitutes` in place of the
    weights they replace.

    # Arguments
        model: the model.
        substitutes: `{id(weight): tensor}`, the weights being the model's variables.
        is_module: tells torch modules from other objects (`cornu.backend.torch.interop`'s).
    """
    sites = _weight_sites(model, substitutes, is_module)
    originals = [container[key] for container, key in sites]
    try:
        for (container, key), original in zip(sites, originals):
            container[key] = substitutes[id(original)]
        yield
    finally:
        for (container, key), original in zip(sites, originals):
            container[key] = original
