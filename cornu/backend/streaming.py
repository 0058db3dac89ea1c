"""Streaming input data: when `fit`, `evaluate` and `predict` keep arrays on the host and copy
each batch to the device as it is needed.

Arrays whose total size on the device (in the dtypes the model is fed) exceeds
`streaming_threshold()` bytes stay on the host, and so do `np.memmap`s and `HDF5Matrix`
inputs of any size; smaller arrays are copied to the device once per call and each step
gathers its batch there. Set the threshold with `set_streaming_threshold(bytes)` or the
`"streaming_threshold"` entry (a number of bytes) of `~/.cornu/cornu.json`; by default it is
a quarter of the device's free memory on a GPU and 256 MiB where the device is the CPU.

The engine's side (`cornu/backend/<engine>/streaming.py`, the same names in each) copies a
gathered batch to the device: from pinned memory on a side stream on CUDA, with an
asynchronous `device_put` on JAX.
"""
from .common import set_streaming_threshold, streaming_threshold_setting
from .engine_choice import engine_module

_engine = engine_module('streaming')

free_device_memory = _engine.free_device_memory
device_is_host = _engine.device_is_host
start_copy = _engine.start_copy
finish_copy = _engine.finish_copy
step_marker = _engine.step_marker
wait_for = _engine.wait_for
release = _engine.release

# The automatic threshold: a share of the free device memory, leaving the rest to the
# model's weights, activations and gradients; on the CPU, a size that keeps ordinary
# datasets on the fast whole-array path.
DEVICE_MEMORY_FRACTION = 0.25
HOST_THRESHOLD = 256 * 2 ** 20

__all__ = ['streaming_threshold', 'set_streaming_threshold', 'free_device_memory',
           'device_is_host', 'start_copy', 'finish_copy', 'step_marker', 'wait_for',
           'release']


def streaming_threshold():
    """The number of bytes of input data above which batches are streamed from the host.

    # Returns
        The value given to `set_streaming_threshold` (or in `cornu.json`); otherwise a
        quarter of the free memory of the device (GPU), or 256 MiB on the CPU.
    """
    setting = streaming_threshold_setting()
    if setting is not None:
        return setting
    free = free_device_memory()
    if free is None:
        return HOST_THRESHOLD
    return int(free * DEVICE_MEMORY_FRACTION)
