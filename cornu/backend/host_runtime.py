"""Settings of the host's C runtime that the engines run faster under, applied once per process
when the engine is chosen (`engine_choice.py`), before the engine is imported.

A cost of a CPU training step besides the arithmetic is fresh memory. glibc's `malloc` serves
each large block with its own `mmap` (above a threshold it adjusts up to 32 MB at most) and
gives it back to the system when it is freed, so a step that allocates large blocks touches
new pages every time and pays a page fault per 4 kB page: more time than the element-wise ops
on those tensors take. On PyTorch the blocks are large activations (a 128 x 24 x 24 x 64
float activation of a small CNN is 19 MB); on JAX, XLA allocates a compiled step's
temporaries as one block per run (an Embedding(20000, 128) + LSTM(128) training step at
batch 32: 37 MB, measured 9,000 faults and ~18 ms of system time in a 62 ms step). Raising
glibc's mmap and trim thresholds keeps freed blocks in the process, to be reused by the next
step, as TensorFlow's and PyTorch's GPU allocators do.

Those thresholds hold for the main thread's heap. A block freed by another thread goes back to
that thread's arena, made of heaps of at most 64 MB that glibc unmaps as soon as one holds
nothing, and a block larger than such a heap is always a mapping of its own. A top pad of
64 MB keeps a thread's heap (address space only: pages are touched when used).

JAX runs its compiled steps, and their convolutions' scratch, on threads of its own, with
blocks well over 64 MB on the CPU (the MNIST CNN step: 183, 200 and 85 MB, measured 86,000
faults a step). `CORNU_HOST_RUNTIME=one-heap` makes every thread share the main heap, large
blocks then come from it, and its top is kept up to a quarter of the machine's memory (within
512 MB and 2 GB). It is not the default, a trade measured on two cores with the JAX engine
(`benchmarks/peers.py`, CPU time): with one heap the MNIST CNN trained about 1.8 times as fast
and the IMDB LSTM about 5% faster, but the MNIST MLP trained about 8% slower and the
32-64-10 MLP's steps took up to 1.5 times as long, because the threads then share one
allocator lock and a JAX step allocates and frees a few hundred small blocks on the calling
thread and a few dozen on XLA's. On a GPU the host only dispatches: the lock would be all that
remained. glibc fixes a thread's arena at its first allocation, before cornu knows the model,
so the choice is one per process.

(The OpenMP threads' wait policy is left as it is: `PASSIVE` halves the CPU time of a
convolution on a busy machine but, measured, made small models' steps several times slower in
wall time, each parallel region waiting for its threads to wake.)

The environment variable `CORNU_HOST_RUNTIME=default` leaves malloc as it is, and so does any
setting of glibc's own (`MALLOC_MMAP_THRESHOLD_` and the like, or `glibc.malloc` tunables);
`CORNU_HOST_RUNTIME=one-heap` adds the shared heap (either engine).
"""
import ctypes
import ctypes.util
import os
import sys

__all__ = ['configure_host_runtime', 'MALLOC_THRESHOLDS', 'HOST_RUNTIME_CHOICES']

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8

# Blocks below the mmap threshold come from the heap and stay there when freed, up to the trim
# threshold at its top. Newer glibc releases refuse an mmap threshold above 32 MB (their
# largest), hence the second choice.
MALLOC_THRESHOLDS = ((256 << 20, 512 << 20), (32 << 20, 512 << 20))
# The size of the heaps of glibc's other arenas (its HEAP_MAX_SIZE on 64-bit systems).
MALLOC_TOP_PAD = 64 << 20
# The values `CORNU_HOST_RUNTIME` takes ('' when unset: the thresholds only).
HOST_RUNTIME_CHOICES = ('', 'default', 'one-heap')
_GLIBC_MALLOC_VARIABLES = ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_',
                           'MALLOC_MMAP_MAX_', 'MALLOC_ARENA_MAX')


def _mallopt():
    """glibc's `mallopt`, or `None` where the C library is not glibc."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6').mallopt
    except (OSError, AttributeError):
        return None


def _tune_malloc(mallopt):
    """Raises glibc's mmap and trim thresholds and its top pad; returns `(mmap threshold,
    trim threshold, top pad)` as set (`None` for one refused), or `None` if no mmap threshold
    was taken."""
    for mmap_threshold, trim_threshold in MALLOC_THRESHOLDS:
        if mallopt(_M_MMAP_THRESHOLD, mmap_threshold):
            if not mallopt(_M_TRIM_THRESHOLD, trim_threshold):
                trim_threshold = None
            top_pad = MALLOC_TOP_PAD if mallopt(_M_TOP_PAD, MALLOC_TOP_PAD) else None
            return mmap_threshold, trim_threshold, top_pad
    return None


def _one_heap_trim_threshold():
    """The trim threshold with one shared heap: a step's freed temporaries sit at the heap's
    top (the MNIST CNN step's: ~570 MB, which 512 MB would hand back and fault in again at
    every step), so a quarter of the machine's memory, within 512 MB and mallopt's int."""
    try:
        physical = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
    except (ValueError, OSError, AttributeError):
        physical = 0
    return min(max(physical // 4, 512 << 20), 2 ** 31 - 1)


def _share_one_heap(mallopt):
    """Every thread allocates from the main arena, large blocks from its heap rather than from
    mappings of their own, and the heap's top is kept up to `_one_heap_trim_threshold`
    (`CORNU_HOST_RUNTIME=one-heap`, see the module doc). Threads that already have an arena
    keep it: this runs before the engine starts its own.

    # Returns
        The trim threshold set, or `None` if glibc refused a setting.
    """
    trim_threshold = _one_heap_trim_threshold()
    if (mallopt(_M_ARENA_MAX, 1) and mallopt(_M_MMAP_MAX, 0) and
            mallopt(_M_TRIM_THRESHOLD, trim_threshold)):
        return trim_threshold
    return None


def _malloc_set_by_user():
    """Whether glibc's mmap and trim behaviour was set through its own environment variables
    or `glibc.malloc` tunables: the user's settings are then left as they are."""
    return (any(name in os.environ for name in _GLIBC_MALLOC_VARIABLES) or
            'glibc.malloc.' in os.environ.get('GLIBC_TUNABLES', ''))


def _host_runtime_choice():
    """`CORNU_HOST_RUNTIME`, checked: one of `HOST_RUNTIME_CHOICES`."""
    choice = os.environ.get('CORNU_HOST_RUNTIME', '').strip().lower()
    if choice not in HOST_RUNTIME_CHOICES:
        raise ValueError("CORNU_HOST_RUNTIME must be 'default' (malloc left as it is) or "
                         "'one-heap' (every thread shares one malloc heap), or unset; got %r."
                         % os.environ['CORNU_HOST_RUNTIME'])
    return choice


def configure_host_runtime(engine):
    """Applies the host settings for `engine` (`engine_choice` calls it once per process and
    keeps the result as `HOST_RUNTIME`).

    # Arguments
        engine: `'torch'` or `'jax'` (the same settings apply to both).

    # Returns
        A dict: `'malloc'`, the `(mmap threshold, trim threshold, top pad)` set, or `None`;
        with `CORNU_HOST_RUNTIME=one-heap` also `'one_heap'`, the trim threshold of the heap
        every thread then shares (`None` where glibc refused). Empty when
        `CORNU_HOST_RUNTIME=default` or glibc's malloc is configured by the environment.

    # Raises
        ValueError: for a `CORNU_HOST_RUNTIME` other than `default` or `one-heap`.
    """
    choice = _host_runtime_choice()
    if choice == 'default' or _malloc_set_by_user():
        return {}
    mallopt = _mallopt()
    if mallopt is None:
        return {'malloc': None}
    applied = {'malloc': _tune_malloc(mallopt)}
    if choice == 'one-heap':
        applied['one_heap'] = _share_one_heap(mallopt)
    return applied
