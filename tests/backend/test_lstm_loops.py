"""The torch engine's LSTM and GRU recurrences in compiled C loops
(`cornu/backend/torch/lstm_loops.py`, `gru_loops.py`): float32 numbers against a NumPy loop
and the engine-op kernels, the build, its cache, its switch and the silent fallback where
nothing can be built. (Float64 runs through the NumPy and
gradient checks of `test_recurrence_kernels.py` on both paths.)"""
import os
import shutil
import sys

import numpy as np
import pytest

from cornu import backend as K

pytestmark = pytest.mark.skipif(K.backend() != 'torch', reason='the torch engine\'s C loops')

if K.backend() == 'torch':
    import torch
    from cornu.backend.torch import gru_kernel, gru_loops, lstm_kernel, lstm_loops




def _problem(seed, batch=5, steps=7, units=21):
    """Units not a multiple of a vector's lanes, so that the loops' tails run too; large
    enough pre-activations that hard-sigmoid gates saturate."""
    rng = np.random.RandomState(seed)
    arrays = (rng.randn(batch, steps, 4 * units) * 2., rng.randn(batch, units),
              rng.randn(batch, units), rng.randn(units, 4 * units) * 0.3)
    mask = rng.rand(batch, steps) > 0.3
    return [a.astype('float32') for a in arrays], mask


@pytest.fixture
def loops_off(monkeypatch):
    """Runs `lstm_kernel.lstm_recurrence` on engine ops."""
    def off():
        monkeypatch.setattr(lstm_loops, 'loops_for', lambda dtype: None)
    return off


@pytest.fixture
def blas_loops():
    """Runs a library's loops on the BLAS gemm with separate cells (`set_fused(0)`) until
    the test ends."""
    libraries = []

    def off(library):
        libraries.append(library)
        library.set_fused(0)
    yield off
    for library in libraries:
        library.set_fused(1)


@pytest.fixture
def fresh_build(monkeypatch, tmp_path):
    """An empty build cache and no library loaded yet in this process."""
    monkeypatch.setenv('CORNU_HOME', str(tmp_path))
    monkeypatch.setattr(lstm_loops, '_loops', {})
    return tmp_path


def _run(arrays, activation, mask, go_backwards, weights, recurrent_masks=None):
    """Outputs and final states, and the gradients of a weighted sum of them into every
    input, through `lstm_kernel.lstm_recurrence`."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    rec_masks = None if recurrent_masks is None else [torch.tensor(m) for m in recurrent_masks]
    results = lstm_kernel.lstm_recurrence(
        *tensors, activation, mask=None if mask is None else torch.tensor(mask),
        go_backwards=go_backwards, recurrent_masks=rec_masks)
    loss = sum((r * torch.tensor(w)).sum() for r, w in zip(results, weights))
    grads = torch.autograd.grad(loss, tensors)
    with torch.no_grad():
        inference = lstm_kernel.lstm_recurrence(
            *[torch.tensor(a) for a in arrays], activation,
            mask=None if mask is None else torch.tensor(mask), go_backwards=go_backwards,
            recurrent_masks=rec_masks)
    return ([r.detach().numpy() for r in results], [g.numpy() for g in grads],
            [r.numpy() for r in inference])


def test_the_loops_are_built_where_there_is_a_c_compiler(fresh_build):
    if not (sys.platform.startswith('linux') and shutil.which(os.environ.get('CC', 'cc'))):
        pytest.skip('no C compiler here: the engine-op kernel runs instead')
    assert lstm_loops.loops_for(torch.float32) is not None
    assert lstm_loops.loops_for(torch.float64) is not None
    assert len(os.listdir(fresh_build / 'kernels')) == 2
    assert lstm_loops.loops_for(torch.float16) is None


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_float32_loops_match_numpy_and_the_engine_ops(numpy_lstm, loops_off, activation,
                                                     go_backwards, masked):
    assert lstm_loops.loops_for(torch.float32) is not None
    arrays, mask = _problem(0)
    mask = mask if masked else None
    rng = np.random.RandomState(1)
    weights = [rng.randn(*shape).astype('float32') for shape in [(5, 7, 21), (5, 21), (5, 21)]]
    results, grads, inference = _run(arrays, activation, mask, go_backwards, weights)
    expected = numpy_lstm(*[a.astype('float64') for a in arrays], activation, mask=mask,
                       go_backwards=go_backwards)
    for got in (results, inference):
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    loops_off()
    engine_results, engine_grads, _ = _run(arrays, activation, mask, go_backwards, weights)
    for a, b in zip(results + grads, engine_results + engine_grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _assert_split_matches(alone, split, expected):
    """`_run`'s results with the batch split across threads: outputs and states (training and
    inference) as NumPy's, and everything as with one thread."""
    for got in (split[0], split[2]):
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    for part_alone, part_split in zip(alone, split):
        for a, b in zip(part_alone, part_split):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('team', [True, False], ids=['openmp_team', 'own_threads'])
@pytest.mark.parametrize('threads', [2, 3])
@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
def test_a_batch_split_across_threads_gives_the_same_numbers(numpy_lstm, monkeypatch, threads,
                                                             activation, go_backwards, team):
    """With several threads each runs the loops over its own rows of the batch (13 samples:
    parts of 6 and 7, or 4, 4 and 5), on torch's OpenMP team or on threads of the loops'
    own: outputs, states and every gradient as with one."""
    assert lstm_loops.loops_for(torch.float32) is not None
    if team and lstm_loops._use_team():
        # (Else the loops would quietly run on their own threads.)
        assert all(lstm_loops._torch_symbol(name) for name in (
            'GOMP_parallel', 'omp_get_thread_num', 'omp_get_num_threads'))
    monkeypatch.setattr(lstm_loops, '_use_team', lambda: team)
    arrays, mask = _problem(5, batch=13, steps=6, units=19)
    rng = np.random.RandomState(6)
    weights = [rng.randn(*shape).astype('float32') for shape in [(13, 6, 19), (13, 19),
                                                                  (13, 19)]]
    monkeypatch.setattr(lstm_loops, '_threads', lambda: 1)
    alone = _run(arrays, activation, mask, go_backwards, weights)
    monkeypatch.setattr(lstm_loops, '_threads', lambda: threads)
    split = _run(arrays, activation, mask, go_backwards, weights)
    expected = numpy_lstm(*[a.astype('float64') for a in arrays], activation, mask=mask,
                          go_backwards=go_backwards)
    _assert_split_matches(alone, split, expected)


def _recurrent_masks(seed, count, batch, units, rate=0.4):
    """Keras 2's recurrent dropout masks: kept units scaled by 1 / (1 - rate)."""
    rng = np.random.RandomState(seed)
    return [((rng.rand(batch, units) > rate) / (1 - rate)).astype('float32')
            for _ in range(count)]


@pytest.fixture
def loops_calls(monkeypatch):
    """Counts the C loops' forward and backward calls."""
    calls = {'forward': 0, 'backward': 0}
    for name, key in (('_forward', 'forward'), ('_backward', 'backward')):
        def counted(*args, _original=getattr(lstm_loops, name), _key=key, **kwargs):
            calls[_key] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(lstm_loops, name, counted)
    return calls


@pytest.mark.parametrize('count', [1, 4])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_float32_loops_with_recurrent_masks_match_numpy_and_the_engine_ops(
        numpy_lstm, loops_off, loops_calls, count, go_backwards, masked):
    """Keras 2's recurrent dropout (one mask for all gates, or one per gate) runs in the C
    loops (their BLAS path: the fused tiles have no masks), forwards, backwards and in
    inference: the numbers of NumPy's loop and of the engine ops."""
    assert lstm_loops.loops_for(torch.float32) is not None
    arrays, mask = _problem(10)
    mask = mask if masked else None
    rec_masks = _recurrent_masks(11, count, 5, 21)
    rng = np.random.RandomState(12)
    weights = [rng.randn(*shape).astype('float32') for shape in [(5, 7, 21), (5, 21), (5, 21)]]
    results, grads, inference = _run(arrays, 'hard_sigmoid', mask, go_backwards, weights,
                                     rec_masks)
    assert loops_calls == {'forward': 2, 'backward': 1}
    expected = numpy_lstm(*[a.astype('float64') for a in arrays], 'hard_sigmoid', mask=mask,
                          go_backwards=go_backwards, recurrent_masks=rec_masks)
    for got in (results, inference):
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)
    loops_off()
    engine_results, engine_grads, _ = _run(arrays, 'hard_sigmoid', mask, go_backwards,
                                           weights, rec_masks)
    assert loops_calls == {'forward': 2, 'backward': 1}
    for a, b in zip(results + grads, engine_results + engine_grads):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('team', [True, False], ids=['openmp_team', 'own_threads'])
@pytest.mark.parametrize('threads', [2, 3])
@pytest.mark.parametrize('count', [1, 4])
def test_recurrent_masks_on_a_batch_split_across_threads(numpy_lstm, monkeypatch, threads,
                                                         count, team):
    """Each thread masks and multiplies its own rows: the numbers of one thread."""
    monkeypatch.setattr(lstm_loops, '_use_team', lambda: team)
    arrays, mask = _problem(13, batch=13, steps=6, units=19)
    rec_masks = _recurrent_masks(14, count, 13, 19)
    rng = np.random.RandomState(15)
    weights = [rng.randn(*shape).astype('float32') for shape in [(13, 6, 19), (13, 19),
                                                                  (13, 19)]]
    monkeypatch.setattr(lstm_loops, '_threads', lambda: 1)
    alone = _run(arrays, 'hard_sigmoid', mask, False, weights, rec_masks)
    monkeypatch.setattr(lstm_loops, '_threads', lambda: threads)
    split = _run(arrays, 'hard_sigmoid', mask, False, weights, rec_masks)
    expected = numpy_lstm(*[a.astype('float64') for a in arrays], 'hard_sigmoid', mask=mask,
                          recurrent_masks=rec_masks)
    _assert_split_matches(alone, split, expected)


@pytest.mark.parametrize('threads', [1, 2])
def test_the_loops_flush_denormals_and_give_the_thread_its_mode_back(monkeypatch, loops_off,
                                                                     threads):
    """Gradients in the denormal range (a long sequence's, vanishing through the forget gates)
    are zeros inside the loops, as TensorFlow's and XLA's CPU ops have them; the engine ops
    keep them. Afterwards the calling thread computes with denormals again."""
    monkeypatch.setattr(lstm_loops, '_threads', lambda: threads)
    arrays, _ = _problem(16, batch=13, steps=4, units=19)
    denormal = np.float32(1e-39)
    weights = [np.zeros((13, 4, 19), 'float32'), np.full((13, 19), denormal, 'float32'),
               np.zeros((13, 19), 'float32')]
    _, looped_grads, _ = _run(arrays, 'hard_sigmoid', None, False, weights)
    assert denormal * np.float32(1.5) != 0
    loops_off()
    _, engine_grads, _ = _run(arrays, 'hard_sigmoid', None, False, weights)
    assert np.any(engine_grads[0] != 0)
    assert np.all(np.abs(engine_grads[0]) < np.finfo(np.float32).tiny)
    assert not np.any(looped_grads[0])


def test_the_loops_split_on_torchs_openmp_team_where_torch_runs_on_openmp():
    backend = torch.__config__.parallel_info().split('ATen parallel backend:')[-1].strip()
    assert lstm_loops._use_team() == backend.startswith('OpenMP')


def test_the_plain_gemm_gives_the_packed_gemms_numbers(monkeypatch, blas_loops):
    """Where the BLAS has no packed gemm every step calls the plain one: the same numbers."""
    library = lstm_loops.loops_for(torch.float32)
    assert library is not None
    blas_loops(library)
    arrays, mask = _problem(7, batch=9, steps=5, units=19)
    rng = np.random.RandomState(8)
    weights = [rng.randn(*shape).astype('float32') for shape in [(9, 5, 19), (9, 19), (9, 19)]]
    monkeypatch.setattr(lstm_loops, '_threads', lambda: 2)
    packed = _run(arrays, 'hard_sigmoid', mask, False, weights)
    library.set_packed_gemm(None, None, None)
    try:
        plain = _run(arrays, 'hard_sigmoid', mask, False, weights)
    finally:
        lstm_loops._set_packed_gemm(library, 's')
    for part_packed, part_plain in zip(packed, plain):
        for a, b in zip(part_packed, part_plain):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_saturating_and_nan_pre_activations(loops_off):
    """The loops' own exp clamps its argument: huge pre-activations saturate the gates as
    the engine ops do; a NaN stays a NaN."""
    arrays, _ = _problem(2, batch=2, steps=3, units=20)
    arrays[0][0] *= 1e30
    arrays[0][1, 1, 5] = np.nan
    got = [r.numpy() for r in lstm_kernel.lstm_recurrence(
        *[torch.tensor(a) for a in arrays], 'sigmoid')]
    assert np.isfinite(got[0][0]).all()
    assert np.isnan(got[0][1, 1:]).any() and np.isfinite(got[0][1, 0]).all()
    loops_off()
    expected = [r.numpy() for r in lstm_kernel.lstm_recurrence(
        *[torch.tensor(a) for a in arrays], 'sigmoid')]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6)


def test_incoming_gradients_and_inputs_stay_as_they_were(numpy_lstm):
    """The backward loop accumulates into copies; non-contiguous inputs are read right."""
    arrays, mask = _problem(3)
    projected = torch.tensor(arrays[0].transpose(1, 0, 2).copy()).transpose(0, 1)
    assert not projected.is_contiguous()
    tensors = [projected.requires_grad_()] + [torch.tensor(a, requires_grad=True)
                                              for a in arrays[1:]]
    results = lstm_kernel.lstm_recurrence(*tensors, 'hard_sigmoid', mask=torch.tensor(mask))
    incoming = [torch.ones_like(r) for r in results]
    grads = torch.autograd.grad(results, tensors, incoming)
    for g in incoming:
        assert bool((g == 1).all())
    expected = numpy_lstm(*[a.astype('float64') for a in arrays], 'hard_sigmoid', mask=mask)
    for a, b in zip(results, expected):
        np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-5, atol=2e-6)
    assert all(bool(torch.isfinite(g).all()) for g in grads)


def test_the_build_is_cached_on_disk(fresh_build, monkeypatch):
    assert lstm_loops.loops_for(torch.float32) is not None
    built = os.listdir(fresh_build / 'kernels')
    # A later process loads the library without a compiler.
    monkeypatch.setattr(lstm_loops, '_loops', {})
    monkeypatch.setenv('CC', str(fresh_build / 'no-such-compiler'))
    assert lstm_loops.loops_for(torch.float32) is not None
    assert os.listdir(fresh_build / 'kernels') == built


def test_without_a_compiler_the_engine_ops_run(numpy_lstm, fresh_build, monkeypatch):
    monkeypatch.setenv('CC', str(fresh_build / 'no-such-compiler'))
    assert lstm_loops.loops_for(torch.float32) is None
    arrays, mask = _problem(4)
    got = lstm_kernel.lstm_recurrence(*[torch.tensor(a) for a in arrays], 'hard_sigmoid',
                                      mask=torch.tensor(mask))
    expected = numpy_lstm(*[a.astype('float64') for a in arrays], 'hard_sigmoid', mask=mask)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=2e-6)
    # Nothing half-built is left behind.
    assert os.listdir(fresh_build / 'kernels') == []


def test_a_compiler_that_fails_leaves_the_engine_ops(fresh_build, monkeypatch):
    failing = fresh_build / 'failing-cc'
    failing.write_text('#!/bin/sh\nexit 1\n')
    failing.chmod(0o755)
    monkeypatch.setenv('CC', str(failing))
    assert lstm_loops.loops_for(torch.float64) is None
    assert os.listdir(fresh_build / 'kernels') == []


def test_the_switch_turns_the_loops_off(fresh_build, monkeypatch):
    monkeypatch.setattr(lstm_loops, '_ENABLED', False)
    assert lstm_loops.loops_for(torch.float32) is None
    assert not (fresh_build / 'kernels').exists()
    monkeypatch.setattr(lstm_loops, '_ENABLED', True)
    assert lstm_loops.loops_for(torch.float32) is not None


@pytest.mark.parametrize('value,enabled', [('0', False), ('false', False), ('OFF', False),
                                           ('1', True), ('', True), (None, True)])
def test_the_switch_is_read_from_the_environment(monkeypatch, value, enabled):
    """`CORNU_COMPILE_KERNELS` (read once, at import: `_ENABLED`) turns the loops off."""
    if value is None:
        monkeypatch.delenv('CORNU_COMPILE_KERNELS', raising=False)
    else:
        monkeypatch.setenv('CORNU_COMPILE_KERNELS', value)
    assert lstm_loops._enabled_by_environment() == (enabled and sys.platform.startswith('linux'))


def test_the_switch_is_read_once_at_import(monkeypatch):
    """Setting the variable later changes nothing: a layer call reads no environment."""
    assert lstm_loops.loops_for(torch.float32) is not None
    monkeypatch.setenv('CORNU_COMPILE_KERNELS', '0')
    assert lstm_loops.loops_for(torch.float32) is not None


def test_a_library_that_fails_its_check_is_not_used(fresh_build, monkeypatch):
    """A loaded library whose first step disagrees with torch ops (say, a BLAS with another
    calling convention) is dropped."""
    monkeypatch.setattr(lstm_loops, '_agrees_with_torch', lambda library, dtype: False)
    assert lstm_loops.loops_for(torch.float32) is None


@pytest.mark.parametrize('shapes', [
    [(2, 3, 8), (2, 2), (2, 2), (2, 12)],      # kernel of the wrong width
    [(2, 3, 8), (3, 2), (2, 2), (2, 8)],       # states of another batch
    [(2, 3, 9), (2, 2), (2, 2), (2, 9)],       # projections not four gates wide
    [(2, 0, 8), (2, 2), (2, 2), (2, 8)],       # an empty sequence
])
def test_shapes_that_do_not_fit_are_left_to_the_engine_ops(shapes):
    """The C loops index by the shapes they are given: any that do not fit together go to
    the engine ops (which raise their error, or handle the empty sequence)."""
    tensors = [torch.zeros(*shape) for shape in shapes]
    assert lstm_loops.lstm_recurrence(*tensors, None, True, False) is None
    mask = torch.ones(2, 4, dtype=torch.bool)
    fitting = [torch.zeros(2, 3, 8), torch.zeros(2, 2), torch.zeros(2, 2), torch.zeros(2, 8)]
    assert lstm_loops.lstm_recurrence(*fitting, mask, True, False) is None
    assert lstm_loops.lstm_recurrence(*fitting, mask[:, :3], True, False) is not None


def _fused_loops():
    """The float32 library, or a skip where it was built without the fused loops (a compiler
    targeting neither AVX-512 nor AVX2 with FMA: the BLAS loops, which the other tests check,
    are all there is)."""
    library = lstm_loops.loops_for(torch.float32)
    assert library is not None
    if not library.set_fused(1):
        pytest.skip('the fused loops need AVX-512 or AVX2 with FMA; this build has the BLAS '
                    'loops only')
    return library


def _float32_sweep():
    """Every 997th float32 bit pattern, both signs (NaNs, infinities, subnormals and both
    zeros among them), and the special values themselves."""
    bits = np.arange(0, 2 ** 31, 997, dtype=np.uint32)
    positive = bits.view(np.float32)
    specials = np.array([0., np.inf, np.nan, np.finfo(np.float32).max,
                         np.finfo(np.float32).tiny, 1e-45, 0.625, 9., 1e-4],
                        dtype=np.float32)
    values = np.concatenate([positive, specials])
    return np.concatenate([values, -values])


@pytest.mark.parametrize('vector', [True, False], ids=['vector', 'scalar'])
def test_the_loops_tanh_is_within_two_ulps_of_numpys_over_the_float_range(vector):
    """The cells' tanh (16 or 8 lanes at a time in the fused loops, one at a time in the BLAS
    loops' cells) against NumPy's tanh in float64: at most 2 float32 ulps of the exact value
    away everywhere; NaN for NaN, ±1 for ±inf, the sign of zero kept."""
    library = lstm_loops.loops_for(torch.float32)
    assert library is not None
    x = _float32_sweep()
    y = np.empty_like(x)
    used_vectors = library.tanh_array(x.size, x.ctypes.data, y.ctypes.data, int(vector))
    if vector and not used_vectors:
        pytest.skip('the fused loops need AVX-512 or AVX2 with FMA; this build has the '
                    'scalar tanh only')
    with np.errstate(invalid='ignore'):  # (signalling NaNs among the patterns)
        exact = np.tanh(x.astype(np.float64))
    nan = np.isnan(x)
    assert np.isnan(y[nan]).all()
    finite = ~nan
    ulp = np.spacing(np.abs(exact[finite]).astype(np.float32)).astype(np.float64)
    error = np.abs(y[finite].astype(np.float64) - exact[finite]) / ulp
    assert error.max() <= 2., (x[finite][error.argmax()], error.max())
    assert (np.signbit(y[finite]) == np.signbit(x[finite])).all()
    assert list(y[np.isinf(x)]) == [1., -1.]


@pytest.mark.parametrize('threads,team', [(1, True), (2, True), (3, True), (2, False),
                                          (3, False)])
@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('units', [37, 80])
def test_the_fused_loops_give_the_blas_loops_numbers(monkeypatch, blas_loops, threads, team,
                                                     activation, go_backwards, masked, units):
    """The fused loops (the step product on 16- or 8-lane tiles, the cells on its registers) give
    the numbers of the BLAS gemm with separate cells within float32 rounding (1e-5
    relative, and 2e-6 of the largest magnitude absolute: a gradient summed over steps and
    samples may cancel to near zero): outputs, states, inference and every gradient. 37 units: two
    whole blocks of 16 and one of 5 lanes; 80: a backward group of four blocks and one of
    one; 13 samples: tiles of 6, 6 and 1 rows, or the threads' parts of them."""
    library = _fused_loops()
    monkeypatch.setattr(lstm_loops, '_use_team', lambda: team)
    monkeypatch.setattr(lstm_loops, '_threads', lambda: threads)
    arrays, mask = _problem(9, batch=13, steps=6, units=units)
    mask = mask if masked else None
    rng = np.random.RandomState(10)
    weights = [rng.randn(*shape).astype('float32')
               for shape in [(13, 6, units), (13, units), (13, units)]]
    fused = _run(arrays, activation, mask, go_backwards, weights)
    blas_loops(library)
    blas = _run(arrays, activation, mask, go_backwards, weights)
    for part_fused, part_blas in zip(fused, blas):
        for a, b in zip(part_fused, part_blas):
            np.testing.assert_allclose(a, b, rtol=1e-5,
                                       atol=2e-6 * max(1., float(np.abs(b).max())))
    # And they are the loops' numbers, not the engine ops' (which would pass as well).
    assert lstm_loops.loops_for(torch.float32) is library


def _run_inputs(arrays, activation, mask, go_backwards, weights):
    """`_run` for `lstm_kernel.lstm_input_recurrence` over `(inputs, kernel, bias or None,
    h, c, recurrent kernel)`: results, the gradients into every given tensor, inference."""
    tensors = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    given = [t for t in tensors if t is not None]
    mask = None if mask is None else torch.tensor(mask)
    results = lstm_kernel.lstm_input_recurrence(*tensors, activation, mask=mask,
                                                go_backwards=go_backwards)
    loss = sum((r * torch.tensor(w)).sum() for r, w in zip(results, weights)
               if w is not None)
    grads = torch.autograd.grad(loss, given)
    with torch.no_grad():
        inference = lstm_kernel.lstm_input_recurrence(
            *[None if a is None else torch.tensor(a) for a in arrays], activation, mask=mask,
            go_backwards=go_backwards)
    return ([r.detach().numpy() for r in results], [g.numpy() for g in grads],
            [r.numpy() for r in inference])


def _input_problem(seed, batch, steps, input_dim, units, bias):
    rng = np.random.RandomState(seed)
    arrays = [rng.randn(batch, steps, input_dim), rng.randn(input_dim, 4 * units) * 0.5,
              rng.randn(4 * units), rng.randn(batch, units), rng.randn(batch, units),
              rng.randn(units, 4 * units) * 0.3]
    arrays = [a.astype('float32') for a in arrays]
    if not bias:
        arrays[2] = None
    mask = rng.rand(batch, steps) > 0.3
    weights = [rng.randn(*shape).astype('float32')
               for shape in [(batch, steps, units), (batch, units), (batch, units)]]
    return arrays, mask, weights


@pytest.mark.parametrize('threads,team', [(1, True), (3, True), (2, False)])
@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('bias', [True, False], ids=['bias', 'no_bias'])
def test_the_fused_input_projection_gives_numpys_and_the_blas_loops_numbers(
        numpy_lstm, monkeypatch, blas_loops, threads, team, activation, go_backwards, masked,
        bias):
    """`lstm_input_recurrence` with each step's inputs projected inside the fused loops
    (the bias starting the accumulators): outputs and states as NumPy's loop over
    `x @ W + b` has them, and outputs, states, inference and the gradients of inputs,
    kernel, bias, states and recurrent kernel as the sequence projected first and run
    through the BLAS loops (the tolerance of `test_the_fused_loops_give_the_blas_loops_
    numbers`). 11 inputs and 37 units: partial blocks in both panels."""
    library = _fused_loops()
    monkeypatch.setattr(lstm_loops, '_use_team', lambda: team)
    monkeypatch.setattr(lstm_loops, '_threads', lambda: threads)
    arrays, mask, weights = _input_problem(11, 13, 6, 11, 37, bias)
    mask = mask if masked else None
    calls = []
    forward = library.lstm_input_forward
    monkeypatch.setattr(library, 'lstm_input_forward',
                        lambda *args: calls.append(1) or forward(*args))
    fused = _run_inputs(arrays, activation, mask, go_backwards, weights)
    assert len(calls) == 2  # (training and inference: the fused path ran)
    x, kernel, b, h, c, recurrent = [None if a is None else a.astype('float64')
                                     for a in arrays]
    projected = x @ kernel + (0. if b is None else b)
    expected = numpy_lstm(projected, h, c, recurrent, activation, mask=mask,
                          go_backwards=go_backwards)
    for got in (fused[0], fused[2]):
        for a, e in zip(got, expected):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=2e-6)
    blas_loops(library)
    blas = _run_inputs(arrays, activation, mask, go_backwards, weights)
    assert len(calls) == 2
    for part_fused, part_blas in zip(fused, blas):
        for a, e in zip(part_fused, part_blas):
            np.testing.assert_allclose(a, e, rtol=1e-5,
                                       atol=2e-6 * max(1., float(np.abs(e).max())))


@pytest.mark.parametrize('change', ['kernel', 'bias', 'empty'])
def test_inputs_that_do_not_fit_are_left_to_the_projection_first(change):
    """Shapes the fused input projection cannot index by go to `dense` and the recurrence
    (which raise their error, or handle the empty input)."""
    _fused_loops()
    tensors = [torch.zeros(2, 3, 5), torch.zeros(5, 8), torch.zeros(8), torch.zeros(2, 2),
               torch.zeros(2, 2), torch.zeros(2, 8)]
    assert lstm_loops.lstm_input_recurrence(*tensors, None, True, False) is not None
    if change == 'kernel':
        tensors[1] = torch.zeros(4, 8)
    elif change == 'bias':
        tensors[2] = torch.zeros(9)
    else:
        tensors[0] = torch.zeros(2, 3, 0)
    assert lstm_loops.lstm_input_recurrence(*tensors, None, True, False) is None


@pytest.mark.parametrize('go_backwards', [False, True])
def test_the_fused_input_path_without_a_gradient_for_the_sequence(monkeypatch, blas_loops,
                                                                  go_backwards):
    """An LSTM without `return_sequences`: no gradient reaches the outputs' sequence (the
    loop's `d_outputs` is NULL); the gradients are still the BLAS loops' (2 threads, a
    mask)."""
    library = _fused_loops()
    monkeypatch.setattr(lstm_loops, '_threads', lambda: 2)
    arrays, mask, weights = _input_problem(12, 13, 6, 11, 37, True)
    weights[0] = None
    fused = _run_inputs(arrays, 'hard_sigmoid', mask, go_backwards, weights)
    blas_loops(library)
    blas = _run_inputs(arrays, 'hard_sigmoid', mask, go_backwards, weights)
    for part_fused, part_blas in zip(fused, blas):
        for a, e in zip(part_fused, part_blas):
            np.testing.assert_allclose(a, e, rtol=1e-5,
                                       atol=2e-6 * max(1., float(np.abs(e).max())))


@pytest.mark.parametrize('value,march', [('x86-64-v3', 'x86-64-v3'), ('', 'native'),
                                         ('  ', 'native'), ('armv8.2-a+fp16', 'native'),
                                         ('x86-64 -O0', 'native'), ('znver3', 'znver3')])
def test_the_build_target_comes_from_the_environment(monkeypatch, value, march):
    """`CORNU_KERNELS_MARCH` names the `-march` to build for; empty, or anything but one
    plain word (it goes onto the compiler's command line), leaves this machine's."""
    monkeypatch.setenv('CORNU_KERNELS_MARCH', value)
    assert lstm_loops._march_from_environment() == march
    assert '-march=' + march in lstm_loops._flag_sets(march)[0]


def _cpu_flags():
    try:
        with open('/proc/cpuinfo') as f:
            return set(next(line for line in f if line.startswith('flags')).split(':')[1].split())
    except (OSError, StopIteration):
        return set()


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('masked', [False, True])
def test_an_avx2_build_runs_8_lane_fused_loops_with_the_same_numbers(
        numpy_lstm, fresh_build, monkeypatch, blas_loops, activation, masked):
    """Built for `x86-64-v3` (AVX2 with FMA, no AVX-512), as on CPUs without AVX-512: the
    fused loops run on 8 lanes and give NumPy's outputs and the BLAS loops' gradients
    (13 samples, 37 units: tails of tiles and of blocks; 2 threads)."""
    if not {'avx2', 'fma'} <= _cpu_flags():
        pytest.skip('this CPU cannot run an AVX2 build')
    monkeypatch.setattr(lstm_loops, '_MARCH', 'x86-64-v3')
    library = lstm_loops.loops_for(torch.float32)
    assert library is not None and library.set_fused(1) and library.fused_lanes() == 8
    assert library.tanh_array(0, None, None, 1) == 1
    monkeypatch.setattr(lstm_loops, '_threads', lambda: 2)
    arrays, mask, weights = _input_problem(13, 13, 6, 11, 37, True)
    mask = mask if masked else None
    fused = _run_inputs(arrays, activation, mask, False, weights)
    x, kernel, b, h, c, recurrent = [a.astype('float64') for a in arrays]
    expected = numpy_lstm(x @ kernel + b, h, c, recurrent, activation, mask=mask)
    for got in (fused[0], fused[2]):
        for a, e in zip(got, expected):
            np.testing.assert_allclose(a, e, rtol=1e-5, atol=2e-6)
    blas_loops(library)
    blas = _run_inputs(arrays, activation, mask, False, weights)
    for part_fused, part_blas in zip(fused, blas):
        for a, e in zip(part_fused, part_blas):
            np.testing.assert_allclose(a, e, rtol=1e-5,
                                       atol=2e-6 * max(1., float(np.abs(e).max())))
    assert lstm_loops.loops_for(torch.float32) is library


def _gru_run(arrays, activation, mask, go_backwards, weights, recurrent_masks=None):
    """`_run` for `gru_kernel.gru_recurrence`: outputs and final state, the gradients of a
    weighted sum of them into every input, and inference's outputs."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_mask = None if mask is None else torch.tensor(mask)
    rec_masks = None if recurrent_masks is None else [torch.tensor(m) for m in recurrent_masks]
    results = gru_kernel.gru_recurrence(*tensors, activation, mask=torch_mask,
                                        go_backwards=go_backwards, recurrent_masks=rec_masks)
    loss = sum((r * torch.tensor(w)).sum() for r, w in zip(results, weights))
    grads = torch.autograd.grad(loss, tensors)
    with torch.no_grad():
        inference = gru_kernel.gru_recurrence(*[torch.tensor(a) for a in arrays], activation,
                                              mask=torch_mask, go_backwards=go_backwards)
    return ([r.detach().numpy() for r in results], [g.numpy() for g in grads],
            [r.numpy() for r in inference])


def _gru_problem(seed, batch=5, steps=7, units=21):
    rng = np.random.RandomState(seed)
    arrays = (rng.randn(batch, steps, 3 * units) * 2., rng.randn(batch, units),
              rng.randn(units, 3 * units) * 0.3)
    return [a.astype('float32') for a in arrays], rng.rand(batch, steps) > 0.3


@pytest.fixture
def gru_loops_calls(monkeypatch):
    """Counts the GRU loops' forward and backward calls."""
    calls = {'forward': 0, 'backward': 0}
    original_forward = gru_loops._forward
    original_backward = gru_loops._LoopsGRURecurrence.backward

    def forward(*args):
        calls['forward'] += 1
        return original_forward(*args)

    def backward(ctx, *grads):
        calls['backward'] += 1
        return original_backward(ctx, *grads)
    monkeypatch.setattr(gru_loops, '_forward', forward)
    monkeypatch.setattr(gru_loops._LoopsGRURecurrence, 'backward',
                        staticmethod(torch.autograd.function.once_differentiable(backward)))
    return calls


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_float32_gru_loops_match_the_engine_ops(loops_off, gru_loops_calls, activation,
                                                go_backwards, masked):
    """Keras 2's GRU in the C loops (float32, units not a multiple of a vector's lanes):
    outputs, state and every gradient as the engine-op kernel has them. (Float64 runs
    through the NumPy and gradient checks of `test_recurrence_kernels.py` on both paths.)"""
    arrays, mask = _gru_problem(20)
    mask = mask if masked else None
    rng = np.random.RandomState(21)
    weights = [rng.randn(*shape).astype('float32') for shape in [(5, 7, 21), (5, 21)]]
    looped = _gru_run(arrays, activation, mask, go_backwards, weights)
    assert gru_loops_calls == {'forward': 2, 'backward': 1}
    loops_off()
    engine = _gru_run(arrays, activation, mask, go_backwards, weights)
    assert gru_loops_calls == {'forward': 2, 'backward': 1}
    for part_looped, part_engine in zip(looped, engine):
        for a, b in zip(part_looped, part_engine):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('team', [True, False], ids=['openmp_team', 'own_threads'])
@pytest.mark.parametrize('threads', [2, 3])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('count', [0, 1, 3], ids=['no_dropout', 'one_mask', 'three_masks'])
def test_a_gru_batch_split_across_threads_gives_the_same_numbers(monkeypatch, threads,
                                                                 go_backwards, team, count):
    """Each thread runs its own rows, recurrent dropout masks included: the numbers of
    one thread."""
    monkeypatch.setattr(lstm_loops, '_use_team', lambda: team)
    arrays, mask = _gru_problem(22, batch=13, steps=6, units=19)
    rec_masks = _recurrent_masks(24, count, 13, 19) if count else None
    rng = np.random.RandomState(23)
    weights = [rng.randn(*shape).astype('float32') for shape in [(13, 6, 19), (13, 19)]]
    monkeypatch.setattr(lstm_loops, '_threads', lambda: 1)
    alone = _gru_run(arrays, 'hard_sigmoid', mask, go_backwards, weights, rec_masks)
    monkeypatch.setattr(lstm_loops, '_threads', lambda: threads)
    split = _gru_run(arrays, 'hard_sigmoid', mask, go_backwards, weights, rec_masks)
    for part_alone, part_split in zip(alone, split):
        for a, b in zip(part_alone, part_split):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
