"""Device placement for data-parallel replicas (`multi_gpu_model`).

Internal (`cornu.backend.kernels` re-exports it); `cornu.backend.jax.placement` has the same
names.

`multi_gpu_model` runs one replica of a model per device on a slice of the batch. The
variables stay where they are (one copy, on the engine's device, updated by one optimizer);
inside `replica_placement` every op that meets tensors on several devices runs where its
activations are, and reads the variables through differentiable copies made once per device
(gradients flow back to the variables). Outside the scope nothing changes, and inside it ops
whose tensors share a device cost one Python-level check.
"""
import torch
from torch.overrides import TorchFunctionMode

from .core import DEVICE

__all__ = ['gpu_count', 'to_device', 'replica_placement']

_GATHERING_OPS = frozenset([torch.cat, torch.concat, torch.concatenate, torch.stack])


def _canonical_device(device):
    device = torch.device(device)
    if device.type == 'cuda' and device.index is None:
        return torch.device('cuda', torch.cuda.current_device())
    return device


def gpu_count():
    """Returns the number of CUDA devices visible to this process (0 without CUDA)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def to_device(x, device):
    """Returns `x` on `device` (e.g. `'cuda:1'`, `'cpu'`); a differentiable copy, or `x` itself
    when it is there already."""
    device = _canonical_device(device)
    return x if x.device == device else x.to(device)


def _tensors_in(value, found):
    if isinstance(value, torch.Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors_in(item, found)
    return found


def _map_tensors(value, fn):
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, tuple) and not hasattr(value, '_fields'):
        return tuple(_map_tensors(item, fn) for item in value)
    if isinstance(value, list):
        return [_map_tensors(item, fn) for item in value]
    if isinstance(value, dict):
        return {key: _map_tensors(item, fn) for key, item in value.items()}
    return value


def _is_in_place(func):
    name = getattr(func, '__name__', '')
    if name.startswith('__'):
        return name == '__setitem__' or name.startswith('__i')
    return name.endswith('_')


class _ReplicaPlacement(TorchFunctionMode):
    """Resolves ops that meet tensors on several devices (see `replica_placement`)."""

    def __init__(self, home):
        super().__init__()
        self.home = home
        # (id, device, version) -> (source, copy) for leaf tensors (variables, constants),
        # so that a variable read by many ops of a replica is copied to its device once.
        self.copies = {}

    def _target(self, func, args, devices):
        if _is_in_place(func):
            # An in-place update (a moving statistic, a state) stays where its tensor lives.
            first = args[0] if args else None
            if isinstance(first, torch.Tensor):
                return first.device
        if func in _GATHERING_OPS:
            return self.home
        elsewhere = [d for d in devices if d != self.home]
        return elsewhere[0] if len(elsewhere) == 1 else self.home

    def _move(self, tensor, device):
        if tensor.device == device:
            return tensor
        if tensor.grad_fn is not None or tensor.is_inference():
            return tensor.to(device)
        key = (id(tensor), device, tensor._version)
        cached = self.copies.get(key)
        if cached is None:
            cached = self.copies[key] = (tensor, tensor.to(device))
        return cached[1]

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensors = _tensors_in(kwargs, _tensors_in(args, []))
        if len(tensors) > 1:
            devices = []
            for tensor in tensors:
                if tensor.device not in devices:
                    devices.append(tensor.device)
            if len(devices) > 1:
                target = self._target(func, args, devices)
                args = _map_tensors(args, lambda t: self._move(t, target))
                kwargs = _map_tensors(kwargs, lambda t: self._move(t, target))
        return func(*args, **kwargs)


def replica_placement(home=None):
    """A context in which ops on tensors from several devices run on one of them.

    Meant for data-parallel replicas: a replica's input slice is put on its device
    (`to_device`) and the model runs on it unchanged; the variables it reads stay on the
    engine's device and are copied (differentiably, once per device and run) to where they are
    needed. Rules for an op that meets several devices: an in-place update runs on its
    tensor's device; concatenating or stacking gathers on `home`; any other op runs on the one
    device other than `home` among its tensors (on `home` if there are several).

    # Arguments
        home: the device where outputs are gathered and variables live (default: the
            engine's device).

    # Returns
        A context manager.
    """
    return _ReplicaPlacement(_canonical_device(DEVICE if home is None else home))
