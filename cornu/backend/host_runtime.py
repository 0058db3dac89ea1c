"""Settings of the host's C runtime that the PyTorch engine runs faster under, applied once per
process when the engine is chosen (`engine_choice.py`), before the engine is imported.

Two costs dominate a CPU training step of a convolutional model on torch besides the
arithmetic:

- Fresh memory. glibc's `malloc` serves each large block (a 128 x 24 x 24 x 64 float
  activation is 19 MB) with its own `mmap` and gives it back to the system when it is freed,
  so every step touches new pages and pays a page fault per 4 kB page: more time than the
  element-wise ops on those tensors take. Raising glibc's mmap and trim thresholds keeps
  freed blocks in the process, to be reused by the next step, as TensorFlow's and PyTorch's
  GPU allocators do.
- Spinning threads. PyTorch's OpenMP threads spin after each parallel region waiting for the
  next; on a machine whose cores are shared, that spinning takes CPU time from the work.
  The `PASSIVE` wait policy puts them to sleep instead. It must be in the environment before
  the OpenMP runtime loads (with torch), so it is set only when torch is not yet imported.

The environment variable `CORNU_HOST_RUNTIME=default` leaves both as they are. A user's own
`OMP_WAIT_POLICY` is kept. The JAX engine changes neither: XLA's CPU runtime neither spins
OpenMP threads nor measured faster with the malloc thresholds.
"""
import ctypes
import ctypes.util
import os
import sys

__all__ = ['configure_host_runtime', 'MALLOC_THRESHOLDS']

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

# Blocks below the mmap threshold come from the heap and stay there when freed, up to the trim
# threshold at its top. Newer glibc releases refuse an mmap threshold above 32 MB (their
# largest), hence the second choice.
MALLOC_THRESHOLDS = ((256 << 20, 512 << 20), (32 << 20, 512 << 20))


def _tune_malloc():
    """Raises glibc's mmap and trim thresholds; returns the thresholds set, or `None` where
    the C library is not glibc."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    for mmap_threshold, trim_threshold in MALLOC_THRESHOLDS:
        if mallopt(_M_MMAP_THRESHOLD, mmap_threshold):
            if mallopt(_M_TRIM_THRESHOLD, trim_threshold):
                return mmap_threshold, trim_threshold
            return mmap_threshold, None
    return None


def _set_omp_wait_policy():
    """Sets `OMP_WAIT_POLICY=PASSIVE` where it can still take effect; returns whether it did."""
    if 'OMP_WAIT_POLICY' in os.environ or 'torch' in sys.modules:
        return False
    os.environ['OMP_WAIT_POLICY'] = 'PASSIVE'
    return True


def configure_host_runtime(engine):
    """Applies the host settings for `engine` (`engine_choice` calls it once per process and
    keeps the result as `HOST_RUNTIME`).

    # Arguments
        engine: `'torch'` (the settings apply) or `'jax'` (nothing changes).

    # Returns
        A dict: `'malloc'`, the `(mmap, trim)` thresholds set, or `None`;
        `'omp_wait_policy'`, whether `OMP_WAIT_POLICY=PASSIVE` was set; empty for JAX or
        when `CORNU_HOST_RUNTIME=default`.
    """
    if engine != 'torch' or os.environ.get('CORNU_HOST_RUNTIME', '').lower() == 'default':
        return {}
    return {'malloc': _tune_malloc(), 'omp_wait_policy': _set_omp_wait_policy()}
