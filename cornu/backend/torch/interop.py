"""PyTorch interop: cornu models as `torch.nn.Module`s, `torch.nn.Module`s as cornu layers, and
`torch.compile` for the training step.

This module is not re-exported on `K` (the JAX engine has no counterpart): the engine-neutral
bridge `cornu.engine.torch_interop` imports it once it has checked that torch is the engine.

Nothing here copies a weight. A cornu variable already is a `torch.nn.Parameter`
(`KerasVariable`), so a model's view registers the very variables its layers compute with; a
wrapped module's parameters and buffers become cornu variables in place (their class changes
to `KerasVariable`, a `Parameter` subclass, so the module works as before).

Cost: the view is one `nn.Module` (plus one attribute-free container per weight-name prefix,
made once, so that names read `dense_1.kernel`). A forward call goes through
`nn.Module.__call__` once and then runs the model's execution plan, whose layers are plain
objects: no `nn.Module.__setattr__`, hook dispatch or module creation per layer call.
"""
import re
import types
import warnings

import torch

from .core import DEVICE, KerasVariable, convert_to_tensor

__all__ = ['ModelModule', 'is_module', 'adopt_module_tensors', 'set_module_mode',
           'call_module', 'compile_step', 'COMPILE_OPTIONS']

# Keyword arguments for `torch.compile` (e.g. `{'backend': 'aot_eager'}` or
# `{'mode': 'max-autotune'}`), read each time a step is compiled.
COMPILE_OPTIONS = {}

_NAME_SUFFIX = re.compile(r':\d+$')
_NOT_IDENTIFIER = re.compile(r'\W')


def is_module(obj):
    """Whether `obj` is a `torch.nn.Module`."""
    return isinstance(obj, torch.nn.Module)


# ---------------------------------------------------------------- a cornu model as a module

def _attribute_name(part):
    """A Keras name segment (`dense_1`, `kernel`) as a valid module attribute name."""
    return _NOT_IDENTIFIER.sub('_', part) or '_'


def _free_name(container, name):
    """`name`, or `name_1`, `name_2`, ... when `container` already has that attribute."""
    candidate, index = name, 0
    while hasattr(container, candidate):
        index += 1
        candidate = '%s_%d' % (name, index)
    return candidate


class LayerWeights(torch.nn.Module):
    """Holds the parameters of one weight-name prefix (`dense_1` of `dense_1/kernel:0`)."""

    def forward(self, *args):
        raise RuntimeError('This module only holds the weights under one name prefix of a '
                           'cornu model; call the model\'s module instead.')


class ModelModule(torch.nn.Module):
    """A cornu model seen as a `torch.nn.Module`, sharing its variables.

    Made by `model.as_torch_module()`. The parameters are the model's own variables (no
    copies): a step of a `torch.optim` optimizer, `load_state_dict` or `set_weights` on either
    side is seen by the other. Parameter names come from the Keras weight names
    (`dense_1/kernel:0` becomes `dense_1.kernel`). Non-trainable weights (BatchNormalization's
    moving statistics, the weights of layers frozen with `trainable = False`) are parameters
    with `requires_grad=False`, so optimizers and `DistributedDataParallel` leave them alone.

    `forward(*inputs)` runs the model on one tensor per model input, in the learning phase of
    the module's mode: `train()` gives phase 1 (dropout active, BatchNormalization statistics
    updated), `eval()` phase 0. A new module is in training mode, as every `torch.nn.Module`.
    It returns a tensor, or a tuple of tensors for a model with several outputs.

    When a parameter slot of the module holds another tensor than the model's variable
    (`torch.func.functional_call`, the placeholders of `torch.export`, `load_state_dict` with
    `assign=True`: the model itself keeps its variables), `forward` computes with that
    tensor. So the module exports: with
    `torch.export.export` (non-strict or strict), `torch.jit.trace` and `torch.onnx.export`;
    the recurrent layers then record a plain loop of standard ops.

    Hooks, `state_dict`, `torch.compile` and `DistributedDataParallel` work as on any module
    whose parameters are registered on it; hooks apply to the whole model, since its layers
    are not modules themselves.

    A copy (`copy.deepcopy`, pickling, `torch.save` of the module) copies the model and
    makes a new module of the copy, so the copy's parameters are again its model's weights.
    Hooks are not copied.

    # Arguments
        model: a built cornu model.
        runner: what computes it (made by `cornu.engine.torch_interop`):
            `runner.run(inputs, phase, substitutes)` returns the list of outputs computed
            with the tensors of `substitutes` (`{id(variable): tensor}`) in place of those
            variables, `runner.losses()` the loss terms of `losses`.
        frozen: the weights that training leaves alone; their `requires_grad` is turned off.
    """

    def __init__(self, model, runner, frozen=()):
        super(ModelModule, self).__init__()
        self.keras_model = model
        self._runner = runner
        self._num_inputs = len(model.inputs)
        # (holding module, key, variable) of every registered weight, to see replacements
        # (read through the module: `torch.export` may leave it a new parameter dict).
        self._weight_slots = []
        for weight in frozen:
            if weight.requires_grad:
                weight.requires_grad_(False)
        containers = {(): self}
        for weight in _unique(model.weights):
            self._register_weight(weight, containers)

    def _register_weight(self, weight, containers):
        if not isinstance(weight, torch.nn.Parameter):
            raise TypeError('The weight %r of model %s is not a variable; it cannot be a '
                            'parameter of a torch module.' % (weight, self.keras_model.name))
        parts = _NAME_SUFFIX.sub('', str(getattr(weight, 'name', None) or 'weight')).split('/')
        path = ()
        for part in parts[:-1]:
            parent = containers[path]
            path += (part,)
            if path not in containers:
                containers[path] = LayerWeights()
                parent.add_module(_free_name(parent, _attribute_name(part)), containers[path])
        container = containers[path]
        key = _free_name(container, _attribute_name(parts[-1]))
        container.register_parameter(key, weight)
        self._weight_slots.append((container, key, weight))

    def forward(self, *inputs):
        if len(inputs) != self._num_inputs:
            raise ValueError('Model %s expects %d input tensor(s), got %d.'
                             % (self.keras_model.name, self._num_inputs, len(inputs)))
        inputs = [x if isinstance(x, torch.Tensor) else convert_to_tensor(x) for x in inputs]
        substitutes = {id(weight): holder._parameters[key]
                       for holder, key, weight in self._weight_slots
                       if holder._parameters[key] is not weight}
        outputs = self._runner.run(inputs, 1 if self.training else 0, substitutes)
        if len(outputs) == 1:
            return outputs[0]
        return tuple(outputs)

    @property
    def losses(self):
        """The loss terms the model adds to the loss of its outputs, as in Keras 2's
        `model.losses`: weight regularization penalties (computed from the current weights),
        losses added with `add_loss`, and activity-regularization losses of the latest forward
        call. Add `sum(module.losses)` to the loss of a hand-written training loop."""
        return self._runner.losses()

    def __reduce__(self):
        return _rebuild_module, (self.keras_model, self.training)

    def extra_repr(self):
        return 'keras_model=%s' % self.keras_model.name


def _rebuild_module(model, training):
    return model.as_torch_module().train(training)


def _unique(weights):
    seen, unique = set(), []
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            unique.append(weight)
    return unique


# ---------------------------------------------------------------- a module as a cornu layer

def _as_variable(tensor, name, converted):
    """`tensor` as a `KerasVariable` named `name`: the same object whenever its class allows,
    else (a `Parameter` subclass of another library) a variable sharing its storage."""
    known = converted.get(id(tensor))
    if known is not None:
        return known
    if isinstance(tensor, torch.nn.parameter.UninitializedTensorMixin):
        raise ValueError('The torch module still has uninitialized (lazy) parameters: run it '
                         'once on an input before wrapping it.')
    if isinstance(tensor, KerasVariable):
        variable = tensor  # already a cornu variable (e.g. a module made from a cornu model)
    elif type(tensor) in (torch.nn.Parameter, torch.Tensor) and tensor.is_leaf:
        tensor.__class__ = KerasVariable
        tensor._keras_name = name
        tensor.constraint = None
        variable = tensor
    else:
        variable = KerasVariable(tensor.detach(), tensor.requires_grad, name)
    converted[id(tensor)] = variable
    return variable


def adopt_module_tensors(module, prefix):
    """Makes the parameters and persistent buffers of `module` cornu variables, in place.

    The module is first moved to cornu's device. Every parameter and buffer keeps its
    identity (its class becomes `KerasVariable`), so the module, optimizers made for it and
    the cornu layer all hold the same tensors; weights shared between submodules stay shared.

    # Arguments
        module: the `torch.nn.Module`.
        prefix: the layer name; weights are named `prefix/<parameter path>:0`, e.g.
            `torch_module_layer_1/0/weight:0` for `module[0].weight`.

    # Returns
        `(trainable, non_trainable)` lists of variables: the parameters that require
        gradients; then the others, followed by the persistent buffers.
    """
    module.to(DEVICE)
    converted = {}
    names = {}
    for name, tensor in module.named_parameters(remove_duplicate=True):
        names.setdefault(id(tensor), name)
    for name, tensor in module.named_buffers(remove_duplicate=True):
        names.setdefault(id(tensor), name)
    for owner in module.modules():
        for store, persistent in ((owner._parameters, None),
                                  (owner._buffers, owner._non_persistent_buffers_set)):
            for key, tensor in list(store.items()):
                if tensor is None or (persistent is not None and key in persistent):
                    continue
                weight_name = '%s/%s:0' % (prefix, names[id(tensor)].replace('.', '/'))
                variable = _as_variable(tensor, weight_name, converted)
                if variable is not tensor:
                    store[key] = variable
    trainable, non_trainable = [], []
    for _, parameter in module.named_parameters(remove_duplicate=True):
        (trainable if parameter.requires_grad else non_trainable).append(parameter)
    for key, buffer in _persistent_buffers(module):
        non_trainable.append(buffer)
    return trainable, non_trainable


def _persistent_buffers(module):
    seen = set()
    for owner_name, owner in module.named_modules():
        for key, buffer in owner._buffers.items():
            if buffer is None or key in owner._non_persistent_buffers_set or \
                    id(buffer) in seen:
                continue
            seen.add(id(buffer))
            yield (owner_name + '.' + key if owner_name else key), buffer


def set_module_mode(module, training):
    """Puts `module` in training (`True`) or evaluation mode, only when it is not in it yet
    (`train()` sets an attribute on every submodule)."""
    if module.training is not training:
        module.train(training)


def call_module(module, inputs):
    """Calls `module` on a tensor, or on a list of tensors as positional arguments.

    # Returns
        A tensor, or a list of tensors when the module returns a tuple or a list.

    # Raises
        TypeError: when the module returns something else than tensors.
    """
    outputs = module(*inputs) if isinstance(inputs, list) else module(inputs)
    if isinstance(outputs, torch.Tensor):
        return outputs
    if isinstance(outputs, (tuple, list)) and all(isinstance(o, torch.Tensor) for o in outputs):
        return list(outputs)
    raise TypeError('A torch module wrapped as a cornu layer must return a tensor or a tuple '
                    'of tensors; %s returned %s.' % (type(module).__name__,
                                                     type(outputs).__name__))


# ---------------------------------------------------------------- torch.compile

def _compile_errors():
    """The exceptions by which `torch.compile` reports that it could not compile."""
    import torch._dynamo.exc
    errors = [torch._dynamo.exc.TorchDynamoException]
    try:
        import torch._inductor.exc
        errors.append(torch._inductor.exc.InductorError)
    except (ImportError, AttributeError):
        pass
    return tuple(errors)


def _renamed(fn, name):
    """`fn` with a code object of its own, named `name`: dynamo keeps its compiled graphs
    (and their recompilation limit) per code object, so each step gets its own cache, freed
    with it, instead of sharing one among every model of the process."""
    code = fn.__code__.replace(co_name=name)
    renamed = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    renamed.__kwdefaults__ = fn.__kwdefaults__
    return renamed


class CompiledStep(object):
    """A step function run through `torch.compile`, or eagerly once compiling has failed.

    `torch.compile` compiles at the first call for each input signature (shapes, dtypes, the
    learning phase), and again when a guard fails; graph breaks fall back to Python for the
    part that cannot be captured. When compiling raises (no C compiler, an unsupported
    construct, a backend error), a warning names the step and the error, and the step runs
    eagerly from then on.

    # Arguments
        fn: the step, a plain function (a closure).
        name: what the warning calls it, e.g. `'the training step of model_1'`.
    """

    def __init__(self, fn, name):
        self.eager = fn
        self.name = name
        self.failure = None
        self.compiled = None
        self.errors = ()
        try:
            self.errors = _compile_errors()
            self.compiled = torch.compile(_renamed(fn, _NOT_IDENTIFIER.sub('_', name)),
                                          **COMPILE_OPTIONS)
        except Exception as error:  # torch.compile unavailable on this platform
            self._give_up(error)

    def _give_up(self, error):
        self.compiled = None
        self.failure = error
        first_line = str(error).strip().split('\n')[0][:300]
        warnings.warn('torch.compile could not compile %s (%s: %s); it runs eagerly instead.'
                      % (self.name, type(error).__name__, first_line), RuntimeWarning,
                      stacklevel=3)

    def __call__(self, *args):
        compiled = self.compiled
        if compiled is None:
            return self.eager(*args)
        try:
            return compiled(*args)
        except self.errors as error:
            self._give_up(error)
            return self.eager(*args)


def compile_step(fn, name):
    """Wraps a step function in `torch.compile`, falling back to eager on failure.

    # Arguments
        fn: a plain function of tensors (and lists of tensors).
        name: a description for the warning, e.g. `'the training step of model_1'`.

    # Returns
        A `CompiledStep`, called as `fn` is.
    """
    return CompiledStep(fn, name)
