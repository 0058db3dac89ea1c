"""The devices a `cornu.distribute.DataParallel` spans on JAX, and the start of a multi-process
run (internal; `cornu.backend.data_parallel` picks this module or PyTorch's, which has the same
names).

On JAX one process drives every device it can address, and several processes (one per host)
join into one run through `jax.distributed.initialize`: `jax.devices()` then lists the devices
of every process, and a mesh over them spans the hosts. cornu starts such a run by itself when
these environment variables are set (each process gets the same first two, and its own id):

- `CORNU_COORDINATOR_ADDRESS`: `host:port` of process 0, which coordinates the start;
- `CORNU_NUM_PROCESSES`: how many processes take part;
- `CORNU_PROCESS_ID`: this process's id, from 0 to `CORNU_NUM_PROCESSES - 1`.

The run starts when the JAX engine is loaded (`import cornu` with `CORNU_BACKEND=jax`), before
JAX makes its first array, so every process must be started. A run already started with
`jax.distributed.initialize` is used as it is. On CPU the processes exchange values through
gloo (`jax_cpu_collectives_implementation`), set before the start.
"""
import os

import jax

__all__ = ['resolve_devices', 'start_processes', 'process_count']

_ENVIRONMENT = ('CORNU_COORDINATOR_ADDRESS', 'CORNU_NUM_PROCESSES', 'CORNU_PROCESS_ID')


def _environment():
    """The multi-process settings from the environment, or `None` when none is set."""
    values = {name: os.environ.get(name) for name in _ENVIRONMENT}
    if not any(values.values()):
        return None
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ValueError('A multi-process JAX run needs %s; %s not set (got %s).'
                         % (', '.join(_ENVIRONMENT), ', '.join(missing), values))
    try:
        count = int(values['CORNU_NUM_PROCESSES'])
        process = int(values['CORNU_PROCESS_ID'])
    except ValueError as error:
        raise ValueError('CORNU_NUM_PROCESSES and CORNU_PROCESS_ID must be integers; got %r '
                         'and %r.' % (values['CORNU_NUM_PROCESSES'],
                                      values['CORNU_PROCESS_ID'])) from error
    if count < 1 or not 0 <= process < count:
        raise ValueError('CORNU_PROCESS_ID must be in [0, CORNU_NUM_PROCESSES); got '
                         'CORNU_PROCESS_ID=%d with CORNU_NUM_PROCESSES=%d.' % (process, count))
    return values['CORNU_COORDINATOR_ADDRESS'], count, process


def start_processes():
    """Joins the multi-process run the environment describes (see the module doc), once;
    nothing happens without those variables or when the run has started already.

    # Returns
        The number of processes in the run.

    # Raises
        ValueError: if the variables are incomplete or out of range.
    """
    if not jax.distributed.is_initialized():
        settings = _environment()
        if settings is not None:
            address, count, process = settings
            # Collectives between CPU devices of several processes go through gloo (GPUs
            # use their own); set before JAX starts its backends.
            jax.config.update('jax_cpu_collectives_implementation', 'gloo')
            jax.distributed.initialize(address, count, process)
    return jax.process_count()


def process_count():
    """How many processes this run has (1 unless a multi-process run has started)."""
    return jax.process_count() if jax.distributed.is_initialized() else 1


def _device_of(name, available):
    if isinstance(name, jax.Device):
        if name not in available:
            raise ValueError('Unknown device %r for DataParallel: this run has %s.'
                             % (name, ', '.join(str(d) for d in available)))
        return name
    if not isinstance(name, str):
        raise TypeError('DataParallel devices are device names (e.g. "gpu:0", "cpu:1") or '
                        'jax devices; got %r of type %s.' % (name, type(name).__name__))
    kind, _, index = name.strip().lower().lstrip('/').partition(':')
    kind = {'cuda': 'gpu', 'device': ''}.get(kind, kind)
    matching = [d for d in available if not kind or d.platform == kind]
    try:
        position = int(index) if index else 0
        if position < 0:
            raise IndexError(position)
        return matching[position]
    except (IndexError, ValueError) as error:
        raise ValueError('Unknown device %r for DataParallel: this run has %s.'
                         % (name, ', '.join(str(d) for d in available))) from error


def resolve_devices(devices):
    """The jax devices a `DataParallel` spans.

    # Arguments
        devices: `None` (every device of the run: this process's, or every process's in a
            multi-process run), or a list of names (`'gpu:N'`, `'cuda:N'`, `'cpu:N'`,
            `'/gpu:N'`; `N` counts the run's devices of that kind) or jax devices.

    # Returns
        A list of distinct jax devices, in the order given.

    # Raises
        ValueError: for an empty list, an unknown device or one named twice.
        TypeError: for an entry that is neither a name nor a device.
    """
    start_processes()
    available = jax.devices()
    if devices is None:
        return list(available)
    if isinstance(devices, (str, jax.Device)):
        devices = [devices]
    devices = list(devices)
    if not devices:
        raise ValueError('DataParallel needs at least one device; got devices=[]. Pass '
                         'devices=None for every device of the run.')
    chosen = []
    for name in devices:
        device = _device_of(name, available)
        if device in chosen:
            raise ValueError('DataParallel got the device %r twice in devices=%r; each '
                             'device holds one replica.' % (name, devices))
        chosen.append(device)
    return chosen
