"""The devices a `cornu.distribute.DataParallel` spans on PyTorch (internal;
`cornu.backend.data_parallel` picks this module or JAX's, which has the same names).

PyTorch runs data parallelism with one process per device (`torchrun --nproc_per_node=N
script.py`, which cornu detects by itself): within one process a `DataParallel` spans that
process's device, and changes nothing. Several devices in one process are refused with a
message saying so.
"""
import torch

from .core import DEVICE

__all__ = ['resolve_devices', 'start_processes', 'process_count']


def start_processes():
    """Nothing to start here: a torchrun run is joined by `cornu.distribute`.

    # Returns
        1: the devices of one process are all a `DataParallel` sees on PyTorch.
    """
    return 1


def process_count():
    """1: on PyTorch a `DataParallel` spans this process's device only."""
    return 1


def _parsed(name):
    """The `torch.device` a name stands for (not yet checked against this machine)."""
    if isinstance(name, torch.device):
        return name
    if not isinstance(name, str):
        raise TypeError('DataParallel devices are device names (e.g. "cuda:0") or '
                        'torch.device objects; got %r of type %s.'
                        % (name, type(name).__name__))
    kind, _, index = name.strip().lower().lstrip('/').partition(':')
    kind = {'gpu': 'cuda'}.get(kind, kind)
    try:
        return torch.device(kind, int(index)) if index else torch.device(kind)
    except (RuntimeError, ValueError) as error:
        raise ValueError('Unknown device %r for DataParallel; expected a name such as '
                         '"cpu" or "cuda:0".' % (name,)) from error


def _available(device, name):
    """`device` checked against this machine's devices (a CUDA device gets its index)."""
    if device.type == 'cuda':
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = torch.cuda.current_device() if device.index is None and count else device.index
        if index is None or index >= count:
            raise ValueError('Unknown device %r for DataParallel: this process sees %d CUDA '
                             'device(s).' % (name, count))
        device = torch.device('cuda', index)
    return device


def resolve_devices(devices):
    """The devices a `DataParallel` spans: this process's one device.

    # Arguments
        devices: `None` (this process's device), or a list naming one device.

    # Returns
        A list of one `torch.device`.

    # Raises
        ValueError: for an unknown device, an empty list, or several devices (PyTorch runs
            one process per device; the message says how to launch them).
        TypeError: for an entry that is neither a name nor a `torch.device`.
    """
    if devices is None:
        return [torch.device(DEVICE)]
    if isinstance(devices, (str, torch.device)):
        devices = [devices]
    devices = list(devices)
    if not devices:
        raise ValueError('DataParallel needs at least one device; got devices=[]. Pass '
                         'devices=None for this process\'s device.')
    # Several devices is the mistake to report first, whichever of them this machine has.
    chosen = []
    for name in devices:
        device = _parsed(name)
        if device not in chosen:
            chosen.append(device)
    if len(chosen) > 1:
        raise ValueError(
            'DataParallel(devices=%r) spans %d devices in one process, but on PyTorch data '
            'parallelism runs one process per device: launch the script with `torchrun '
            '--nproc_per_node=%d script.py` (cornu detects torchrun by itself) and use '
            'DataParallel() or no distribution at all.' % (devices, len(chosen), len(chosen)))
    return [_available(chosen[0], devices[0])]
