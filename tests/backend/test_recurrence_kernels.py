"""`kernels.lstm_recurrence` and `kernels.gru_recurrence` (the LSTM's and the GRU's recurrence
in one engine call) against NumPy loops written here: outputs and final states on the
inference and the training path, and the gradients into every input against central
differences of the NumPy loop, for both gate activations, masks and go_backwards.

On torch the LSTM runs on the CPU in compiled C loops where they can be built, else in engine
ops: its tests run both (`lstm_path`)."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels


def _activation(name):
    if name == 'hard_sigmoid':
        return lambda x: np.clip(0.2 * x + 0.5, 0., 1.)
    return lambda x: 1. / (1. + np.exp(-x))




def _problem(seed, batch=3, steps=5, units=4):
    rng = np.random.RandomState(seed)
    # Large enough pre-activations that some hard-sigmoid gates saturate (slope 0).
    projected = rng.randn(batch, steps, 4 * units) * 2.
    return (projected, rng.randn(batch, units), rng.randn(batch, units),
            rng.randn(units, 4 * units) * 0.5)


_MASK = np.array([[1, 1, 0, 1, 1], [0, 1, 1, 1, 0], [1, 0, 0, 1, 1]], bool)

# Torch's LSTM and GRU kernels have two CPU paths: the compiled C loops and engine ops.
LSTM_PATHS = ['c loops', 'engine ops'] if K.backend() == 'torch' else ['xla']


@pytest.fixture(params=LSTM_PATHS)
def lstm_path(request, monkeypatch):
    """Runs the test on one of the engine's LSTM (and GRU) paths."""
    if request.param != 'xla':
        from cornu.backend.torch import lstm_loops
        import torch
        if request.param == 'engine ops':
            monkeypatch.setattr(lstm_loops, 'loops_for', lambda dtype: None)
        else:
            assert lstm_loops.loops_for(torch.float64) is not None, \
                'the C loops could not be built here (is there a C compiler?)'
    return request.param


def _assert_inference_matches(kernel, K, arrays, activation, mask, go_backwards, expected):
    """Runs the recurrence `kernel` without gradients on the NumPy `arrays` (`None` for one
    left out), asserts its results match `expected`, and returns them as NumPy arrays."""
    with kernels.no_grad():
        got = kernel(*[None if a is None else K.constant(a) for a in arrays], activation,
                     mask=None if mask is None else K.constant(mask, 'bool'),
                     go_backwards=go_backwards)
        got = [kernels.to_numpy(g) for g in got]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    return got


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_inference_path_matches_numpy(numpy_lstm, backend, lstm_path, activation,
                                      go_backwards, masked):
    K = backend
    arrays = _problem(0)
    mask = _MASK if masked else None
    expected = numpy_lstm(*arrays, activation, mask=mask, go_backwards=go_backwards)
    got = _assert_inference_matches(kernels.lstm_recurrence, K, arrays, activation, mask,
                                    go_backwards, expected)
    # The inference path's buffers are its own: a second call leaves the first's results.
    with kernels.no_grad():
        again = kernels.lstm_recurrence(*[K.constant(a * 0.5) for a in arrays], activation,
                                        go_backwards=go_backwards)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert again[0] is not None


def _numeric_gradient(loss, arrays, index, eps=1e-6):
    grad = np.zeros_like(arrays[index])
    for position in np.ndindex(*grad.shape):
        values = [a.copy() for a in arrays]
        values[index][position] += eps
        up = loss(values)
        values[index][position] -= 2 * eps
        grad[position] = (up - loss(values)) / (2 * eps)
    return grad


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_training_path_outputs_and_gradients_match_numpy(numpy_lstm, backend, lstm_path,
                                                         activation, go_backwards, masked):
    """The gradients of a weighted sum of the outputs and both final states (so that each
    incoming gradient is used) into the projections, initial states and recurrent kernel."""
    K = backend
    arrays = _problem(1)
    mask = _MASK if masked else None
    rng = np.random.RandomState(2)
    weights = [rng.randn(*shape) for shape in [(3, 5, 4), (3, 4), (3, 4)]]

    def np_loss(values):
        results = numpy_lstm(*values, activation, mask=mask, go_backwards=go_backwards)
        return sum(float(np.sum(r * w)) for r, w in zip(results, weights))

    inputs = [K.placeholder(shape=a.shape, dtype='float64') for a in arrays]
    results = kernels.lstm_recurrence(*inputs, activation,
                                      mask=None if mask is None else K.constant(mask, 'bool'),
                                      go_backwards=go_backwards)
    loss = sum(K.sum(r * K.constant(w, 'float64')) for r, w in zip(results, weights))
    got = K.function(inputs, list(results) + K.gradients(loss, inputs))(list(arrays))
    expected = numpy_lstm(*arrays, activation, mask=mask, go_backwards=go_backwards)
    for a, b in zip(got[:3], expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for index, grad in enumerate(got[3:]):
        np.testing.assert_allclose(grad, _numeric_gradient(np_loss, arrays, index),
                                   rtol=1e-5, atol=1e-6)


# ------------------------------------------------- the LSTM over its inputs (no input dropout)

def _input_problem(seed, batch=3, steps=5, input_dim=3, units=4, bias=True):
    """Inputs, kernel, bias (or `None`), initial states and recurrent kernel."""
    rng = np.random.RandomState(seed)
    return (rng.randn(batch, steps, input_dim), rng.randn(input_dim, 4 * units),
            rng.randn(4 * units) if bias else None, rng.randn(batch, units),
            rng.randn(batch, units), rng.randn(units, 4 * units) * 0.5)


def _np_input_lstm(numpy_lstm, inputs, kernel, bias, h, c, recurrent_kernel, activation,
                   input_masks=None, **options):
    if input_masks is None:
        projected = inputs @ kernel
    else:
        size = kernel.shape[1] // len(input_masks)
        projected = np.concatenate([(inputs * m) @ kernel[:, g * size:(g + 1) * size]
                                    for g, m in enumerate(input_masks)], -1)
    projected = projected + (0. if bias is None else bias)
    return numpy_lstm(projected, h, c, recurrent_kernel, activation, **options)


def _input_masks(seed, batch=3, input_dim=3):
    """Four input dropout masks, one per gate, the same at every step (as Keras 2's LSTM
    with `implementation=1` draws them): kept inputs scaled by 1 / (1 - rate)."""
    rng = np.random.RandomState(seed)
    return [(rng.rand(batch, 1, input_dim) > 0.3) / 0.7 for _ in range(4)]


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('bias', [True, False])
def test_input_recurrence_inference_matches_numpy(numpy_lstm, backend, lstm_path, activation,
                                                  go_backwards, masked, bias):
    K = backend
    arrays = _input_problem(3, bias=bias)
    mask = _MASK if masked else None
    expected = _np_input_lstm(numpy_lstm, *arrays, activation, mask=mask,
                              go_backwards=go_backwards)
    _assert_inference_matches(kernels.lstm_input_recurrence, K, arrays, activation, mask,
                              go_backwards, expected)


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('dropout', [False, True])
def test_input_recurrence_outputs_and_gradients_match_numpy(numpy_lstm, backend, lstm_path,
                                                            activation, go_backwards, masked,
                                                            dropout):
    """The gradients into the inputs, both kernels, the bias and the initial states, without
    and with one input dropout mask per gate."""
    K = backend
    arrays = _input_problem(4)
    mask = _MASK if masked else None
    input_masks = _input_masks(6) if dropout else None
    rng = np.random.RandomState(5)
    weights = [rng.randn(*shape) for shape in [(3, 5, 4), (3, 4), (3, 4)]]

    def np_loss(values):
        results = _np_input_lstm(numpy_lstm, *values, activation, input_masks=input_masks,
                                 mask=mask, go_backwards=go_backwards)
        return sum(float(np.sum(r * w)) for r, w in zip(results, weights))

    inputs = [K.placeholder(shape=a.shape, dtype='float64') for a in arrays]
    results = kernels.lstm_input_recurrence(
        *inputs, activation, mask=None if mask is None else K.constant(mask, 'bool'),
        go_backwards=go_backwards,
        input_masks=None if input_masks is None else [K.constant(m, 'float64')
                                                      for m in input_masks])
    loss = sum(K.sum(r * K.constant(w, 'float64')) for r, w in zip(results, weights))
    got = K.function(inputs, list(results) + K.gradients(loss, inputs))(list(arrays))
    expected = _np_input_lstm(numpy_lstm, *arrays, activation, input_masks=input_masks,
                              mask=mask, go_backwards=go_backwards)
    for a, b in zip(got[:3], expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for index, grad in enumerate(got[3:]):
        np.testing.assert_allclose(grad, _numeric_gradient(np_loss, list(arrays), index),
                                   rtol=1e-5, atol=1e-6)


# ------------------------------------------------ recurrent dropout (Keras 2's recurrent masks)

def _recurrent_masks(seed, count, batch=3, units=4):
    """`count` recurrent dropout masks (one for all gates, or one per gate), the same at
    every step: kept units scaled by 1 / (1 - rate)."""
    rng = np.random.RandomState(seed)
    return [(rng.rand(batch, units) > 0.4) / 0.6 for _ in range(count)]


def _constants(arrays, K, dtype='float64'):
    return None if arrays is None else [K.constant(a, dtype) for a in arrays]


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('count', [1, 4])
def test_recurrent_masks_outputs_and_gradients_match_numpy(numpy_lstm, backend, lstm_path,
                                                           activation, go_backwards, masked,
                                                           count):
    """With recurrent dropout masks, one for all gates (`implementation=2`) or one per gate
    (`implementation=1`): the outputs and final states with and without gradients, and the
    gradients into the projections, initial states and recurrent kernel."""
    K = backend
    arrays = _problem(7)
    mask = _MASK if masked else None
    rec_masks = _recurrent_masks(8, count)
    options = dict(mask=mask, go_backwards=go_backwards, recurrent_masks=rec_masks)
    rng = np.random.RandomState(9)
    weights = [rng.randn(*shape) for shape in [(3, 5, 4), (3, 4), (3, 4)]]

    def np_loss(values):
        results = numpy_lstm(*values, activation, **options)
        return sum(float(np.sum(r * w)) for r, w in zip(results, weights))

    expected = numpy_lstm(*arrays, activation, **options)
    kernel_mask = None if mask is None else K.constant(mask, 'bool')
    with kernels.no_grad():
        got = kernels.lstm_recurrence(*[K.constant(a, 'float64') for a in arrays], activation,
                                      mask=kernel_mask, go_backwards=go_backwards,
                                      recurrent_masks=_constants(rec_masks, K))
        for a, b in zip(got, expected):
            np.testing.assert_allclose(kernels.to_numpy(a), b, rtol=1e-9, atol=1e-9)

    inputs = [K.placeholder(shape=a.shape, dtype='float64') for a in arrays]
    results = kernels.lstm_recurrence(*inputs, activation, mask=kernel_mask,
                                      go_backwards=go_backwards,
                                      recurrent_masks=_constants(rec_masks, K))
    loss = sum(K.sum(r * K.constant(w, 'float64')) for r, w in zip(results, weights))
    got = K.function(inputs, list(results) + K.gradients(loss, inputs))(list(arrays))
    for a, b in zip(got[:3], expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for index, grad in enumerate(got[3:]):
        np.testing.assert_allclose(grad, _numeric_gradient(np_loss, arrays, index),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('input_dropout', [False, True])
def test_input_recurrence_with_recurrent_masks_matches_numpy(numpy_lstm, backend, lstm_path,
                                                             activation, go_backwards,
                                                             input_dropout):
    """Keras 2's LSTM with `recurrent_dropout` (and `dropout`), `implementation=1`: one
    mask per gate on the inputs and on the recurrent state, a masked sequence; the
    gradients into the inputs, both kernels, the bias and the initial states."""
    K = backend
    arrays = _input_problem(10)
    input_masks = _input_masks(11) if input_dropout else None
    rec_masks = _recurrent_masks(12, 4)
    rng = np.random.RandomState(13)
    weights = [rng.randn(*shape) for shape in [(3, 5, 4), (3, 4), (3, 4)]]
    options = dict(mask=_MASK, go_backwards=go_backwards, recurrent_masks=rec_masks)

    def np_loss(values):
        results = _np_input_lstm(numpy_lstm, *values, activation, input_masks=input_masks,
                                 **options)
        return sum(float(np.sum(r * w)) for r, w in zip(results, weights))

    inputs = [K.placeholder(shape=a.shape, dtype='float64') for a in arrays]
    results = kernels.lstm_input_recurrence(
        *inputs, activation, mask=K.constant(_MASK, 'bool'), go_backwards=go_backwards,
        input_masks=_constants(input_masks, K), recurrent_masks=_constants(rec_masks, K))
    loss = sum(K.sum(r * K.constant(w, 'float64')) for r, w in zip(results, weights))
    got = K.function(inputs, list(results) + K.gradients(loss, inputs))(list(arrays))
    expected = _np_input_lstm(numpy_lstm, *arrays, activation, input_masks=input_masks,
                              **options)
    for a, b in zip(got[:3], expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for index, grad in enumerate(got[3:]):
        np.testing.assert_allclose(grad, _numeric_gradient(np_loss, list(arrays), index),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('shapes', [[(3, 4)] * 2, [(3, 5)]])
@pytest.mark.parametrize('kernel, gates', [('lstm_recurrence', 4), ('gru_recurrence', 3)])
def test_recurrent_masks_of_another_count_or_shape_are_refused(backend, shapes, kernel, gates):
    K = backend
    arrays = [K.constant(a) for a in (_problem(0) if gates == 4 else _gru_problem(0))]
    with pytest.raises(ValueError, match=r'recurrent_masks must be a list of 1 or %d masks '
                                         r'shaped like the state \(3, 4\)' % gates):
        getattr(kernels, kernel)(*arrays, 'sigmoid',
                                 recurrent_masks=[K.ones(shape) for shape in shapes])


# ---------------------------------------------------------------- GRU (reset_after=False)

def np_gru_recurrence(projected, h, kernel, activation, mask=None, go_backwards=False,
                      recurrent_masks=None):
    """Keras 2.2.4's GRU step loop (`reset_after=False`) over `projected = x @ W + b`. With
    three `recurrent_masks` (implementation 1) each gate's product takes the state times its
    mask and the new state mixes the unmasked one; with one (implementation 2) the state
    times the mask stands for the state everywhere."""
    gate = _activation(activation)
    units = h.shape[1]
    steps = range(projected.shape[1])
    outputs = []
    for t in (steps[::-1] if go_backwards else steps):
        x = projected[:, t]
        h_z = h_r = h_c = h_m = h
        if recurrent_masks is not None and len(recurrent_masks) == 1:
            h_z = h_r = h_c = h_m = h * recurrent_masks[0]
        elif recurrent_masks is not None:
            h_z, h_r, h_c = (h * m for m in recurrent_masks)
        z = gate(x[:, :units] + h_z @ kernel[:, :units])
        r = gate(x[:, units:2 * units] + h_r @ kernel[:, units:2 * units])
        hh = np.tanh(x[:, 2 * units:] + (r * h_c) @ kernel[:, 2 * units:])
        new_h = z * h_m + (1 - z) * hh
        if mask is not None:
            new_h = np.where(mask[:, t][:, None], new_h, h)
        h = new_h
        outputs.append(h)
    return np.stack(outputs, 1), h


def _gru_problem(seed, batch=3, steps=5, units=4):
    rng = np.random.RandomState(seed)
    return (rng.randn(batch, steps, 3 * units) * 2., rng.randn(batch, units),
            rng.randn(units, 3 * units) * 0.5)


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_gru_inference_path_matches_numpy(backend, lstm_path, activation, go_backwards,
                                          masked):
    K = backend
    arrays = _gru_problem(3)
    mask = _MASK if masked else None
    expected = np_gru_recurrence(*arrays, activation, mask=mask, go_backwards=go_backwards)
    _assert_inference_matches(kernels.gru_recurrence, K, arrays, activation, mask,
                              go_backwards, expected)


@pytest.mark.parametrize('activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
def test_gru_training_path_outputs_and_gradients_match_numpy(backend, lstm_path, activation,
                                                             go_backwards, masked):
    K = backend
    arrays = _gru_problem(4)
    mask = _MASK if masked else None
    rng = np.random.RandomState(5)
    weights = [rng.randn(*shape) for shape in [(3, 5, 4), (3, 4)]]

    def np_loss(values):
        results = np_gru_recurrence(*values, activation, mask=mask, go_backwards=go_backwards)
        return sum(float(np.sum(r * w)) for r, w in zip(results, weights))

    inputs = [K.placeholder(shape=a.shape, dtype='float64') for a in arrays]
    results = kernels.gru_recurrence(*inputs, activation,
                                     mask=None if mask is None else K.constant(mask, 'bool'),
                                     go_backwards=go_backwards)
    loss = sum(K.sum(r * K.constant(w, 'float64')) for r, w in zip(results, weights))
    got = K.function(inputs, list(results) + K.gradients(loss, inputs))(list(arrays))
    expected = np_gru_recurrence(*arrays, activation, mask=mask, go_backwards=go_backwards)
    for a, b in zip(got[:2], expected):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for index, grad in enumerate(got[2:]):
        np.testing.assert_allclose(grad, _numeric_gradient(np_loss, arrays, index),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('go_backwards', [False, True])
@pytest.mark.parametrize('masked', [False, True])
@pytest.mark.parametrize('count', [1, 3])
def test_gru_recurrent_masks_outputs_and_gradients_match_numpy(backend, lstm_path, count,
                                                              go_backwards, masked):
    """Keras 2's recurrent dropout in `gru_recurrence` (three masks, implementation 1; one,
    implementation 2): outputs, final state, and gradients into the projections, the initial
    state and the recurrent kernel, training and inference."""
    K = backend
    arrays = _gru_problem(6)
    masks = _recurrent_masks(7, count)
    mask = _MASK if masked else None
    rng = np.random.RandomState(8)
    weights = [rng.randn(*shape) for shape in [(3, 5, 4), (3, 4)]]

    def np_loss(values):
        results = np_gru_recurrence(*values, 'hard_sigmoid', mask=mask,
                                    go_backwards=go_backwards, recurrent_masks=masks)
        return sum(float(np.sum(r * w)) for r, w in zip(results, weights))

    inputs = [K.placeholder(shape=a.shape, dtype='float64') for a in arrays]
    results = kernels.gru_recurrence(
        *inputs, 'hard_sigmoid', mask=None if mask is None else K.constant(mask, 'bool'),
        go_backwards=go_backwards, recurrent_masks=_constants(masks, K))
    loss = sum(K.sum(r * K.constant(w, 'float64')) for r, w in zip(results, weights))
    got = K.function(inputs, list(results) + K.gradients(loss, inputs))(list(arrays))
    expected = np_gru_recurrence(*arrays, 'hard_sigmoid', mask=mask, go_backwards=go_backwards,
                                 recurrent_masks=masks)
    inference = kernels.gru_recurrence(
        *[K.constant(a, 'float64') for a in arrays], 'hard_sigmoid',
        mask=None if mask is None else K.constant(mask, 'bool'), go_backwards=go_backwards,
        recurrent_masks=_constants(masks, K))
    for got_results in (got[:2], [K.eval(r) for r in inference]):
        for a, b in zip(got_results, expected):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    for index, grad in enumerate(got[2:]):
        np.testing.assert_allclose(grad, _numeric_gradient(np_loss, arrays, index),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(K.backend() != 'torch', reason="the torch kernels' own tanh")
def test_torch_kernels_tanh_is_tanh_within_float32_rounding():
    """On CPU the torch kernels compute tanh as 2 * sigmoid(2x) - 1 (faster there); it stays
    within a few float32 roundings of tanh, also for large and tiny arguments."""
    from cornu.backend.torch.lstm_kernel import tanh_into
    x = np.concatenate([np.linspace(-20., 20., 4001), [-1e-7, 0., 1e-7, 1e30, -1e30]])
    tensor = K.constant(x.astype('float32'))
    out = K.zeros_like(tensor)
    tanh_into(tensor)(tensor, out)
    np.testing.assert_allclose(kernels.to_numpy(out), np.tanh(x), rtol=0, atol=2.5e-7)


@pytest.mark.skipif(K.backend() != 'torch', reason="the torch kernels' own tanh")
def test_torch_kernels_with_torchs_tanh_match_numpy(numpy_lstm, monkeypatch):
    """The kernels' path for devices other than the CPU (torch's tanh, engine ops) computes the
    same."""
    import torch
    from cornu.backend.torch import gru_kernel, lstm_kernel, lstm_loops
    for module in (gru_kernel, lstm_kernel):
        monkeypatch.setattr(module, 'tanh_into', lambda like: torch.tanh)
    monkeypatch.setattr(lstm_loops, 'loops_for', lambda dtype: None)
    for training in (False, True):
        arrays = _problem(6)
        tensors = [torch.tensor(a, requires_grad=training) for a in arrays]
        got = lstm_kernel.lstm_recurrence(*tensors, 'hard_sigmoid', mask=torch.tensor(_MASK))
        expected = numpy_lstm(*arrays, 'hard_sigmoid', mask=_MASK)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-9, atol=1e-9)
        arrays = _gru_problem(7)
        tensors = [torch.tensor(a, requires_grad=training) for a in arrays]
        got = gru_kernel.gru_recurrence(*tensors, 'hard_sigmoid', mask=torch.tensor(_MASK))
        expected = np_gru_recurrence(*arrays, 'hard_sigmoid', mask=_MASK)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-9, atol=1e-9)


@pytest.mark.skipif(K.backend() != 'torch', reason="torch's graph recording (torch.jit.trace)")
@pytest.mark.parametrize('count', [1, 4])
def test_torch_traced_recurrence_with_recurrent_masks_matches_numpy(numpy_lstm, count):
    """Recorded for export (`torch.jit.trace`), the LSTM's plain loop applies the recurrent
    masks as the kernels do."""
    import torch
    from cornu.backend.torch import lstm_kernel
    arrays = _problem(14)
    rec_masks = _recurrent_masks(15, count)

    def recurrence(projected, h, c, kernel, *masks):
        return lstm_kernel.lstm_recurrence(projected, h, c, kernel, 'sigmoid',
                                           mask=torch.tensor(_MASK), recurrent_masks=masks)

    tensors = [torch.tensor(a) for a in arrays + tuple(rec_masks)]
    traced = torch.jit.trace(recurrence, tuple(tensors), check_trace=False)
    expected = numpy_lstm(*arrays, 'sigmoid', mask=_MASK, recurrent_masks=rec_masks)
    for a, b in zip(traced(*tensors), expected):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-9, atol=1e-9)


@pytest.mark.skipif(K.backend() != 'torch', reason='torch tensors laid out with other strides')
def test_torch_recurrent_masks_with_non_contiguous_operands_match_numpy(numpy_lstm):
    """Projections and a recurrent kernel that are views with other strides (a transposed
    copy seen through `transpose`) give the same results with per-gate recurrent masks."""
    import torch
    projected, h, c, kernel = _problem(16)
    rec_masks = _recurrent_masks(17, 4)
    strided_projected = torch.tensor(projected.transpose(1, 0, 2).copy()).transpose(0, 1)
    strided_kernel = torch.tensor(kernel.T.copy()).t()
    assert not strided_projected.is_contiguous() and not strided_kernel.is_contiguous()
    expected = numpy_lstm(projected, h, c, kernel, 'hard_sigmoid', recurrent_masks=rec_masks)
    for training in (False, True):
        tensors = [strided_projected, torch.tensor(h), torch.tensor(c), strided_kernel]
        if training:
            tensors = [t.detach().requires_grad_() for t in tensors]
        got = kernels.lstm_recurrence(*tensors, 'hard_sigmoid',
                                      recurrent_masks=[torch.tensor(m) for m in rec_masks])
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-9, atol=1e-9)
