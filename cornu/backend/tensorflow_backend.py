"""`keras.backend.tensorflow_backend`, for Keras 2 code that reaches into it.

What has a meaning without TensorFlow works: `_get_available_gpus()` lists the GPUs the engine
sees (named as Keras 2.2.4 named them), `set_session` is accepted and `clear_session` clears,
and every name of `K` (`K.sum`, ...) is here too, as Keras 2's module held them.
`get_session()` and `tf` raise an error that says what to use instead.
"""
import sys

from . import kernels
from .common import clear_session  # noqa: F401 (a name of this module in Keras 2)
from .sessions import get_session, set_session, without_tensorflow  # noqa: F401

# The device names `_get_available_gpus` read, cached as Keras 2.2.4 cached them (scripts
# that patch `_get_available_gpus` for TensorFlow 2 read and set this attribute).
_LOCAL_DEVICES = None

_DEVICE_PREFIX = '/job:localhost/replica:0/task:0/device:'


def _get_available_gpus():
    """The GPUs the engine sees (those `CUDA_VISIBLE_DEVICES` leaves visible), named as Keras
    2.2.4 named them: `'/job:localhost/replica:0/task:0/device:GPU:0'`, ...

    # Returns
        A list of strings; empty without a GPU.
    """
    global _LOCAL_DEVICES
    if _LOCAL_DEVICES is None:
        _LOCAL_DEVICES = [_DEVICE_PREFIX + 'CPU:0'] + [
            _DEVICE_PREFIX + 'GPU:%d' % i for i in range(kernels.gpu_count())]
    return [name for name in _LOCAL_DEVICES if 'device:gpu' in str(name).lower()]


def __getattr__(name):
    if name == 'tf':
        raise AttributeError(without_tensorflow('keras.backend.tensorflow_backend.tf'))
    # `K`'s names. `cornu.backend`, this module's package, has been imported before it, so
    # it is read from `sys.modules` (an import here would be an import cycle).
    backend = sys.modules[__package__]
    if name.startswith('_') or name in ('tensorflow_backend',):
        raise AttributeError('module %r has no attribute %r' % (__name__, name))
    return getattr(backend, name)
