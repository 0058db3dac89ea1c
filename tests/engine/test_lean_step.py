"""The shortcuts of the training step give the numbers of the general path.

A training step skips work that cannot change its result: the PyTorch engine asks the
autograd engine for the gradients directly (`GradientFunction.gradients`), a callback list
calls and times only the callbacks that have a batch hook of their own, `K.argmax` takes
boolean tensors (so `categorical_accuracy` needs no dtype test). Each test compares with the
general path or a NumPy reference.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu import callbacks
from cornu import metrics
from cornu.callbacks.base import CallbackList
from cornu.layers import Dense
from cornu.models import Sequential


def test_argmax_and_argmin_take_booleans(backend):
    values = np.array([[False, True, False], [True, False, True], [False, False, False]])
    tensor = backend.constant(values, dtype='bool')
    np.testing.assert_array_equal(backend.eval(backend.argmax(tensor)),
                                  np.argmax(values, axis=-1))
    np.testing.assert_array_equal(backend.eval(backend.argmin(tensor, axis=0)),
                                  np.argmin(values, axis=0))


def test_categorical_accuracy_of_boolean_targets(backend):
    targets = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=bool)
    predictions = np.array([[.1, .8, .1], [.2, .7, .1], [.1, .2, .7]], dtype='float32')
    got = backend.eval(metrics.categorical_accuracy(backend.constant(targets, dtype='bool'),
                                                    backend.constant(predictions)))
    expected = (np.argmax(targets, -1) == np.argmax(predictions, -1)).astype('float32')
    np.testing.assert_array_equal(got, expected)


class _CountsBatches(callbacks.Callback):
    def __init__(self):
        super(_CountsBatches, self).__init__()
        self.begun = []

    def on_batch_begin(self, batch, logs=None):
        self.begun.append(batch)


def _small_model():
    model = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
    return model


def test_batch_begin_hooks_of_subclasses_and_lambdas_still_run():
    x = np.random.random((10, 4)).astype('float32')
    y = np.eye(3, dtype='float32')[np.random.randint(0, 3, 10)]
    counter = _CountsBatches()
    lambda_batches = []
    lambda_hook = callbacks.LambdaCallback(
        on_batch_begin=lambda batch, logs: lambda_batches.append(batch))
    _small_model().fit(x, y, batch_size=4, epochs=2, verbose=0,
                       callbacks=[counter, lambda_hook])
    assert counter.begun == [0, 1, 2, 0, 1, 2]
    assert lambda_batches == [0, 1, 2, 0, 1, 2]


def test_a_callback_appended_later_gets_batch_begin():
    plain = callbacks.Callback()
    hooks = CallbackList([plain])
    hooks.on_epoch_begin(0)
    hooks.on_batch_begin(0, {})  # nothing to call yet
    counter = _CountsBatches()
    hooks.append(counter)
    hooks.on_batch_begin(1, {})
    assert counter.begun == [1]


def test_a_hook_given_to_an_instance_counts():
    plain = callbacks.Callback()
    seen = []
    plain.on_batch_begin = lambda batch, logs: seen.append(batch)
    hooks = CallbackList([plain])
    hooks.on_epoch_begin(0)
    hooks.on_batch_begin(3, {})
    assert seen == [3]


@pytest.mark.skipif(K.backend() != 'torch', reason='the PyTorch engine\'s gradient function')
def test_direct_gradients_equal_autograd_grad():
    import torch
    from cornu.backend.torch.steps import GradientFunction

    torch.manual_seed(0)
    used = torch.nn.Parameter(torch.randn(4, 3))
    unused = torch.nn.Parameter(torch.randn(2))
    x = torch.randn(5, 4)

    def fn(inputs):
        return torch.tanh(inputs @ used).square().mean(), None

    loss, _, grads = GradientFunction(fn, [used, unused])(x)
    expected = torch.autograd.grad(fn(x)[0], [used, unused], allow_unused=True)
    assert loss.requires_grad is False
    assert torch.equal(grads[0], expected[0])
    assert grads[1] is None and expected[1] is None


@pytest.mark.skipif(K.backend() != 'torch', reason='the PyTorch engine\'s gradient function')
def test_gradients_of_a_non_scalar_loss_raise_as_autograd_does():
    import torch
    from cornu.backend.torch.steps import GradientFunction

    weight = torch.nn.Parameter(torch.ones(3))
    gradient_function = GradientFunction(lambda: (weight * 2., None), [weight])
    with pytest.raises(RuntimeError, match='scalar'):
        gradient_function()


@pytest.mark.skipif(K.backend() != 'torch', reason='the PyTorch engine\'s gradient function')
def test_gradients_changed_in_place_leave_the_next_steps_alone():
    # The backward pass's seed is kept from step to step; a loss that hands it on unchanged
    # as a weight's gradient must not let an in-place change of that gradient (clipping)
    # reach the next step's gradients. Losses of two dtypes share the function too.
    import torch
    from cornu.backend.torch.steps import GradientFunction

    weight = torch.nn.Parameter(torch.tensor(2.))
    double = torch.nn.Parameter(torch.tensor(2., dtype=torch.float64))
    passed_on = GradientFunction(lambda: (weight + 0., None), [weight])
    scaled = GradientFunction(lambda w: (w * 3., None), [weight, double])
    for _ in range(3):
        _, _, grads = passed_on()
        assert grads[0].item() == 1.
        grads[0].mul_(0.)
        _, _, grads = scaled(weight)
        assert grads[0].item() == 3. and grads[1] is None
        grads[0].mul_(0.)
        _, _, grads = scaled(double)
        assert grads[1].item() == 3. and grads[1].dtype == torch.float64
        grads[1].mul_(0.)


def _batch(seed=0, rows=16, classes=5):
    rng = np.random.RandomState(seed)
    logits = rng.randn(rows, classes).astype('float32')
    targets = np.eye(classes, dtype='float32')[rng.randint(0, classes, rows)]
    return targets, logits


def test_fused_batch_means_equal_the_k_formulas(backend):
    from cornu.backend import kernels

    targets, logits = _batch()
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y_true, y_pred = backend.constant(targets), backend.constant(probabilities)
    y_logits = backend.constant(logits)

    fused = backend.eval(kernels.mean_categorical_accuracy(y_true, y_pred))
    general = backend.eval(backend.mean(metrics.categorical_accuracy(y_true, y_pred)))
    assert fused == general
    np.testing.assert_allclose(fused, np.mean(targets.argmax(-1) == probabilities.argmax(-1)))

    binary_true = backend.constant((targets[:, :2] > 0).astype('float32'))
    binary_pred = backend.constant(probabilities[:, :2] * 2)
    fused = backend.eval(kernels.mean_binary_accuracy(binary_true, binary_pred))
    general = backend.eval(backend.mean(metrics.binary_accuracy(binary_true, binary_pred)))
    assert fused == general
    np.testing.assert_allclose(fused, np.mean(np.mean(
        (targets[:, :2] > 0) == np.round(probabilities[:, :2] * 2), axis=-1)))

    fused = backend.eval(kernels.mean_crossentropy_from_logits(y_true, y_logits))
    general = backend.eval(backend.mean(
        backend.categorical_crossentropy(y_true, y_logits, from_logits=True)))
    # (The PyTorch engine averages inside the loss op: equal up to rounding.)
    np.testing.assert_allclose(fused, general, rtol=3e-7)
    np.testing.assert_allclose(fused, np.mean(-np.sum(targets * np.log(probabilities), -1)),
                               rtol=1e-5)


if K.backend() == 'torch':
    import torch

    @pytest.mark.parametrize('rows', [1, 7, 32, 33])
    @pytest.mark.parametrize('one_hot', [True, False])
    def test_fused_crossentropy_mean_has_the_gradients_of_the_k_formula(rows, one_hot):
        from cornu.backend import kernels

        rng = np.random.RandomState(rows)
        logits = (rng.randn(rows, 10) * 3).astype('float32')
        targets = np.eye(10, dtype='float32')[rng.randint(0, 10, rows)] if one_hot else \
            rng.dirichlet(np.ones(10), rows).astype('float32')
        fused_logits = torch.tensor(logits, requires_grad=True)
        general_logits = torch.tensor(logits, requires_grad=True)
        y_true = torch.tensor(targets)
        fused = kernels.mean_crossentropy_from_logits(y_true, fused_logits)
        general = K.mean(K.categorical_crossentropy(y_true, general_logits, from_logits=True))
        fused.backward()
        general.backward()
        # The gradients, what training follows, are the general formula's bit for bit.
        np.testing.assert_array_equal(fused_logits.grad.numpy(), general_logits.grad.numpy())
        np.testing.assert_allclose(fused.item(), general.item(), rtol=3e-7)
        shifted = logits - logits.max(-1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        np.testing.assert_allclose(fused.item(), np.mean(-np.sum(targets * log_softmax, -1)),
                                   rtol=1e-5)


def test_fused_categorical_accuracy_of_boolean_targets_in_float64(backend):
    from cornu.backend import kernels

    targets, logits = _batch(seed=3)
    floatx = backend.floatx()
    backend.set_floatx('float64')
    try:
        value = kernels.mean_categorical_accuracy(backend.constant(targets > 0, dtype='bool'),
                                                  backend.constant(logits))
        assert backend.dtype(value) == 'float64'
        np.testing.assert_allclose(backend.eval(value),
                                   np.mean(targets.argmax(-1) == logits.argmax(-1)))
    finally:
        backend.set_floatx(floatx)


def _trained(sample_weight, metric_names):
    """Weights, epoch logs and an evaluation after two epochs of a softmax classifier."""
    K.clear_session()
    rng = np.random.RandomState(7)
    x = rng.randn(40, 6).astype('float32')
    y = np.eye(4, dtype='float32')[rng.randint(0, 4, 40)]
    model = Sequential([Dense(8, activation='relu', input_shape=(6,)),
                        Dense(4, activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy', metrics=metric_names)
    model.set_weights([rng.uniform(-.5, .5, w.shape).astype('float32')
                       for w in model.get_weights()])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False,
                        sample_weight=sample_weight)
    return model.get_weights(), history.history, model.evaluate(x, y, verbose=0)


def test_the_fused_loss_and_metric_train_as_the_weighted_general_path():
    # Sample weights of ones take the general, weighted path; none take the fused one.
    fused_weights, fused_logs, fused_eval = _trained(None, ['accuracy', 'binary_accuracy'])
    general_weights, general_logs, general_eval = _trained(
        np.ones(40, dtype='float32'), ['accuracy', 'binary_accuracy'])
    for fused, general in zip(fused_weights, general_weights):
        np.testing.assert_allclose(fused, general, rtol=1e-6, atol=1e-7)
    assert sorted(fused_logs) == sorted(general_logs) == ['acc', 'binary_accuracy', 'loss']
    for key in fused_logs:
        np.testing.assert_allclose(fused_logs[key], general_logs[key], rtol=1e-6)
    np.testing.assert_allclose(fused_eval, general_eval, rtol=1e-6)
