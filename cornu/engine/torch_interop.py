"""The engine-neutral side of PyTorch interop: what `Network.as_torch_module` and
`TorchModuleLayer` need from the engine, reached only when torch is the engine in use.

The torch-specific work (registering variables on modules, adopting a module's tensors,
`torch.compile`) lives in `cornu.backend.torch.interop`; running a model's plan with the
learning phase and the loss collector of the layers lives here, with the engine.
"""
import importlib

from .. import backend as K
from ..backend import kernels
from ..backend.run_context import run_context
from .weight_substitution import substituted_weights


def torch_interop(feature):
    """The torch engine's interop module.

    # Arguments
        feature: what needs it, for the error message (e.g. `'TorchModuleLayer'`).

    # Raises
        RuntimeError: when the engine in use is not torch.
    """
    if K.backend() != 'torch':
        raise RuntimeError('%s needs the PyTorch engine, but cornu runs on %s (set '
                           'CORNU_BACKEND=torch).' % (feature, K.backend()))
    return importlib.import_module('cornu.backend.torch.interop')


class _ModelRunner(object):
    """Computes a model for its torch module: `run(inputs, phase, substitutes)` runs the
    execution plan in that learning phase (with other tensors in place of some weights, when
    the module's parameters were replaced) and keeps the losses that layers add during the
    call (activity regularization, `add_loss` in `call`) and the values of the model's
    symbolic `add_loss` terms; `losses()` returns them with the weight-regularization and
    fixed losses."""

    def __init__(self, model, is_module):
        from .step_logic import stored_losses
        self.model = model
        self.is_module = is_module
        self.graph_losses, self.fixed_losses = stored_losses(model)
        self.num_outputs = len(model.outputs)
        self.call_losses = []

    def run(self, inputs, phase, substitutes=None):
        model = self.model
        plan = model.plan_for(list(model.outputs) + self.graph_losses) \
            if self.graph_losses else model._plan
        collector = []
        with run_context(learning_phase=phase, call_losses=collector):
            if substitutes:
                with substituted_weights(model, substitutes, self.is_module):
                    results = plan.run(inputs)
            else:
                results = plan.run(inputs)
        self.call_losses = collector + results[self.num_outputs:]
        return results[:self.num_outputs]

    def losses(self):
        from .step_logic import regularized_weights
        losses = [regularizer(weight) for weight, regularizer in
                  regularized_weights(self.model)]
        return losses + list(self.fixed_losses) + list(self.call_losses)


def as_torch_module(model):
    """A `torch.nn.Module` view of `model` sharing its variables (see
    `Network.as_torch_module`).

    # Raises
        RuntimeError: when the engine is not torch.
        ValueError: when the model is not built yet.
    """
    interop = torch_interop('as_torch_module')
    if not getattr(model, '_is_graph_network', False) or not model.built:
        raise ValueError('Model ' + model.name + ' is not built yet, so it has no weights to '
                         'share: give its first layer an `input_shape` (or call it on data) '
                         'before calling `as_torch_module()`.')
    # Weights that fit would not train: not trainable now, nor collected by `compile`.
    training = set(id(w) for w in model.trainable_weights)
    training.update(id(w) for w in getattr(model, '_collected_trainable_weights', ()))
    frozen = [w for w in model.weights if id(w) not in training]
    return interop.ModelModule(model, _ModelRunner(model, interop.is_module), frozen)
