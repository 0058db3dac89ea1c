"""Running a layer's `call` as its dtype policy says (see `cornu.mixed_precision`).

Under a mixed policy a layer keeps float32 variables but computes in half precision: its
floating inputs are cast to the compute dtype, and while its `call` runs, the attributes
through which it reaches its trainable weights (`self.kernel`, `self.cell.recurrent_kernel`,
lists such as `self.kernels`, in nested layers too) hold half-precision copies of them. The
copies are made with `K.cast` inside the step, so gradients flow back to the float32
variables, on every engine (JAX has no autocast; presenting copies to `call` is what lets
the same layer code run on both). State a layer writes (BatchNormalization's statistics,
stateful RNN states) is not among its trainable weights and is never replaced.

A layer that must compute in float32 (`_computes_in_float32`, e.g. BatchNormalization) gets
its inputs cast up and its outputs cast back to the compute dtype. A layer whose policy is not
mixed casts only half-precision inputs, up to its dtype (a float32 last layer of a mixed
model). Nothing of this happens before a mixed policy has been made in the process: `call`
is then used as it is.
"""
from .. import backend as K
from ..backend import kernels
from ..mixed_precision.policy import mixed_in_use

_HALF = ('float16', 'bfloat16')


def policy_call(layer, call):
    """`call` (a bound method of `layer`: `call` or `_pre_activation`), run under the
    layer's dtype policy.

    # Arguments
        layer: the layer.
        call: the function to run.

    # Returns
        `call` itself when nothing is to be cast, else a function taking `call`'s arguments.
    """
    if not mixed_in_use():
        return call
    policy = getattr(layer, '_dtype_policy', None)
    if policy is None:
        return call
    if policy.is_mixed:
        if getattr(layer, '_computes_in_float32', False):
            return _Float32Call(call, policy.variable_dtype, policy.compute_dtype)
        return _MixedCall(layer, call, policy.compute_dtype)
    if policy.compute_dtype in ('float32', 'float64'):
        return _UpcastCall(call, policy.compute_dtype)
    return call


def cast_floats(inputs, dtype, only_half=False):
    """`inputs` (a tensor or a list of them) with floating tensors cast to `dtype`.

    # Arguments
        inputs: a tensor, `None`, or a list or tuple of them.
        dtype: the dtype name to cast to.
        only_half: cast only float16 and bfloat16 tensors.
    """
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(cast_floats(x, dtype, only_half) for x in inputs)
    if inputs is None or not K.is_tensor(inputs):
        return inputs
    current = K.dtype(inputs)
    if current == dtype or not kernels.is_floating(inputs):
        return inputs
    if only_half and current not in _HALF:
        return inputs
    return K.cast(inputs, dtype)


class _UpcastCall:
    """A full-precision layer's call: half-precision inputs are cast up to its dtype."""

    __slots__ = ('call', 'dtype')

    def __init__(self, call, dtype):
        self.call = call
        self.dtype = dtype

    def __call__(self, inputs, *args, **kwargs):
        return self.call(cast_floats(inputs, self.dtype, only_half=True), *args, **kwargs)


class _Float32Call:
    """A layer computing in float32 under a mixed policy: inputs up, outputs back down."""

    __slots__ = ('call', 'dtype', 'output_dtype')

    def __init__(self, call, dtype, output_dtype):
        self.call = call
        self.dtype = dtype
        self.output_dtype = output_dtype

    def __call__(self, inputs, *args, **kwargs):
        outputs = self.call(cast_floats(inputs, self.dtype), *args, **kwargs)
        return cast_floats(outputs, self.output_dtype)


class _MixedCall:
    """A layer's call in its compute dtype, with its trainable weights read in it."""

    __slots__ = ('layer', 'call', 'dtype', '_slots', '_weight_count')

    def __init__(self, layer, call, dtype):
        self.layer = layer
        self.call = call
        self.dtype = dtype
        self._slots = None
        self._weight_count = -1

    def __call__(self, inputs, *args, **kwargs):
        inputs = cast_floats(inputs, self.dtype)
        slots = self._weight_slots()
        if not slots:
            return self.call(inputs, *args, **kwargs)
        for slot in slots:
            slot.present(self.dtype)
        try:
            return self.call(inputs, *args, **kwargs)
        finally:
            for slot in slots:
                slot.restore()

    def _weight_slots(self):
        # Found again when the layer's weights change (a layer rebuilt, a cell added).
        count = _count_weights(self.layer)
        if count != self._weight_count:
            self._slots = _find_weight_slots(self.layer)
            self._weight_count = count
        return self._slots


def _sublayers(layer):
    """The layers held in `layer`'s attributes (a cell, a wrapped layer, lists of cells)."""
    found = []
    for value in vars(layer).values():
        if _is_layer(value):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found.extend(v for v in value if _is_layer(v))
    return [sub for sub in found if not hasattr(sub, '_run_with_masks')]


def _is_layer(value):
    # Told by what the slots need (the base layer's attributes), not by class: this module
    # is below `base_layer`, which imports it.
    return hasattr(value, '_trainable_weights') and hasattr(value, '_inbound_nodes')


def _count_weights(layer, seen=None):
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return 0
    seen.add(id(layer))
    return len(layer._trainable_weights) + sum(_count_weights(sub, seen)
                                               for sub in _sublayers(layer))


def _find_weight_slots(layer, seen=None):
    """Where `layer` and its sublayers reference their floating trainable weights."""
    seen = set() if seen is None else seen
    if id(layer) in seen or getattr(layer, '_computes_in_float32', False):
        return []
    seen.add(id(layer))
    weights = {id(w): w for w in layer._trainable_weights if kernels.is_floating(w)}
    slots = []
    if weights:
        for name, value in vars(layer).items():
            if name in ('_trainable_weights', '_non_trainable_weights'):
                continue
            if id(value) in weights:
                slots.append(_AttributeSlot(layer, name, value))
            elif isinstance(value, list) and any(id(v) in weights for v in value):
                slots.append(_ListSlot(value, [i for i, v in enumerate(value)
                                               if id(v) in weights]))
    for sub in _sublayers(layer):
        slots.extend(_find_weight_slots(sub, seen))
    return slots


class _AttributeSlot:
    """`owner.name`, an attribute holding a weight."""

    __slots__ = ('owner', 'name', 'variable')

    def __init__(self, owner, name, variable):
        self.owner = owner
        self.name = name
        self.variable = variable

    def present(self, dtype):
        setattr(self.owner, self.name, K.cast(self.variable, dtype))

    def restore(self):
        setattr(self.owner, self.name, self.variable)


class _ListSlot:
    """Positions of a list attribute holding weights."""

    __slots__ = ('values', 'indices', 'variables')

    def __init__(self, values, indices):
        self.values = values
        self.indices = indices
        self.variables = [values[i] for i in indices]

    def present(self, dtype):
        for i, variable in zip(self.indices, self.variables):
            self.values[i] = K.cast(variable, dtype)

    def restore(self):
        for i, variable in zip(self.indices, self.variables):
            self.values[i] = variable
