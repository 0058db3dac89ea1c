"""The updates and losses of a network, listed as Keras 2 lists them.

A network's list holds, for each call of a layer that belongs to its graph, the updates and
losses of that call (`layer.get_updates_for(node inputs)`), then the ones that depend on no
call. A network called on new tensors makes its layers' calls again; those calls get entries
of their own: `StateUpdate`s for the new inputs, and losses as symbolic tensors computed from
the new inputs. Nothing here is run by training: the layers apply their updates and compute
their losses as they run.
"""
from ..backend import symbolic
from .._common.generic_utils import object_list_uid, to_list
from .state_update import StateUpdate


def node_key(layer, node_index):
    """The name of a layer's call in a network's record of the calls it owns."""
    return layer.name + '_ib-' + str(node_index)


def owned_calls(network, layer):
    """The input tensors of each call of `layer` that belongs to the network's graph."""
    keys = getattr(network, '_network_nodes', None)
    if not keys:
        return []
    return [node.input_tensors for index, node in enumerate(layer._inbound_nodes)
            if node_key(layer, index) in keys]


def graph_updates(network):
    """The updates of the network's layers: per layer, those of its calls in the graph, then
    those of no call."""
    updates = []
    for layer in network.layers:
        for inputs in owned_calls(network, layer):
            updates += layer.get_updates_for(inputs)
        updates += layer.get_updates_for(None)
    return updates + list(network._per_input_updates.get(None, []))


def unconditional_updates(network):
    """The updates of no call: the network's own and its layers'."""
    updates = list(network._per_input_updates.get(None, []))
    for layer in network.layers:
        updates += layer.get_updates_for(None)
    return updates


def _conditional_updates(network):
    updates = []
    for layer in network.layers:
        for inputs in owned_calls(network, layer):
            updates += layer.get_updates_for(inputs)
    return updates


def _conditional_losses(network):
    losses = []
    for layer in network.layers:
        for inputs in owned_calls(network, layer):
            losses += layer.get_losses_for(inputs)
    return losses


def unconditional_losses(network):
    """The losses of no call, each once even where a layer is shared between nested models:
    those added without inputs to the network, to its layers and to their inner layers, and
    the regularization of every weight."""
    losses = []
    seen = set()

    def visit(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        # Inner layers first: a model's own losses come after its layers', as in Keras 2.
        for inner in list(getattr(layer, 'layers', None) or []) + \
                list(getattr(layer, '_sublayers', None) or []):
            visit(inner)
        losses.extend(regularizer(weight) for weight, regularizer in layer._weight_regularizers)
        losses.extend(layer._per_input_losses.get(None, []))

    visit(network)
    return losses


def graph_losses(network):
    """The network's losses: those of its layers' calls in the graph, then those of no
    call."""
    return _conditional_losses(network) + unconditional_losses(network)


def _matching_calls(network, inputs):
    """`(node_index, node)` of the network's calls on `inputs`, the graph's own call first."""
    uid = object_list_uid(inputs)
    return [(index, node) for index, node in enumerate(network._inbound_nodes)
            if object_list_uid(node.input_tensors) == uid]


def _is_own_call(network, node):
    return object_list_uid(node.input_tensors) == object_list_uid(network.inputs)


def updates_for(network, inputs):
    """The updates of the network's call on `inputs` (see `Network.get_updates_for`)."""
    if inputs is None:
        return unconditional_updates(network)
    updates = list(network._per_input_updates.get(object_list_uid(inputs), []))
    for index, node in _matching_calls(network, inputs):
        if _is_own_call(network, node):
            updates += _conditional_updates(network)
            continue
        cache = network.__dict__.setdefault('_call_updates_cache', {})
        if index not in cache:
            cache[index] = [update.for_inputs(list(node.input_tensors))
                            if isinstance(update, StateUpdate) else update
                            for update in _conditional_updates(network)]
        updates += cache[index]
    return updates


def losses_for(network, inputs):
    """The losses of the network's call on `inputs` (see `Network.get_losses_for`)."""
    if inputs is None:
        return unconditional_losses(network)
    losses = list(network._per_input_losses.get(object_list_uid(inputs), []))
    for index, node in _matching_calls(network, inputs):
        if _is_own_call(network, node):
            losses += _conditional_losses(network)
            continue
        cache = network.__dict__.setdefault('_call_losses_cache', {})
        if index not in cache:
            cache[index] = [_loss_of_call(network, loss, node.input_tensors)
                            for loss in _conditional_losses(network)]
        losses += cache[index]
    return losses


def _loss_of_call(network, loss, inputs):
    """`loss`, a tensor of the network's graph, as computed by the network's call on
    `inputs`: a symbolic tensor of the graph of `inputs`. Other losses (numbers) are the same
    for every call."""
    if not isinstance(loss, symbolic.KerasTensor) or loss._keras_history is None:
        return loss
    plan = network.plan_for([loss])

    def loss_of_nested_call(*values):
        return plan.run(list(values))[0]

    return symbolic.record(loss_of_nested_call, tuple(to_list(inputs)), {})
