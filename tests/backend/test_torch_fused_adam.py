"""Adam on the torch engine runs torch's fused kernel on the CPU (`_fused_adam_`, its bias
correction neutralised so that the rate and epsilon are Keras 2's): the numbers of Keras 2's
formula, as the multi-tensor update computes it, for every float type, with AMSGrad too."""
import numpy as np
import pytest

from cornu import backend as K
from cornu import optimizers

pytestmark = pytest.mark.skipif(K.backend() != 'torch', reason="the torch engine's Adam")

if K.backend() == 'torch':
    import torch
    from cornu.backend.torch import optim


@pytest.fixture
def fused_calls(monkeypatch):
    """Counts the calls of torch's fused Adam."""
    calls = []
    original = torch._fused_adam_

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)
    monkeypatch.setattr(torch, '_fused_adam_', counted)
    return calls


def _adam_steps(dtype, amsgrad, steps=3):
    """Parameters and accumulators after `steps` updates from fixed gradients."""
    rng = np.random.RandomState(0)
    params = [K.variable(rng.randn(4, 3).astype(dtype), dtype=dtype),
              K.variable(rng.randn(3).astype(dtype), dtype=dtype)]
    optimizer = optimizers.Adam(lr=0.01, amsgrad=amsgrad)
    optimizer.build(params)
    for step in range(steps):
        grads = [K.constant(rng.randn(*K.int_shape(p)) * (step + 1), dtype=dtype)
                 for p in params]
        optimizer.apply_gradients(params, grads)
    return [K.get_value(p) for p in params] + optimizer.get_weights()[1:]


def _numpy_adam(dtype, amsgrad, steps=3, lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras 2.2.4's Adam on the same numbers, in float64 (its hyperparameters are float32
    variables: rounded as they are)."""
    lr, beta_1, beta_2 = (float(np.float32(value)) for value in (lr, beta_1, beta_2))
    rng = np.random.RandomState(0)
    params = [rng.randn(4, 3).astype(dtype).astype('float64'),
              rng.randn(3).astype(dtype).astype('float64')]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    vhats = [np.zeros_like(p) for p in params]
    for step in range(steps):
        t = step + 1.
        lr_t = lr * np.sqrt(1. - beta_2 ** t) / (1. - beta_1 ** t)
        for i, p in enumerate(params):
            g = (rng.randn(*p.shape) * (step + 1)).astype(dtype).astype('float64')
            ms[i] = beta_1 * ms[i] + (1. - beta_1) * g
            vs[i] = beta_2 * vs[i] + (1. - beta_2) * g * g
            vhats[i] = np.maximum(vhats[i], vs[i])
            params[i] = p - lr_t * ms[i] / (np.sqrt(vhats[i] if amsgrad else vs[i]) + epsilon)
    return params, ms, vs, vhats


@pytest.mark.parametrize('dtype', ['float32', 'float64'])
@pytest.mark.parametrize('amsgrad', [False, True])
def test_fused_adam_gives_keras_2s_numbers(fused_calls, monkeypatch, dtype, amsgrad):
    fused = _adam_steps(dtype, amsgrad)
    assert len(fused_calls) == 3
    monkeypatch.setattr(optim, '_FUSED_ADAM', False)
    multi_tensor = _adam_steps(dtype, amsgrad)
    assert len(fused_calls) == 3
    for a, b in zip(fused, multi_tensor):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    params, ms, vs, vhats = _numpy_adam(dtype, amsgrad)
    # (Weights: the parameters, then the slots m, v and vhat, as Keras 2.2.4 orders them.)
    np.testing.assert_allclose(fused[0], params[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused[1], params[1], rtol=1e-5, atol=1e-6)
    for got, expected in zip(fused[2:4], ms):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    for got, expected in zip(fused[4:6], vs):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    if amsgrad:
        for got, expected in zip(fused[6:8], vhats):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_a_rate_held_in_a_tensor_takes_the_multi_tensor_update(fused_calls):
    params = [torch.ones(3)]
    grads = [torch.full((3,), 0.5)]
    ms, vs = [torch.zeros(3)], [torch.zeros(3)]
    optim.adam_update(params, grads, ms, vs, [torch.zeros(1)], torch.tensor(0.1), 0.9, 0.999,
                      1e-7, False)
    assert fused_calls == []
    expected = 1. - 0.1 * 0.05 / (np.sqrt(0.00025) + 1e-7)
    np.testing.assert_allclose(params[0].numpy(), [expected] * 3, rtol=1e-6)


def test_gradients_and_parameters_of_other_strides(fused_calls):
    """A gradient with other strides (a transposed view) is read as it is laid out; a
    parameter with other strides takes the multi-tensor update: Keras' numbers either way."""
    def update(param, grad):
        ms, vs = [torch.zeros_like(param)], [torch.zeros_like(param)]
        optim.adam_update([param], [grad], ms, vs, [torch.zeros(1)], 0.1, 0.9, 0.999, 1e-7,
                          False)
        return param, ms[0], vs[0]

    grad = torch.arange(12.).reshape(4, 3).t() / 10.
    expected_m, expected_v = 0.1 * grad, 0.001 * grad * grad
    expected_param = 1. - 0.1 * expected_m / (expected_v.sqrt() + 1e-7)
    param, m, v = update(torch.ones(3, 4), grad)
    assert len(fused_calls) == 1
    for got, expected in ((param, expected_param), (m, expected_m), (v, expected_v)):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
    param, m, v = update(torch.ones(4, 3).t(), grad.contiguous())
    assert len(fused_calls) == 1
    np.testing.assert_allclose(param.numpy(), expected_param.numpy(), rtol=1e-6)
