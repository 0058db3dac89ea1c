"""The losses of one symbolic call of a layer, as Keras 2 lists them in `layer.losses` and
`get_losses_for(inputs)`: the activity regularization of the call's outputs, and the losses
that a user-defined `call` adds with `add_loss`.

Both are symbolic tensors recorded in the graph, made the first time they are asked for (so
building a model costs nothing for them) and the same tensors afterwards. Training does not
use them: a layer computes its losses as it runs.
"""
from ..backend import symbolic
from ..backend.run_context import run_context
from .._common.generic_utils import unpack_singleton
from . import shape_inference


class CallLosses(list):
    """Collects the losses that a layer's `call` adds, on shape probes too (where losses are
    otherwise dropped): the list that counts and computes the losses listed for a call."""


def activity_losses_at(layer, node_index):
    """The activity regularization of the outputs of `layer`'s call at `node_index`.

    # Returns
        A list of symbolic scalars, one per output (empty without an activity regularizer).
    """
    regularizer = getattr(layer, 'activity_regularizer', None)
    if regularizer is None:
        return []
    cache = layer.__dict__.setdefault('_activity_loss_cache', {})
    cached = cache.get(node_index)
    # A regularizer set after the call was listed gets its own tensors.
    if cached is None or cached[0] is not regularizer:
        outputs = layer._inbound_nodes[node_index].output_tensors
        losses = [symbolic.record(activity_regularization, (output, regularizer), {})
                  for output in outputs]
        cached = cache[node_index] = (regularizer, losses)
    return list(cached[1])


def losses_added_in_call_at(layer, node_index):
    """The losses that `layer.call` adds with `add_loss` in its call at `node_index`.

    How many there are is found by running the call once on shape probes; each is then a
    symbolic tensor that runs the call on the node's inputs and takes that loss.

    # Returns
        A list of symbolic tensors (empty when the call cannot run on probes).
    """
    cache = layer.__dict__.setdefault('_added_loss_cache', {})
    if node_index not in cache:
        node = layer._inbound_nodes[node_index]
        inputs = tuple(node.input_tensors)
        arguments = dict(node.arguments)
        counts = []

        def count_losses(*values):
            collected = CallLosses()
            with run_context(call_losses=collected):
                layer.call(unpack_singleton(list(values)), **arguments)
            counts.append(len(collected))

        try:
            shape_inference.probe(count_losses, inputs, {})
        except Exception:  # a call that cannot run on probes: its losses go unlisted
            counts = []
        cache[node_index] = [
            symbolic.record(_loss_added_in_call(layer, arguments, index), inputs, {})
            for index in range(min(counts) if counts else 0)]
    return list(cache[node_index])


def _loss_added_in_call(layer, arguments, index):
    """A function of a call's inputs giving the `index`-th loss that the layer's `call`
    adds (recorded as a graph op)."""
    def loss_added_in_call(*values):
        collected = CallLosses()
        with run_context(call_losses=collected):
            layer.call(unpack_singleton(list(values)), **arguments)
        return collected[index]
    return loss_added_in_call


def activity_regularization(output, regularizer):
    """The activity regularization of one output (recorded as a graph op)."""
    return regularizer(output)
