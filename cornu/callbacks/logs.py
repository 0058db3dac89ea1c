"""Logs passed to callbacks, with values read from the engine only when someone looks.

During training the per-batch loss and metrics stay on the device as 0-dim tensors; copying
them to the host every batch would stall a GPU. `Logs` holds them as they are and converts a
value to a Python float when it is read through the mapping interface. Code that can work on
tensors (the BaseLogger's running sums, the progress bar) reads them raw with `raw()`.

Keras 2.3+ code names the accuracy `accuracy` where Keras 2.2.4 said `acc`; both names are
answered.
"""
from .. import backend as K
from ..backend import kernels

_ALIASES = {'accuracy': 'acc', 'val_accuracy': 'val_acc', 'acc': 'accuracy',
            'val_acc': 'val_accuracy'}


def alias_of(key):
    """The other spelling of an accuracy key (`acc` <-> `accuracy`), or `None`."""
    if key in _ALIASES:
        return _ALIASES[key]
    for long_name, short_name in (('_accuracy', '_acc'), ('_acc', '_accuracy')):
        if key.endswith(long_name):
            return key[:-len(long_name)] + short_name
    return None


class StepValues(object):
    """One logged value of every step of a group run in one engine call (see
    `Trainer.train_steps`): an engine vector, one entry per step, copied to the host once, when
    one of its entries is first read."""

    __slots__ = ('tensor', '_host')

    def __init__(self, tensor):
        self.tensor = tensor
        self._host = None

    def host(self):
        """The vector as a NumPy array (read from the engine on the first call)."""
        if self._host is None:
            self._host = kernels.to_numpy(self.tensor)
        return self._host


class StepValue(object):
    """The logged value of one step of a group: entry `offset` of a `StepValues`. The batch
    logs of grouped steps hold these; `to_python` reads them, and the running sums
    (`LazyWeightedSum`) add them up on the device without reading them."""

    __slots__ = ('values', 'offset')

    def __init__(self, values, offset):
        self.values = values
        self.offset = offset

    def read(self):
        return float(self.values.host()[self.offset])


def to_python(value):
    """A Python float for 0-dim tensors, NumPy scalars and the values of grouped steps
    (`StepValue`); other values unchanged."""
    if isinstance(value, StepValue):
        return value.read()
    if K.is_tensor(value):
        array = kernels.to_numpy(value)
        return float(array) if array.ndim == 0 else array
    if hasattr(value, 'item') and getattr(value, 'ndim', 1) == 0:
        return value.item()
    return value


def stack_for_reading(tensors):
    """`tensors` (engine tensors of one shape) stacked into one, to be read in one copy;
    of different dtypes, they are cast to a common float type first (float64 if one of
    them is, else float32)."""
    dtypes = set(K.dtype(t) for t in tensors)
    if len(dtypes) > 1:
        common = 'float64' if 'float64' in dtypes else 'float32'
        tensors = [K.cast(t, common) for t in tensors]
    return K.stack(tensors)


# How many per-batch values `stack_in_chunks` stacks in one op.
CHUNK = 64


def stack_padded(tensors, size=None):
    """`tensors` (engine tensors of one shape and dtype) stacked along a new first axis of
    length `size` (default: the next power of two), the entries past them zeros: an engine
    that compiles each shape it runs (JAX) then compiles a handful of stacks, not one per
    number of batches of an epoch."""
    count = len(tensors)
    if size is None:
        size = 1 << max(count - 1, 0).bit_length()
    if size > count:
        tensors = list(tensors) + [K.zeros_like(tensors[0])] * (size - count)
    return K.stack(tensors)


def stack_in_chunks(scalars):
    """Per-batch engine scalars stacked into one `(chunks, CHUNK)` tensor, in order, zeros
    after the last: stacks of a fixed length, then a power-of-two count of them (a stack of
    every batch at once would be one op of an epoch's length, compiled anew on JAX for each
    length, and slow to compile for long epochs)."""
    chunks = [stack_padded(scalars[start:start + CHUNK], CHUNK)
              for start in range(0, len(scalars), CHUNK)]
    return stack_padded(chunks)


class Logs(dict):
    """A dict of logs whose tensor values become floats when read."""

    def raw(self, key, default=None):
        """The stored value, without conversion (may be an engine tensor)."""
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        other = alias_of(key)
        if other is not None and dict.__contains__(self, other):
            return dict.__getitem__(self, other)
        return default

    def __getitem__(self, key):
        if not dict.__contains__(self, key):
            other = alias_of(key)
            if other is not None and dict.__contains__(self, other):
                key = other
        value = dict.__getitem__(self, key)
        if isinstance(value, StepValue) or K.is_tensor(value):
            value = to_python(value)
            dict.__setitem__(self, key, value)
        return value

    def __contains__(self, key):
        if dict.__contains__(self, key):
            return True
        other = alias_of(key)
        return other is not None and dict.__contains__(self, other)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def items(self):
        return [(k, self[k]) for k in dict.keys(self)]

    def values(self):
        return [self[k] for k in dict.keys(self)]

    def __iter__(self):
        return iter(dict.keys(self))

    def copy(self):
        return Logs(self.items())

    def __repr__(self):
        return repr(dict(self.items()))
