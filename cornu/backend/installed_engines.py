"""The engines installed beside the one in use, their versions and the devices each sees, for
`python -m cornu info`.

Imports an engine only to list its devices, and only when asked.
"""
import importlib.util
from importlib import metadata

from .engine_choice import ENGINES, install_command


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _torch_devices():
    import torch
    devices = ['cpu']
    if torch.cuda.is_available():
        devices += ['cuda:%d (%s)' % (i, torch.cuda.get_device_name(i))
                    for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, 'mps', None)
    if mps is not None and mps.is_available():
        devices.append('mps')
    cuda = torch.version.cuda or 'none'
    rocm = getattr(torch.version, 'hip', None) or 'none'
    gpu_seen = 'yes' if torch.cuda.is_available() else 'no'
    return ('built with CUDA %s, ROCm %s; GPU visible: %s; devices: %s'
            % (cuda, rocm, gpu_seen, ', '.join(devices)))


def _jax_devices():
    import jax
    devices = ['%s (%s)' % (d, d.platform) for d in jax.devices()]
    return 'default backend %s; devices: %s' % (jax.default_backend(), ', '.join(devices))


_DESCRIBE = {'torch': ('torch', _torch_devices), 'jax': ('jaxlib', _jax_devices)}


def describe_engines():
    """One line per engine: its version and devices, or how to install it.

    # Returns
        A list of strings, one per engine of `ENGINES`.
    """
    lines = []
    for engine in ENGINES:
        if importlib.util.find_spec(engine) is None:
            lines.append('%s: not installed (%s)' % (engine, install_command(engine)))
            continue
        extra_distribution, devices = _DESCRIBE[engine]
        version = _version(engine) or 'unknown version'
        if extra_distribution != engine:
            version += ' (%s %s)' % (extra_distribution, _version(extra_distribution))
        try:
            where = devices()
        except Exception as error:  # a broken install still gets its line
            where = 'devices unavailable: %s' % (error,)
        lines.append('%s %s: %s' % (engine, version, where))
    return lines
