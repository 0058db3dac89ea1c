"""The optimizer update's context (`kernels.update_mode`): no gradients recorded, and on
PyTorch no search for `__torch_function__` on variables, while a tensor subclass that
overrides it keeps its dispatch and the numbers are those of the plain update."""
import numpy as np
import pytest

from cornu import backend as K
from cornu import optimizers
from cornu.backend import kernels
from cornu.layers import Dense
from cornu.models import Sequential


def _sgd_step(plain, grads_of_params):
    """One SGD step with momentum from fixed weights and gradients, under the update mode."""
    params = [K.variable(np.array([[1., -2.], [3., 0.5]], 'float32')),
              K.variable(np.array([0.25, -1.], 'float32'))]
    optimizer = optimizers.SGD(lr=0.1, momentum=0.9)
    optimizer.build(params)
    for _ in range(2):
        grads = grads_of_params(params)
        with kernels.update_mode(plain, grads):
            optimizer.apply_gradients(params, grads)
    return [K.get_value(p) for p in params] + optimizer.get_weights()[1:]


def _numpy_sgd(grads):
    params = [np.array([[1., -2.], [3., 0.5]], 'float32'), np.array([0.25, -1.], 'float32')]
    moments = [np.zeros_like(p) for p in params]
    for _ in range(2):
        for i, g in enumerate(grads):
            moments[i] = np.float32(0.9) * moments[i] - np.float32(0.1) * g
            params[i] = params[i] + moments[i]
    return params + moments


def test_the_update_gives_the_numbers_of_the_formula_in_both_modes():
    grads = [np.array([[0.5, -1.], [2., 0.]], 'float32'), np.array([1., -0.5], 'float32')]
    expected = _numpy_sgd(grads)
    for plain in (True, False):
        got = _sgd_step(plain, lambda params: [K.constant(g) for g in grads])
        for value, reference in zip(got, expected):
            np.testing.assert_allclose(value, reference, rtol=1e-6, atol=1e-7)


def test_the_weights_a_model_trains_dispatch_plainly():
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile('sgd', 'mse')
    assert kernels.dispatches_plainly(model._trainer.params)


def test_nothing_is_recorded_for_gradients_in_the_update():
    variable = K.variable(np.ones((2,), 'float32'))
    with kernels.update_mode(True, []):
        result = variable * 2.
    assert not getattr(result, 'requires_grad', False)


if K.backend() == 'torch':
    import torch

    class _Traced(torch.Tensor):
        """A tensor subclass whose `__torch_function__` counts the ops it sees."""
        seen = []

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            cls.seen.append(getattr(func, '__name__', str(func)))
            return super().__torch_function__(func, types, args, kwargs or {})

    def test_a_subclass_that_overrides_torch_function_keeps_its_dispatch():
        # As a weight, it makes the weights not plain; as a gradient, the step's mode keeps
        # the dispatch on.
        traced = torch.ones(2).as_subclass(_Traced)
        assert not kernels.dispatches_plainly([traced])
        assert kernels.dispatches_plainly([torch.ones(2), torch.nn.Parameter(torch.ones(2)),
                                           K.variable(np.ones(2))])
        _Traced.seen[:] = []
        variable = K.variable(np.zeros((2,), 'float32'))
        with kernels.update_mode(True, [traced]):
            torch._foreach_add_([variable], [traced])
        assert _Traced.seen, 'the subclass was not dispatched to'
        np.testing.assert_array_equal(K.get_value(variable), [1., 1.])

    def test_plain_tensors_skip_the_subclass_dispatch_inside_the_mode():
        _Traced.seen[:] = []
        traced = torch.ones(2).as_subclass(_Traced)
        with kernels.update_mode(True, [torch.ones(2)]):
            torch.add(traced, 1.)
        # Inside the mode even this subclass is not dispatched to: the mode is only entered
        # where no tensor of the update overrides `__torch_function__`.
        assert not _Traced.seen
        torch.add(traced, 1.)
        assert _Traced.seen

    def test_writes_inside_the_mode_still_count_in_versions():
        # The mode dispatches below autograd; a weight written there must still look
        # changed to autograd (a graph that saved it refuses to differentiate) and to the
        # cached numbers of `scalar_value`.
        weight = K.variable(np.array([1., 2.], 'float32'))
        product = (weight * weight).sum()
        rate = K.variable(0.5)
        assert kernels.scalar_value(rate) == 0.5
        with kernels.update_mode(True, [torch.ones(2)]):
            torch._foreach_add_([weight], [torch.ones(2)])
            rate.add_(1.)
            result = weight * 2.
        assert not result.requires_grad
        np.testing.assert_array_equal(K.get_value(weight), [2., 3.])
        assert kernels.scalar_value(rate) == 1.5
        with pytest.raises(RuntimeError, match='modified by an inplace operation'):
            product.backward()


def test_the_counter_advances_by_one():
    for start in (0, 41, 2 ** 40):
        counter = K.variable(start, dtype='int64')
        for step in range(1, 4):
            assert kernels.advance_counter(counter, kernels.scalar_value(counter)) == \
                start + step
            assert int(K.get_value(counter)) == start + step
