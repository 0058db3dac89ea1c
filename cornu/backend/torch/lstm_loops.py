"""Keras 2's LSTM recurrence on the CPU as compiled C loops (`lstm_loops.c`): forward,
backward and inference, each one call per sequence.

Why: at Keras' sizes (a batch of 32, 128 units) a step's matrix product takes about 50
microseconds and the dozen engine ops of its gates together as long again, most of it
dispatch; torch's fused `nn.LSTM` has no hard sigmoid. The C loops call the BLAS gemm that
torch links (the same product `torch.mm` runs) and do all of a step's elementwise work in
one vectorised pass over the cells. The samples of a batch never meet in the recurrence,
so with several intra-op threads (`torch.set_num_threads`) each thread runs the loops over its
own rows, its gemm on one thread, without waiting for the others between steps. The threads
are torch's own OpenMP team where torch's parallel ops run on OpenMP: its workers wait busily
for a while after every op, and threads of the loops' own would compete with them for the
cores; elsewhere the loops start threads of their own.

Where the compiler targets AVX-512, or AVX2 with FMA (float32 only), the loops have a fused
path, on by default: a step's product runs on register tiles of their own (the recurrent kernel packed
once per call, its four gates' columns side by side) with the cells computed from the
tile, and `lstm_input_recurrence` projects each step's inputs inside the same tiles. Its
backward pass computes d_inputs and both kernels' gradients step by step, while each
step's gradients are in cache. At Keras' sizes these tiles ran faster than torch's BLAS
(MKL) on the same products. Elsewhere (float64, other CPUs) the BLAS loops run, and so does
Keras 2's recurrent dropout: a step's masked states multiplied by the whole recurrent kernel
(one mask for all gates) or by each gate's block of it (a mask per gate).

The loops run with denormal numbers flushed to zero, as TensorFlow (under Keras 2) and XLA
run their CPU ops: a long sequence's gradients, shrinking through the forget gates step
after step, otherwise reach the denormal range, where every operation takes the CPU's slow
path.

How: built with the system's C compiler (`$CC`, else `cc`) on first use, one shared library
per float type, cached under `$CORNU_HOME` (default `~/.cornu`) in `kernels/`, keyed by the
source, the compiler flags and the CPU; about a second once per machine. They are built for
this machine's CPU (`-march=native`); `CORNU_KERNELS_MARCH` names another target (say
`x86-64-v3`, AVX2 with FMA) to build for instead. Wherever they
cannot be built or loaded (no compiler, not Linux, no gemm exported by torch's library, a
build that fails its first check) `lstm_recurrence` returns `None` and the caller runs the
engine-op kernel instead, silently: both compute the same numbers. `CORNU_COMPILE_KERNELS=0`
in the environment (read once, at import) turns the loops off.

Internal to the torch engine (the JAX engine compiles its own loop with XLA).
"""
import ctypes
import functools
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import threading

import torch

from ..common import config_path
from .recurrent_dropout import recurrent_kernel_gradient

__all__ = ['lstm_recurrence', 'lstm_input_recurrence', 'loops_for', 'library_for', 'contiguous']

_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lstm_loops.c')
_TYPES = {torch.float32: ('float', ['-DFLOAT32=1'], 's'),
          torch.float64: ('double', [], 'd')}
# The vectorised exp of `lstm_loops.c` needs float comparisons that may be if-converted
# (`-fno-trapping-math`, as torch itself is built) and, for GCC, no partial redundancy
# elimination, which turns its clamp into branches that stop the loops from vectorising.
# The second set is for compilers that refuse the first.
_OPTIMIZED_FLAGS = ['-O3', '-fno-math-errno', '-fno-trapping-math', '-fno-tree-pre']
_FALLBACK_FLAGS = ['-O2']
_COMPILE_TIMEOUT_S = 60

_lock = threading.Lock()
_loops = {}


def _enabled_by_environment():
    """Whether the loops may be built and run here: on Linux, unless `CORNU_COMPILE_KERNELS`
    is '0', 'false' or 'off'."""
    return (sys.platform.startswith('linux') and
            os.environ.get('CORNU_COMPILE_KERNELS', '1').lower() not in ('0', 'false', 'off'))


# (Read once, not at every layer call; tests and benchmarks set it to turn the loops off.)
_ENABLED = _enabled_by_environment()


def _cpu_signature():
    """What the machine code of `-march=native` depends on."""
    try:
        with open('/proc/cpuinfo') as f:
            lines = [line for line in f if line.startswith(('model name', 'flags', 'Features'))]
    except OSError:
        lines = []
    return ''.join(sorted(set(lines)))


def _march_from_environment():
    """The CPU the loops are built for (`-march`): `CORNU_KERNELS_MARCH` where it names one
    (letters, digits, '.', '_', '-'), else this machine's (`native`)."""
    march = os.environ.get('CORNU_KERNELS_MARCH', '').strip()
    return march if re.fullmatch(r'[A-Za-z0-9._-]+', march) else 'native'


# (Read once: the libraries loaded in a process are built for one target.)
_MARCH = _march_from_environment()


def _flag_sets(march):
    """The compiler flags to try in turn for target `march`: optimised for it first, and
    plain ones for compilers that refuse those."""
    return (_OPTIMIZED_FLAGS + ['-march=' + march], _FALLBACK_FLAGS)


def _build(real, defines, march='native'):
    """The path of the shared library for `real` built for the CPU `march` (built if not
    cached), or `None`."""
    with open(_SOURCE, 'rb') as f:
        source = f.read()
    compiler = os.environ.get('CC', 'cc')
    directory = os.path.join(os.path.dirname(config_path()), 'kernels')
    for flags in _flag_sets(march):
        options = flags + ['-DREAL=%s' % real] + defines + ['-shared', '-fPIC', '-pthread']
        # (Not the compiler: a library built once serves whichever is installed later.)
        key = hashlib.sha256(source + repr(options).encode() +
                             _cpu_signature().encode()).hexdigest()[:16]
        path = os.path.join(directory, 'lstm_loops_%s_%s.so' % (real, key))
        if os.path.exists(path):
            return path
        try:
            os.makedirs(directory, exist_ok=True)
            # Built beside its final name and renamed: processes building at once each
            # publish a whole library.
            handle, partial = tempfile.mkstemp(suffix='.so', dir=directory)
            os.close(handle)
        except OSError:
            return None
        try:
            done = subprocess.run([compiler] + options + [_SOURCE, '-lm', '-o', partial],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=_COMPILE_TIMEOUT_S)
            if done.returncode == 0:
                os.replace(partial, path)
                return path
        except (OSError, subprocess.SubprocessError):
            pass
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return None


def _torch_symbol(name):
    """The address of a function torch's CPU library exports (BLAS' `sgemm_`/`dgemm_`, MKL's
    `MKL_Set_Num_Threads_Local` and packed gemm), or `None`."""
    library = os.path.join(os.path.dirname(torch.__file__), 'lib', 'libtorch_cpu.so')
    try:
        return ctypes.cast(getattr(ctypes.CDLL(library), name), ctypes.c_void_p).value
    except (OSError, AttributeError):
        return None


def _set_packed_gemm(library, prefix):
    """Gives the loops MKL's packed gemm (`prefix` 's' or 'd'), or leaves them the plain gemm
    where torch's library does not export it all."""
    library.set_packed_gemm(*[ctypes.c_void_p(_torch_symbol(prefix + name))
                              for name in ('gemm_pack_get_size', 'gemm_pack', 'gemm_compute')])


def _set_openmp(library):
    """Gives the loops the OpenMP runtime torch's parallel ops run on (its `GOMP_parallel`,
    `omp_get_thread_num`, `omp_get_num_threads`), or leaves them their own threads where
    torch's library does not reach one."""
    library.set_openmp(*[ctypes.c_void_p(_torch_symbol(name)) for name in
                         ('GOMP_parallel', 'omp_get_thread_num', 'omp_get_num_threads')])


def _load(dtype):
    real, defines, prefix = _TYPES[dtype]
    gemm = _torch_symbol(prefix + 'gemm_')
    path = _build(real, defines, _MARCH) if gemm else None
    if path is None:
        return None
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    library.set_gemm(ctypes.c_void_p(gemm))
    library.set_blas_threads_local(ctypes.c_void_p(_torch_symbol('MKL_Set_Num_Threads_Local')))
    _set_packed_gemm(library, prefix)
    _set_openmp(library)
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    recurrent_dropout = [pointer, integer, pointer]  # masks, their count, scratch
    library.lstm_forward.argtypes = [integer] * 3 + [pointer] * 6 + recurrent_dropout + \
        [integer] * 2 + [pointer] * 3 + [integer] * 2
    library.lstm_backward.argtypes = [integer] * 3 + [pointer] * 4 + recurrent_dropout + \
        [integer] + [pointer] * 5 + [integer] * 2
    library.lstm_forward.restype = library.lstm_backward.restype = integer
    library.lstm_input_forward.argtypes = [integer] * 4 + [pointer] * 8 + [integer] * 2 + \
        [pointer] * 2 + [integer] * 2
    library.lstm_input_backward.argtypes = [integer] * 4 + [pointer] * 8 + [integer] + \
        [pointer] * 7 + [integer] * 2
    library.lstm_input_forward.restype = library.lstm_input_backward.restype = integer
    library.gru_forward.argtypes = [integer] * 3 + [pointer] * 5 + recurrent_dropout + \
        [integer] * 2 + [pointer] * 6 + [integer] * 2
    library.gru_backward.argtypes = [integer] * 3 + [pointer] * 7 + recurrent_dropout + \
        [pointer, integer] + [pointer] * 5 + [integer] * 2
    library.gru_forward.restype = library.gru_backward.restype = integer
    library.set_fused.argtypes = [integer]
    library.fused_active.restype = library.fused_lanes.restype = integer
    library.tanh_array.argtypes = [integer, pointer, pointer, integer]
    library.set_fused.restype = library.tanh_array.restype = integer
    return library if _agrees_with_torch(library, dtype) else None


def _agrees_with_torch(library, dtype):
    """A first check of a freshly loaded library: one step of a tiny LSTM against torch ops
    (a BLAS whose calling convention differs would fail it)."""
    # (On the CPU by name: the loops run there whatever the engine's device.)
    generator = torch.Generator().manual_seed(0)
    projected = torch.randn(2, 1, 12, generator=generator, dtype=dtype, device='cpu')
    h, c = torch.randn(2, 2, 3, generator=generator, dtype=dtype, device='cpu')
    kernel = torch.randn(3, 12, generator=generator, dtype=dtype, device='cpu')
    outputs, new_c, scratch = projected.new_empty((2, 1, 3)), c.clone(), h.new_empty((2, 12))
    if library.lstm_forward(1, 2, 3, *_pointers(projected, h, outputs, new_c, kernel, None),
                            None, 0, None, 1, 0, *_pointers(scratch, None, None), 1, 0):
        return False
    z = projected[:, 0] + h @ kernel
    gates = torch.clamp(0.2 * z + 0.5, 0., 1.)
    expected_c = gates[:, 3:6] * c + gates[:, :3] * torch.tanh(z[:, 6:9])
    expected_h = gates[:, 9:] * torch.tanh(expected_c)
    return bool(torch.allclose(new_c, expected_c, atol=1e-5) and
                torch.allclose(outputs[:, 0], expected_h, atol=1e-5))


def loops_for(dtype):
    """The loaded C loops for tensors of `dtype` (built on the first call), or `None` where
    there are none (any dtype but float32 and float64, or see the module's docstring)."""
    if not _ENABLED or dtype not in _TYPES:
        return None
    try:
        return _loops[dtype]
    except KeyError:
        pass
    with _lock:
        if dtype not in _loops:
            _loops[dtype] = _load(dtype)
    return _loops[dtype]


def _pointers(*tensors):
    """The tensors' data addresses for a C call (the caller keeps the tensors alive: a
    temporary made in the call's arguments would be freed before the call)."""
    return [None if t is None else t.data_ptr() for t in tensors]


def _threads():
    """How many threads the loops may split a batch across: as many as torch's intra-op
    ops use (`torch.set_num_threads`)."""
    return torch.get_num_threads()


@functools.lru_cache(maxsize=None)
def _use_team():
    """Whether the loops split a batch on torch's OpenMP team rather than threads of their
    own: where torch's parallel ops run on OpenMP, whose workers wait busily after each op
    and would compete with threads of the loops' own."""
    backend = torch.__config__.parallel_info().split('ATen parallel backend:')[-1]
    return backend.strip().startswith('OpenMP')


def _forward(library, projected, h, c, kernel, mask, rec_masks, hard, go_backwards,
             training):
    """Runs the forward loop: `(outputs, final c, factors, carried)` (the last two `None`
    unless `training`)."""
    batch, steps, width = projected.shape
    units = width // 4
    outputs = projected.new_empty((batch, steps, units))
    c = c.clone(memory_format=torch.contiguous_format)
    factors = projected.new_empty((steps, batch, width)) if training else None
    carried = projected.new_empty((steps, batch, 2 * units)) if training else None
    scratch = projected.new_empty((batch, width))
    mask_count = 0 if rec_masks is None else rec_masks.shape[0]
    masked_h = None if rec_masks is None else torch.empty_like(rec_masks)
    library.lstm_forward(steps, batch, units,
                         *_pointers(projected, h, outputs, c, kernel, mask, rec_masks),
                         mask_count, *_pointers(masked_h), int(hard), int(go_backwards),
                         *_pointers(scratch, factors, carried), _threads(), int(_use_team()))
    return outputs, c, factors, carried


class _LoopsRecurrence(torch.autograd.Function):
    """The recurrence with the C loops' backward pass."""

    @staticmethod
    def forward(ctx, projected, h, c, kernel, mask, rec_masks, hard, go_backwards, library):
        outputs, c, factors, carried = _forward(library, projected, h, c, kernel, mask,
                                                rec_masks, hard, go_backwards, True)
        ctx.save_for_backward(h, kernel, outputs, factors, carried)
        ctx.mask, ctx.rec_masks = mask, rec_masks
        ctx.go_backwards, ctx.library = go_backwards, library
        # No gradient for an output nothing depends on (the sequence, for an LSTM without
        # `return_sequences`): `None` rather than zeros to add at every step.
        ctx.set_materialize_grads(False)
        return outputs, outputs[:, -1].clone(), c

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_outputs, d_h, d_c):
        h, kernel, outputs, factors, carried = ctx.saved_tensors
        dzs, dh, dc, d_kernel = _backward(ctx.library, h, kernel, outputs, factors, carried,
                                          ctx.mask, ctx.rec_masks, ctx.go_backwards,
                                          d_outputs, d_h, d_c, ctx.needs_input_grad[3])
        d_projected = dzs.flip(1) if ctx.go_backwards else dzs
        return (d_projected, dh, dc, d_kernel) + (None,) * 5


def _input_forward(library, inputs, kernel, bias, h, c, recurrent_kernel, mask, hard,
                   go_backwards, training):
    """Runs the forward loop with the input projection inside it: `(outputs, final c,
    factors, carried)` as `_forward`, or `None` where the library has no fused loops or
    could not allocate its packed kernels."""
    batch, steps, input_dim = inputs.shape
    units = h.shape[1]
    width = 4 * units
    outputs = inputs.new_empty((batch, steps, units))
    c = c.clone(memory_format=torch.contiguous_format)
    factors = inputs.new_empty((steps, batch, width)) if training else None
    carried = inputs.new_empty((steps, batch, 2 * units)) if training else None
    if library.lstm_input_forward(steps, batch, units, input_dim,
                                  *_pointers(inputs, kernel, bias, h, outputs, c,
                                             recurrent_kernel, mask),
                                  int(hard), int(go_backwards), *_pointers(factors, carried),
                                  _threads(), int(_use_team())):
        return None
    return outputs, c, factors, carried


def _incoming_grads(h, d_outputs, *d_states):
    """The gradients a backward loop starts from, as it reads them: `d_outputs` contiguous
    (or `None`), then the gradient of each final state (dh, and dc for an LSTM) as a copy
    (zeros where `None`), since the loop accumulates into them and must never write into
    the incoming gradients."""
    copies = [torch.zeros_like(h) if d is None else d.clone(memory_format=torch.contiguous_format)
              for d in d_states]
    return (None if d_outputs is None else d_outputs.contiguous(), *copies)


def _backward(library, h, kernel, outputs, factors, carried, mask, rec_masks, go_backwards,
              d_outputs, d_h, d_c, needs_kernel_grad):
    """The backward loop: `(dzs, dh, dc, d_kernel)`, dzs the projections' gradients in
    processing order, d_kernel the recurrent kernel's (or `None` unless
    `needs_kernel_grad`)."""
    steps, batch, width = factors.shape
    units = width // 4
    d_outputs, dh, dc = _incoming_grads(h, d_outputs, d_h, d_c)
    dzs, scratch = factors.new_empty((batch, steps, width)), h.new_empty(h.shape)
    mask_count = 0 if rec_masks is None else rec_masks.shape[0]
    product = None if rec_masks is None else h.new_empty(h.shape)
    library.lstm_backward(steps, batch, units,
                          *_pointers(factors, carried, kernel, mask, rec_masks), mask_count,
                          *_pointers(product), int(go_backwards),
                          *_pointers(d_outputs, dh, dc, dzs, scratch), _threads(),
                          int(_use_team()))
    d_kernel = None
    if needs_kernel_grad:
        # Each step's projections' gradient against the output before it, summed over
        # the steps and samples: one product (one per gate under per-gate masks).
        previous = torch.cat([h.unsqueeze(1), outputs[:, :-1]], 1)
        d_kernel = recurrent_kernel_gradient(previous, dzs, rec_masks, batch_first=True)
    return dzs, dh, dc, d_kernel


class _LoopsInputRecurrence(torch.autograd.Function):
    """The recurrence with its input projection inside the fused loops, and its backward
    pass (the C loops' recurrence, then the projection's gradients as whole-sequence
    products)."""

    @staticmethod
    def forward(ctx, inputs, kernel, bias, h, c, recurrent_kernel, mask, hard, go_backwards,
                library):
        results = _input_forward(library, inputs, kernel, bias, h, c, recurrent_kernel, mask,
                                 hard, go_backwards, True)
        if results is None:
            raise MemoryError('the LSTM loops\' forward pass could not allocate its packed '
                              'kernels')
        outputs, c, factors, carried = results
        ctx.save_for_backward(inputs, kernel, h, recurrent_kernel, outputs, factors, carried)
        ctx.mask, ctx.go_backwards, ctx.library = mask, go_backwards, library
        ctx.set_materialize_grads(False)
        return outputs, outputs[:, -1].clone(), c

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_outputs, d_h, d_c):
        inputs, kernel, h, recurrent_kernel, outputs, factors, carried = ctx.saved_tensors
        steps, batch, width = factors.shape
        d_outputs, dh, dc = _incoming_grads(h, d_outputs, d_h, d_c)
        dzs = factors.new_empty((batch, steps, width))
        d_inputs = torch.empty_like(inputs)
        d_kernel = torch.empty_like(kernel)
        d_recurrent = torch.empty_like(recurrent_kernel)
        if ctx.library.lstm_input_backward(
                steps, batch, width // 4, inputs.shape[2],
                *_pointers(factors, carried, recurrent_kernel, kernel, inputs, h, outputs,
                           ctx.mask),
                int(ctx.go_backwards),
                *_pointers(d_outputs, dh, dc, dzs, d_inputs, d_kernel, d_recurrent),
                _threads(), int(_use_team())):
            raise MemoryError('the LSTM loops\' backward pass could not allocate its '
                              'buffers')
        needs = ctx.needs_input_grad
        d_bias = dzs.view(-1, width).sum(0) if needs[2] else None
        return ((d_inputs if needs[0] else None, d_kernel if needs[1] else None, d_bias, dh,
                 dc, d_recurrent if needs[5] else None) + (None,) * 4)


def _shapes_fit(projected, h, c, kernel, mask, rec_masks=None):
    """Whether the shapes are those the C loops index by: projected `(batch, steps,
    4 units)` with neither empty, states `(batch, units)`, kernel `(units, 4 units)`, a bool
    mask `(batch, steps)` on the CPU or none, recurrent masks `(1 or 4, batch, units)` or
    none."""
    if projected.dim() != 3 or 0 in projected.shape or projected.shape[2] % 4:
        return False
    batch, steps, width = projected.shape
    units = width // 4
    return (tuple(h.shape) == tuple(c.shape) == (batch, units) and
            tuple(kernel.shape) == (units, width) and
            (mask is None or (mask.dtype == torch.bool and mask.device.type == 'cpu' and
                              tuple(mask.shape) == (batch, steps))) and
            (rec_masks is None or (rec_masks.dim() == 3 and rec_masks.shape[0] in (1, 4) and
                                   tuple(rec_masks.shape[1:]) == (batch, units))))


def _input_shapes_fit(inputs, kernel, bias, h, c, recurrent_kernel, mask):
    """`_shapes_fit` for inputs `(batch, steps, input_dim)` (none empty), their kernel
    `(input_dim, 4 units)` and bias `(4 units,)` or `None`."""
    if inputs.dim() != 3 or 0 in inputs.shape or kernel.dim() != 2:
        return False
    batch, steps, input_dim = inputs.shape
    width = kernel.shape[1]
    return (kernel.shape[0] == input_dim and
            (bias is None or tuple(bias.shape) == (width,)) and
            _shapes_fit(inputs.new_empty(()).expand(batch, steps, width), h, c,
                        recurrent_kernel, mask))


def library_for(projected, operands, shapes_fit):
    """The loops for a recurrence over `projected` with `operands` (tensors or `None`), or
    `None` where they do not apply: a tensor not on the CPU or not of `projected`'s dtype,
    shapes that do not fit (`shapes_fit` false), inside `torch.compile`'s tracing, or no
    loops built for the dtype."""
    dtype = projected.dtype
    if projected.device.type != 'cpu' or not shapes_fit or torch.compiler.is_compiling():
        return None
    for t in operands:
        if t is not None and (t.device.type != 'cpu' or t.dtype != dtype):
            return None
    return loops_for(dtype)


def contiguous(*tensors):
    """The tensors as the loops index them (`None` stays `None`)."""
    return [None if t is None else t.contiguous() for t in tensors]


def lstm_recurrence(projected, h, c, kernel, mask, hard, go_backwards, rec_masks=None):
    """`lstm_kernel.lstm_recurrence` (its arguments, `mask` a bool tensor or `None`, `hard`
    whether the gates are hard sigmoids, `rec_masks` the recurrent dropout masks stacked
    `(1 or 4, batch, units)` or `None`) through the C loops, or `None` where they do not
    apply: tensors not all on the CPU or not all float32 or float64, an empty batch or
    sequence, shapes that do not fit together (the engine ops then raise their error: the C
    loops would read out of bounds), inside `torch.compile`'s tracing, or no loops built.

    # Returns
        `(outputs, h, c)` as `lstm_kernel.lstm_recurrence`, or `None`.
    """
    library = library_for(projected, (h, c, kernel, rec_masks),
                          _shapes_fit(projected, h, c, kernel, mask, rec_masks))
    if library is None:
        return None
    projected, h, kernel, mask, rec_masks = contiguous(projected, h, kernel, mask, rec_masks)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (projected, h, c, kernel)):
        return _LoopsRecurrence.apply(projected, h, c, kernel, mask, rec_masks, hard,
                                      go_backwards, library)
    outputs, c, _, _ = _forward(library, projected, h, c, kernel, mask, rec_masks, hard,
                                go_backwards, False)
    return outputs, outputs[:, -1], c


def lstm_input_recurrence(inputs, kernel, bias, h, c, recurrent_kernel, mask, hard,
                          go_backwards):
    """`lstm_kernel.lstm_input_recurrence` without per-gate input masks (`bias` may be
    `None`; `mask` and `hard` as for `lstm_recurrence`) through the fused loops, which
    project each step's inputs inside the step (the bias starts the accumulators, the
    sequence's projections are never stored), or `None` where they do not apply: those of
    `lstm_recurrence`, inputs not `(batch, steps, input_dim)` with a kernel
    `(input_dim, 4 units)`, or a library without the fused loops.

    # Returns
        `(outputs, h, c)` as `lstm_kernel.lstm_input_recurrence`, or `None`.
    """
    dtype = inputs.dtype
    # (Loops rather than generators: this runs on every call of a layer, a single-sample
    # predict included.)
    tensors = [inputs, kernel, h, c, recurrent_kernel]
    if bias is not None:
        tensors.append(bias)
    for t in tensors:
        if t.device.type != 'cpu' or t.dtype != dtype:
            return None
    if (not _input_shapes_fit(inputs, kernel, bias, h, c, recurrent_kernel, mask) or
            torch.compiler.is_compiling()):
        return None
    library = loops_for(dtype)
    if library is None or not library.fused_active():
        return None
    needs_grad = False
    if torch.is_grad_enabled():
        for t in tensors:
            needs_grad = needs_grad or t.requires_grad
    inputs, kernel = inputs.contiguous(), kernel.contiguous()
    h, recurrent_kernel = h.contiguous(), recurrent_kernel.contiguous()
    bias = None if bias is None else bias.contiguous()
    if mask is not None:
        mask = mask.contiguous()
    if needs_grad:
        return _LoopsInputRecurrence.apply(inputs, kernel, bias, h, c, recurrent_kernel, mask,
                                           hard, go_backwards, library)
    results = _input_forward(library, inputs, kernel, bias, h, c, recurrent_kernel, mask,
                             hard, go_backwards, False)
    if results is None:
        return None  # (no memory for the packed kernels: the caller projects first)
    outputs, c, _, _ = results
    return outputs, outputs[:, -1], c
