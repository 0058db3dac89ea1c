"""Data-parallel training on the devices of one machine or of several (`DataParallel`), and
the distribution models use by default (`set_distribution`, `get_distribution`).

A model compiled inside `DataParallel(...).scope()` (or while a distribution is set with
`set_distribution`) trains, evaluates and predicts data-parallel: each batch is split along
its first axis over the devices, every device holds the weights and the optimizer state, and
the gradients are summed across devices before the one update all replicas apply. The model
remembers its distribution from `compile`; the scope need not be open when `fit` runs.

```python
strategy = cornu.distribute.DataParallel()       # every device of the run
with strategy.scope():
    model.compile(optimizer='sgd', loss='mse')
model.fit(x, y, batch_size=64)                   # 16 rows per device on 4 devices
```

How each engine runs it:

- JAX: the steps run on a mesh of the devices (one process drives them all); XLA splits each
  batch over them and sums the gradients. The batch size of `fit`, `evaluate` and `predict`
  must be a multiple of the number of devices; an epoch's last, smaller batch is computed
  whole on every device. BatchNormalization computes its statistics over the whole batch
  (across devices), so results equal those of one device. Several hosts form one run through
  `jax.distributed` (see `cornu.backend.jax.data_parallel` for the environment variables):
  the mesh then spans the devices of every process, each process feeds its own rows of each
  batch, and losses, metrics and predictions are those of the whole batch.
- PyTorch: data parallelism runs one process per device (`torchrun --nproc_per_node=N
  script.py`, which cornu detects by itself); a `DataParallel` spans this process's device
  and changes nothing. Naming several devices raises a `ValueError` saying so.
"""
import contextlib
import threading

from ..backend import data_parallel as engine

__all__ = ['DataParallel', 'set_distribution', 'get_distribution', 'current_distribution']


class DataParallel(object):
    """Data parallelism over several devices: the batch is split, the weights replicated.

    # Arguments
        devices: `None` for every device of the run (on JAX `jax.devices()`: the local
            devices, or every process's in a multi-process run; on PyTorch this process's
            device), or a list of device names (`'gpu:0'`, `'cuda:1'`, `'cpu:2'`,
            `'/gpu:0'`) or engine device objects.

    # Raises
        ValueError: for an unknown device, a device named twice, an empty list, or (on
            PyTorch) several devices in one process.
        TypeError: for a device that is neither a name nor a device object.

    # Example
    ```python
    with cornu.distribute.DataParallel(['gpu:0', 'gpu:1']).scope():
        model.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])
    model.fit(x, y, batch_size=128, epochs=10)
    ```
    """

    def __init__(self, devices=None):
        self.devices = engine.resolve_devices(devices)

    @property
    def num_replicas(self):
        """How many devices share each batch."""
        return len(self.devices)

    @contextlib.contextmanager
    def scope(self):
        """A context manager: models compiled inside it train data-parallel over this
        distribution's devices. Scopes nest; the innermost one counts."""
        stack = _scopes()
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    def check_batch_size(self, batch_size):
        """Raises a `ValueError` unless `batch_size` is a multiple of the device count.

        # Arguments
            batch_size: the number of samples per batch given to `fit`, `evaluate` or
                `predict`.
        """
        if batch_size is not None and batch_size % self.num_replicas:
            raise ValueError(
                'batch_size=%d cannot be split evenly over the %d devices of the model\'s '
                'DataParallel distribution: use a batch_size that is a multiple of %d.'
                % (batch_size, self.num_replicas, self.num_replicas))

    def __repr__(self):
        return 'DataParallel(devices=[%s])' % ', '.join(str(d) for d in self.devices)


_state = threading.local()
_default = [None]


def _scopes():
    stack = getattr(_state, 'scopes', None)
    if stack is None:
        stack = _state.scopes = []
    return stack


def set_distribution(distribution):
    """Sets the distribution that models compiled from now on use, outside any `scope()`.

    # Arguments
        distribution: a `DataParallel`, or `None` for none (one device).

    # Raises
        TypeError: if `distribution` is neither.
    """
    if distribution is not None and not isinstance(distribution, DataParallel):
        raise TypeError('set_distribution expects a cornu.distribute.DataParallel or None; '
                        'got %r of type %s.' % (distribution, type(distribution).__name__))
    _default[0] = distribution


def get_distribution():
    """The distribution set with `set_distribution` (`None` if none is)."""
    return _default[0]


def current_distribution():
    """The distribution a model compiled now uses: the innermost open `scope()` of this
    thread, else the one set with `set_distribution`, else `None`."""
    stack = _scopes()
    return stack[-1] if stack else _default[0]
