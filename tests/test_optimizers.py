"""Optimizers: every update formula against a NumPy version of Keras 2.2.4's, state layout,
hyperparameter variables, Keras 2-style custom optimizers, (de)serialization, torch.optim."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels
from cornu import optimizers
from cornu.constraints import NonNeg

EPS = 1e-7
INITIAL = [np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.7]]), np.array([0.25, -0.5])]
BASE_GRADS = [np.array([[0.3, -0.2, 0.5], [1.5, -0.05, 0.0]]), np.array([-0.4, 0.8])]


def gradient_sequence(steps):
    """Fixed, step-dependent gradients (sign flips make momentum and maxima matter)."""
    return [[g * (1.0 + 0.5 * k) * (-1.0) ** k + 0.01 * k for g in BASE_GRADS]
            for k in range(steps)]


def make_params(K):
    return [K.variable(value) for value in INITIAL]


def run_apply(K, optimizer, steps):
    params = make_params(K)
    optimizer.build(params)
    for grads in gradient_sequence(steps):
        with kernels.no_grad():
            optimizer.apply_gradients(params, [K.constant(g) for g in grads])
    return [K.get_value(p) for p in params]


# ---------------------------------------------------------------- NumPy references (Keras 2.2.4)

def clip_reference(grads, clipnorm=0., clipvalue=0.):
    if clipnorm > 0:
        norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        grads = [g * clipnorm / norm if norm >= clipnorm else g for g in grads]
    if clipvalue > 0:
        grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def decayed(lr, decay, iterations):
    return lr * (1. / (1. + decay * iterations)) if decay > 0 else lr


def sgd_reference(steps, lr=0.01, momentum=0., decay=0., nesterov=False, **clip):
    params = [p.copy() for p in INITIAL]
    moments = [np.zeros_like(p) for p in params]
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        lr_t = decayed(lr, decay, it)
        for i, g in enumerate(grads):
            v = momentum * moments[i] - lr_t * g
            moments[i] = v
            params[i] = params[i] + momentum * v - lr_t * g if nesterov else params[i] + v
    return params, moments


def rmsprop_reference(steps, lr=0.001, rho=0.9, epsilon=EPS, decay=0., **clip):
    params = [p.copy() for p in INITIAL]
    acc = [np.zeros_like(p) for p in params]
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        lr_t = decayed(lr, decay, it)
        for i, g in enumerate(grads):
            acc[i] = rho * acc[i] + (1. - rho) * g ** 2
            params[i] = params[i] - lr_t * g / (np.sqrt(acc[i]) + epsilon)
    return params, acc


def adagrad_reference(steps, lr=0.01, epsilon=EPS, decay=0., **clip):
    params = [p.copy() for p in INITIAL]
    acc = [np.zeros_like(p) for p in params]
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        lr_t = decayed(lr, decay, it)
        for i, g in enumerate(grads):
            acc[i] = acc[i] + g ** 2
            params[i] = params[i] - lr_t * g / (np.sqrt(acc[i]) + epsilon)
    return params, acc


def adadelta_reference(steps, lr=1.0, rho=0.95, epsilon=EPS, decay=0., **clip):
    params = [p.copy() for p in INITIAL]
    acc = [np.zeros_like(p) for p in params]
    delta = [np.zeros_like(p) for p in params]
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        lr_t = decayed(lr, decay, it)
        for i, g in enumerate(grads):
            acc[i] = rho * acc[i] + (1. - rho) * g ** 2
            update = g * np.sqrt(delta[i] + epsilon) / np.sqrt(acc[i] + epsilon)
            params[i] = params[i] - lr_t * update
            delta[i] = rho * delta[i] + (1. - rho) * update ** 2
    return params, acc + delta


def adam_reference(steps, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=EPS, decay=0.,
                   amsgrad=False, **clip):
    params = [p.copy() for p in INITIAL]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    vhats = [np.zeros_like(p) for p in params]
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        t = it + 1.
        lr_t = decayed(lr, decay, it) * np.sqrt(1. - beta_2 ** t) / (1. - beta_1 ** t)
        for i, g in enumerate(grads):
            ms[i] = beta_1 * ms[i] + (1. - beta_1) * g
            vs[i] = beta_2 * vs[i] + (1. - beta_2) * g ** 2
            if amsgrad:
                vhats[i] = np.maximum(vhats[i], vs[i])
                params[i] = params[i] - lr_t * ms[i] / (np.sqrt(vhats[i]) + epsilon)
            else:
                params[i] = params[i] - lr_t * ms[i] / (np.sqrt(vs[i]) + epsilon)
    return params, ms + vs + (vhats if amsgrad else [np.zeros(1) for _ in params])


def adamax_reference(steps, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=EPS, decay=0.,
                     **clip):
    params = [p.copy() for p in INITIAL]
    ms = [np.zeros_like(p) for p in params]
    us = [np.zeros_like(p) for p in params]
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        lr_t = decayed(lr, decay, it) / (1. - beta_1 ** (it + 1.))
        for i, g in enumerate(grads):
            ms[i] = beta_1 * ms[i] + (1. - beta_1) * g
            us[i] = np.maximum(beta_2 * us[i], np.abs(g))
            params[i] = params[i] - lr_t * ms[i] / (us[i] + epsilon)
    return params, ms + us


def nadam_reference(steps, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=EPS,
                    schedule_decay=0.004, **clip):
    params = [p.copy() for p in INITIAL]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    m_schedule = 1.
    for it, grads in enumerate(gradient_sequence(steps)):
        grads = clip_reference(grads, **clip)
        t = it + 1.
        mu_t = beta_1 * (1. - 0.5 * 0.96 ** (t * schedule_decay))
        mu_t1 = beta_1 * (1. - 0.5 * 0.96 ** ((t + 1) * schedule_decay))
        m_schedule_new = m_schedule * mu_t
        m_schedule_next = m_schedule * mu_t * mu_t1
        m_schedule = m_schedule_new
        for i, g in enumerate(grads):
            g_prime = g / (1. - m_schedule_new)
            ms[i] = beta_1 * ms[i] + (1. - beta_1) * g
            m_prime = ms[i] / (1. - m_schedule_next)
            vs[i] = beta_2 * vs[i] + (1. - beta_2) * g ** 2
            v_prime = vs[i] / (1. - beta_2 ** t)
            m_bar = (1. - mu_t) * g_prime + mu_t1 * m_prime
            params[i] = params[i] - lr * m_bar / (np.sqrt(v_prime) + epsilon)
    return params, ms + vs


CASES = [
    ('SGD', {}, sgd_reference),
    ('SGD', {'lr': 0.1, 'momentum': 0.9}, sgd_reference),
    ('SGD', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}, sgd_reference),
    ('SGD', {'lr': 0.1, 'momentum': 0.5, 'decay': 0.1}, sgd_reference),
    ('SGD', {'lr': 0.1, 'clipnorm': 0.5}, sgd_reference),
    ('SGD', {'lr': 0.1, 'clipvalue': 0.3}, sgd_reference),
    ('SGD', {'lr': 0.1, 'clipnorm': 1.0, 'clipvalue': 0.25}, sgd_reference),
    ('RMSprop', {}, rmsprop_reference),
    ('RMSprop', {'lr': 0.01, 'rho': 0.8, 'decay': 0.2, 'epsilon': 1e-4}, rmsprop_reference),
    ('Adagrad', {}, adagrad_reference),
    ('Adagrad', {'lr': 0.1, 'decay': 0.05, 'clipnorm': 0.7}, adagrad_reference),
    ('Adadelta', {}, adadelta_reference),
    ('Adadelta', {'lr': 0.5, 'rho': 0.9, 'decay': 0.1, 'epsilon': 1e-5}, adadelta_reference),
    ('Adam', {}, adam_reference),
    ('Adam', {'lr': 0.05, 'beta_1': 0.8, 'beta_2': 0.99, 'decay': 0.1}, adam_reference),
    ('Adam', {'lr': 0.05, 'amsgrad': True}, adam_reference),
    ('Adam', {'lr': 0.05, 'clipvalue': 0.4}, adam_reference),
    ('Adamax', {}, adamax_reference),
    ('Adamax', {'lr': 0.05, 'beta_2': 0.9, 'decay': 0.1}, adamax_reference),
    ('Nadam', {}, nadam_reference),
    ('Nadam', {'lr': 0.05, 'beta_1': 0.85, 'schedule_decay': 0.04}, nadam_reference),
    ('Nadam', {'lr': 0.05, 'clipnorm': 0.9}, nadam_reference),
]



@pytest.mark.parametrize('dtype,rtol', [('float16', 2e-2), ('float32', 2e-6),
                                        ('float64', 1e-12)])
def test_adadelta_across_dtypes_and_gradient_scales(backend, dtype, rtol):
    # Gradients from 1e-3 to 1e2 (float16's squares stay finite), so that the update's
    # ratio `(d + eps) / (a + eps)` spans many orders of magnitude in every dtype.
    K = backend
    rng = np.random.RandomState(3)
    start = rng.randn(4, 6)
    scales = np.logspace(-3, 2, 24).reshape(4, 6)
    grads = [(scales * rng.choice([-1., 1.], size=(4, 6)) * (1. + 0.1 * k)).astype(dtype)
             for k in range(5)]
    params = start.astype(dtype).astype(np.float64)
    acc, delta = np.zeros((4, 6)), np.zeros((4, 6))
    for g in grads:
        g = g.astype(np.float64)
        acc = 0.95 * acc + 0.05 * g ** 2
        update = g * np.sqrt(delta + EPS) / np.sqrt(acc + EPS)
        params = params - 0.5 * update
        delta = 0.95 * delta + 0.05 * update ** 2
    variable = K.variable(start, dtype=dtype)
    optimizer = optimizers.Adadelta(lr=0.5)
    optimizer.build([variable])
    for g in grads:
        with kernels.no_grad():
            optimizer.apply_gradients([variable], [K.constant(g, dtype=dtype)])
    got = K.get_value(variable)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.astype(np.float64), params, rtol=rtol)


@pytest.mark.parametrize('name,kwargs,reference', CASES,
                         ids=['%s-%s' % (c[0], '-'.join(sorted(c[1])) or 'defaults')
                              for c in CASES])
def test_update_formulas_match_keras(backend, name, kwargs, reference):
    K = backend
    steps = 4
    optimizer = getattr(optimizers, name)(**kwargs)
    got = run_apply(K, optimizer, steps)
    expected_params, expected_state = reference(steps, **kwargs)
    for g, e in zip(got, expected_params):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    # The accumulators follow Keras 2.2.4's order and shapes (iterations first when kept).
    state = optimizer.get_weights()
    if name in ('RMSprop', 'Adagrad', 'Adadelta'):
        accumulators = state
    else:
        assert state[0] == steps and state[0].dtype == np.int64
        accumulators = state[1:]
    assert len(accumulators) == len(expected_state)
    for g, e in zip(accumulators, expected_state):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert int(K.get_value(optimizer.iterations)) == steps


@pytest.mark.parametrize('name,count', [('SGD', 1 + 2), ('RMSprop', 2), ('Adagrad', 2),
                                        ('Adadelta', 4), ('Adam', 1 + 6), ('Adamax', 1 + 4),
                                        ('Nadam', 1 + 4)])
def test_weights_layout_as_keras_2_2_4(backend, name, count):
    K = backend
    optimizer = getattr(optimizers, name)()
    params = make_params(K)
    optimizer.build(params)
    optimizer.build(params)  # idempotent
    assert len(optimizer.weights) == count
    if name == 'Adam':
        assert [K.int_shape(w) for w in optimizer.weights[5:]] == [(1,), (1,)]
        assert optimizer.weights[0].name == 'Adam/iterations:0'
        assert optimizer.weights[1].name == 'training/Adam/Variable:0'
        assert optimizer.weights[6].name == 'training/Adam/Variable_5:0'


def test_hyperparameters_are_named_variables(backend):
    K = backend
    adam = optimizers.Adam()
    assert adam.lr.name == 'Adam/lr:0'
    assert [v.name for v in (adam.beta_1, adam.beta_2, adam.decay)] == \
        ['Adam/beta_1:0', 'Adam/beta_2:0', 'Adam/decay:0']
    assert K.dtype(adam.iterations) == 'int64'
    assert adam.epsilon == K.epsilon()
    nadam = optimizers.Nadam()
    assert nadam.m_schedule.name == 'Nadam/m_schedule:0'
    np.testing.assert_allclose(K.get_value(optimizers.SGD(lr=0.3, momentum=0.2).momentum), 0.2)
    assert optimizers.Adadelta(rho=0.9).rho == 0.9  # a Python float in Keras 2.2.4
    with pytest.raises(TypeError, match='Unexpected keyword argument passed to optimizer: '
                                        'decay'):
        optimizers.Nadam(decay=0.1)
    with pytest.raises(TypeError, match='Unexpected keyword argument passed to optimizer: '
                                        'learning_rate'):
        optimizers.Adam(learning_rate=0.1)


def test_get_updates_with_symbolic_loss(backend):
    K = backend
    x = K.placeholder(shape=(3,))
    w = K.variable(np.array([1., -2., 3.]))
    optimizer = optimizers.SGD(lr=0.1, momentum=0.9)
    loss = K.sum(K.square(w * x))  # x is fed ones: the loss is sum(w ** 2)
    updates = optimizer.get_updates(loss, [w])
    assert isinstance(updates, list)
    train = K.function([x], [loss], updates=updates)
    expected, velocity = np.array([1., -2., 3.]), np.zeros(3)
    for _ in range(3):
        train([np.ones(3, dtype=K.floatx())])
        velocity = 0.9 * velocity - 0.1 * 2 * expected
        expected = expected + velocity
    np.testing.assert_allclose(K.get_value(w), expected, rtol=1e-5)
    assert int(K.get_value(optimizer.iterations)) == 3
    assert not optimizer._uses_custom_get_updates


@pytest.mark.skipif(K.backend() != 'torch',
                    reason='get_updates on a loss computed eagerly applies one step at each call '
                           "only with torch's autograd tape; jax has no record of eager ops")
def test_get_updates_with_loss(backend):
    K = backend
    w = K.variable(np.array([1., -2., 3.]))
    optimizer = optimizers.SGD(lr=0.1, momentum=0.9)
    expected, velocity = np.array([1., -2., 3.]), np.zeros(3)
    for _ in range(3):
        loss = K.sum(K.square(w))
        updates = optimizer.get_updates(loss, [w])
        assert isinstance(updates, list)
        velocity = 0.9 * velocity - 0.1 * 2 * expected
        expected = expected + velocity
    np.testing.assert_allclose(K.get_value(w), expected, rtol=1e-5)
    assert int(K.get_value(optimizer.iterations)) == 3
    assert not optimizer._uses_custom_get_updates


def test_get_gradients_clips(backend):
    K = backend
    w = K.placeholder(shape=(2,))
    value = np.array([3., 4.], dtype=K.floatx())
    grads = optimizers.SGD(clipnorm=1.).get_gradients(K.sum(w * w) / 2., [w])
    np.testing.assert_allclose(K.function([w], grads)([value])[0], [0.6, 0.8], rtol=1e-6)
    grads = optimizers.SGD(clipvalue=3.5).get_gradients(K.sum(w * w) / 2., [w])
    np.testing.assert_allclose(K.function([w], grads)([value])[0], [3., 3.5], rtol=1e-6)
    g = K.constant(np.array([3., 4.]))
    np.testing.assert_allclose(K.get_value(optimizers.clip_norm(g, 1., K.constant(5.))),
                               [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(K.get_value(optimizers.clip_norm(g, 10., K.constant(5.))),
                               [3., 4.])


def test_symbolic_get_updates_with_k_function(backend):
    K = backend
    x = K.placeholder(shape=(None, 2))
    w = K.variable(np.array([[1.], [-1.]]))
    loss = K.mean(K.square(K.dot(x, w)))
    optimizer = optimizers.Adam(lr=0.1)
    train = K.function([x], [loss], updates=optimizer.get_updates(loss, [w]))
    data = np.array([[1., 2.], [0.5, -1.]])
    for _ in range(3):
        train([data])
    # The same steps through apply_gradients, with the gradients of the same loss.
    w_ref = K.variable(np.array([[1.], [-1.]]))
    ref_grads = K.function([x], K.gradients(K.mean(K.square(K.dot(x, w_ref))), [w_ref]))
    reference = optimizers.Adam(lr=0.1)
    reference.build([w_ref])
    for _ in range(3):
        grad = ref_grads([data])[0]
        with kernels.no_grad():
            reference.apply_gradients([w_ref], [K.constant(grad)])
    np.testing.assert_allclose(K.get_value(w), K.get_value(w_ref), rtol=1e-5)
    assert int(K.get_value(optimizer.iterations)) == 3


class MomentumSGD(optimizers.Optimizer):
    """A Keras 2-style custom optimizer: state made with K.zeros inside get_updates."""

    def __init__(self, lr=0.1, momentum=0.5, **kwargs):
        super(MomentumSGD, self).__init__(**kwargs)
        from cornu import backend as K
        self.iterations = K.variable(0, dtype='int64', name='iterations')
        self.lr = K.variable(lr, name='lr')
        self.momentum = momentum

    def get_updates(self, loss, params):
        from cornu import backend as K
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        moments = self._make_moments(params)
        self.weights = [self.iterations] + moments
        for p, g, m in zip(params, grads, moments):
            v = self.momentum * m - self.lr * g
            self.updates.append(K.update(m, v))
            self.updates.append(K.update(p, p + v))
        return self.updates

    def _make_moments(self, params):
        from cornu import backend as K
        return [K.zeros(K.int_shape(p)) for p in params]


@pytest.mark.skipif(K.backend() != 'torch',
                    reason='get_updates on a loss computed eagerly applies one step at each call '
                           "(reusing the state it made at the first) only with torch's autograd "
                           'tape; jax has no record of eager ops')
def test_keras2_style_custom_optimizer(backend):
    K = backend
    w = K.variable(np.array([1., -2.]))
    optimizer = MomentumSGD(lr=0.1, momentum=0.5)
    assert optimizer._uses_custom_get_updates
    expected, velocity = np.array([1., -2.]), np.zeros(2)
    first_weights = None
    for _ in range(4):
        loss = K.sum(K.square(w))  # computed with gradients enabled, as the trainer does
        optimizer.get_updates(loss, [w])
        if first_weights is None:
            first_weights = list(optimizer.weights)
        velocity = 0.5 * velocity - 0.1 * 2 * expected
        expected = expected + velocity
    np.testing.assert_allclose(K.get_value(w), expected, rtol=1e-5)
    assert all(a is b for a, b in zip(first_weights, optimizer.weights))
    np.testing.assert_allclose(optimizer.get_weights()[1], velocity, rtol=1e-5)
    assert int(K.get_value(optimizer.iterations)) == 4
    with pytest.raises(NotImplementedError, match='get_updates'):
        optimizer.apply_gradients([w], [K.constant(np.ones(2))])


class _ThreadedStateMaker(MomentumSGD):
    """MomentumSGD whose get_updates, once it has made its moments, waits for another thread
    to make a variable of the same shape with K.zeros."""

    def __init__(self, other_thread_turn, other_thread_done, **kwargs):
        super().__init__(**kwargs)
        self.other_thread_turn = other_thread_turn
        self.other_thread_done = other_thread_done

    def _make_moments(self, params):
        moments = super()._make_moments(params)
        self.other_thread_turn.set()
        assert self.other_thread_done.wait(30)
        return moments


@pytest.mark.skipif(K.backend() != 'torch',
                    reason='get_updates on a loss computed eagerly applies one step at each call '
                           "only with torch's autograd tape (see test_keras2_style_custom_optimizer)")
def test_state_reuse_of_get_updates_stays_in_its_thread(backend):
    """A variable another thread makes while a Keras 2-style get_updates runs is its own,
    not the optimizer's, and the optimizer keeps reusing its first run's state."""
    import threading
    K = backend
    w = K.variable(np.array([1., -2.]))
    turn, done = threading.Event(), threading.Event()
    optimizer = _ThreadedStateMaker(turn, done, lr=0.1, momentum=0.5)
    made_elsewhere = []

    def other_thread():
        for _ in range(2):
            assert turn.wait(30)
            turn.clear()
            made_elsewhere.append(K.zeros((2,)))
            done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    states = []
    for _ in range(2):
        optimizer.get_updates(K.sum(K.square(w)), [w])
        done.clear()
        states.append(list(optimizer.weights[1:]))
    worker.join(30)
    assert states[0][0] is states[1][0]  # the optimizer's own state, reused
    assert len(made_elsewhere) == 2 and made_elsewhere[0] is not made_elsewhere[1]
    assert all(m is not states[0][0] for m in made_elsewhere)
    expected_velocity = 0.5 * (-0.1 * 2 * np.array([1., -2.])) - 0.1 * 2 * np.array([0.8, -1.6])
    np.testing.assert_allclose(K.get_value(states[1][0]), expected_velocity, rtol=1e-5)


@pytest.mark.parametrize('name,kwargs', [('Adam', {'amsgrad': True}), ('Nadam', {}),
                                         ('RMSprop', {'decay': 0.1}), ('SGD', {'momentum': .9}),
                                         ('Adadelta', {})])
def test_weights_round_trip_resumes_exactly(backend, name, kwargs):
    K = backend
    grads = [K.constant(g) for g in BASE_GRADS]
    first = getattr(optimizers, name)(lr=0.01, **kwargs)
    params = make_params(K)
    first.build(params)
    for _ in range(3):
        first.apply_gradients(params, grads)
    saved_params = [K.get_value(p) for p in params]
    saved_state = first.get_weights()
    for _ in range(2):
        first.apply_gradients(params, grads)

    second = getattr(optimizers, name)(lr=0.01, **kwargs)
    resumed = [K.variable(v) for v in saved_params]
    second.build(resumed)
    second.set_weights(saved_state)
    if name == 'RMSprop':  # Keras 2.2.4 does not save iterations for RMSprop
        K.set_value(second.iterations, 3)
    for _ in range(2):
        second.apply_gradients(resumed, grads)
    for a, b in zip(params, resumed):
        np.testing.assert_array_equal(K.get_value(a), K.get_value(b))


def test_set_weights_errors(backend):
    K = backend
    optimizer = optimizers.Adam()
    optimizer.build(make_params(K))
    weights = optimizer.get_weights()
    with pytest.raises(ValueError) as error:
        optimizer.set_weights(weights[:-3])
    assert str(error.value) == ('Length of the specified weight list (4) does not match the '
                                'number of weights of the optimizer (7)')
    bad = list(weights)
    bad[1] = np.zeros((3, 2))
    with pytest.raises(ValueError) as error:
        optimizer.set_weights(bad)
    assert str(error.value) == ('Optimizer weight shape (2, 3) not compatible with provided '
                                'weight shape (3, 2)')
    assert int(K.get_value(optimizer.iterations)) == 0  # nothing half-assigned
    # Layouts of Keras 2.3 files load too.
    optimizer.set_weights([np.array(7)] + weights[1:5])
    assert int(K.get_value(optimizer.iterations)) == 7
    rmsprop = optimizers.RMSprop()
    rmsprop.build(make_params(K))
    rmsprop.set_weights([np.array(5)] + [np.ones_like(w) for w in rmsprop.get_weights()])
    assert int(K.get_value(rmsprop.iterations)) == 5


def test_config_round_trip_and_get(backend):
    K = backend
    for cls, kwargs in [(optimizers.SGD, {'lr': 0.5, 'momentum': 0.25, 'nesterov': True}),
                        (optimizers.RMSprop, {'rho': 0.5, 'epsilon': 1e-3}),
                        (optimizers.Adagrad, {'decay': 0.25}),
                        (optimizers.Adadelta, {'rho': 0.5}),
                        (optimizers.Adam, {'amsgrad': True, 'beta_1': 0.5, 'clipnorm': 1.}),
                        (optimizers.Adamax, {'clipvalue': 0.5}),
                        (optimizers.Nadam, {'schedule_decay': 0.5})]:
        optimizer = cls(**kwargs)
        config = optimizer.get_config()
        for key, value in kwargs.items():
            assert config[key] == value
        clone = cls.from_config(config)
        assert clone.get_config() == config
        rebuilt = optimizers.deserialize(optimizers.serialize(optimizer))
        assert type(rebuilt) is cls and rebuilt.get_config() == config
    assert set(optimizers.SGD().get_config()) == {'lr', 'momentum', 'decay', 'nesterov'}
    assert set(optimizers.Nadam().get_config()) == {'lr', 'beta_1', 'beta_2', 'epsilon',
                                                    'schedule_decay'}
    # The given dict's built-in class name is normalised in place; a custom one is kept.
    config = optimizers.serialize(optimizers.RMSprop(lr=0.25))
    assert config['class_name'] == 'RMSprop'
    assert optimizers.deserialize(config).get_config()['lr'] == 0.25
    assert config['class_name'] == 'rmsprop'
    custom = {'class_name': 'MySGD', 'config': {'lr': 0.5}}
    rebuilt = optimizers.deserialize(custom, custom_objects={'MySGD': optimizers.SGD})
    assert type(rebuilt) is optimizers.SGD and custom['class_name'] == 'MySGD'
    assert isinstance(optimizers.get('adam'), optimizers.Adam)
    assert isinstance(optimizers.get('RMSprop'), optimizers.RMSprop)
    assert isinstance(optimizers.get({'class_name': 'SGD', 'config': {'lr': 0.2}}),
                      optimizers.SGD)
    instance = optimizers.Nadam()
    assert optimizers.get(instance) is instance
    assert optimizers.sgd is optimizers.SGD and optimizers.nadam is optimizers.Nadam
    with pytest.raises(ValueError, match='Unknown optimizer: adamw'):
        optimizers.get('adamw')
    with pytest.raises(ValueError, match='Could not interpret optimizer identifier: 42'):
        optimizers.get(42)


def test_set_value_on_lr_takes_effect(backend):
    K = backend
    optimizer = optimizers.SGD(lr=0.1)
    w = K.variable(np.array([1., 1.]))
    g = K.constant(np.array([1., -2.]))
    optimizer.apply_gradients([w], [g])
    K.set_value(optimizer.lr, 0.5)
    optimizer.apply_gradients([w], [g])
    np.testing.assert_allclose(K.get_value(w), [1. - 0.1 - 0.5, 1. + 0.2 + 1.0], rtol=1e-6)
    K.set_value(optimizer.iterations, 10)
    adam = optimizers.Adam(lr=0.1, decay=0.5)
    w2 = K.variable(np.array([1.]))
    K.set_value(adam.iterations, 4)
    adam.apply_gradients([w2], [K.constant(np.array([2.]))])
    lr_t = 0.1 / (1. + 0.5 * 4) * np.sqrt(1. - 0.999 ** 5) / (1. - 0.9 ** 5)
    m, v = 0.1 * 2., 0.001 * 4.
    np.testing.assert_allclose(K.get_value(w2), [1. - lr_t * m / (np.sqrt(v) + EPS)],
                               rtol=1e-5)
    assert int(K.get_value(adam.iterations)) == 5


def test_constraints_and_missing_gradients(backend):
    K = backend
    constrained = K.variable(np.array([0.1, 0.2, -0.3]), constraint=NonNeg())
    unused = K.variable(np.array([5., 6.]))
    optimizer = optimizers.SGD(lr=1.)
    optimizer.build([constrained, unused])
    with kernels.no_grad():
        optimizer.apply_gradients([constrained, unused],
                                  [K.constant(np.array([0.5, -0.1, 0.1])), None])
    np.testing.assert_allclose(K.get_value(constrained), [0., 0.3, 0.], atol=1e-7)
    np.testing.assert_array_equal(K.get_value(unused), [5., 6.])
    assert int(K.get_value(optimizer.iterations)) == 1


def test_tf_optimizer_points_to_torch_optimizer(backend):
    with pytest.raises(ValueError, match='TorchOptimizer'):
        optimizers.TFOptimizer(object())


def test_torch_optimizer(backend):
    K = backend
    if K.backend() != 'torch':
        pytest.skip('torch.optim interop')
    import torch
    optimizer = optimizers.TorchOptimizer(
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9))
    assert optimizers.get(optimizer) is optimizer
    w = K.variable(np.array([1., -2.]), constraint=NonNeg())
    optimizer.build([w])
    assert isinstance(optimizer.native, torch.optim.SGD)
    g = K.constant(np.array([0.5, 0.5]))
    optimizer.apply_gradients([w], [g])
    np.testing.assert_allclose(K.get_value(w), [0.95, 0.], rtol=1e-6)
    K.set_value(optimizer.lr, 1.0)
    optimizer.apply_gradients([w], [g])
    # torch momentum buffer: b = 0.9 * 0.5 + 0.5 = 0.95; w = 0.95 - 1.0 * 0.95
    np.testing.assert_allclose(K.get_value(w), [0., 0.], atol=1e-6)
    assert int(K.get_value(optimizer.iterations)) == 2
    with pytest.raises(NotImplementedError, match='include_optimizer=False'):
        optimizer.get_config()
    wrapped = optimizers.get(torch.optim.Adam)
    assert isinstance(wrapped, optimizers.TorchOptimizer)
    v = K.variable(np.array([1.]))
    loss = K.sum(K.square(v))
    wrapped.get_updates(loss, [v])
    np.testing.assert_allclose(K.get_value(v), [1. - 0.001], rtol=1e-5)


def test_engine_wrappers_refuse_the_other_engine(backend):
    K = backend
    other = optimizers.OptaxOptimizer if K.backend() == 'torch' else optimizers.TorchOptimizer
    with pytest.raises(ValueError, match='running on ' + K.backend()):
        other(object())
    own = optimizers.TorchOptimizer if K.backend() == 'torch' else optimizers.OptaxOptimizer
    with pytest.raises(TypeError, match=own.__name__ + ' expects'):
        own(42)


def _optax_or_skip(K):
    if K.backend() != 'jax':
        pytest.skip('optax interop')
    return pytest.importorskip('optax')


def test_optax_optimizer(backend):
    K = backend
    optax = _optax_or_skip(K)
    optimizer = optimizers.OptaxOptimizer(
        optax.inject_hyperparams(optax.sgd)(learning_rate=0.1, momentum=0.9))
    assert optimizers.get(optimizer) is optimizer
    w = K.variable(np.array([1., -2.]), constraint=NonNeg())
    unused = K.variable(np.array([5.]))
    optimizer.build([w, unused])
    np.testing.assert_allclose(K.get_value(optimizer.lr), 0.1, rtol=1e-6)
    g = K.constant(np.array([0.5, 0.5]))
    optimizer.apply_gradients([w, unused], [g, None])
    # optax momentum: trace = g + 0.9 * trace; w -= lr * trace; then NonNeg.
    np.testing.assert_allclose(K.get_value(w), [0.95, 0.], rtol=1e-6)
    np.testing.assert_array_equal(K.get_value(unused), [5.])
    K.set_value(optimizer.lr, 1.0)
    saved = optimizer.get_weights()
    optimizer.apply_gradients([w, unused], [g, None])
    # trace = 0.5 + 0.9 * 0.5 = 0.95; w = 0.95 - 1.0 * 0.95
    np.testing.assert_allclose(K.get_value(w), [0., 0.], atol=1e-6)
    assert int(K.get_value(optimizer.iterations)) == 2
    # Restoring the state makes the step repeat exactly.
    optimizer.set_weights(saved)
    K.set_value(w, np.array([0.95, 0.]))
    optimizer.apply_gradients([w, unused], [g, None])
    np.testing.assert_allclose(K.get_value(w), [0., 0.], atol=1e-6)
    with pytest.raises(ValueError, match='Length of the specified weight list'):
        optimizer.set_weights(saved[:1])
    with pytest.raises(NotImplementedError, match='include_optimizer=False'):
        optimizer.get_config()
    assert isinstance(optimizers.get(optax.adam(1e-3)), optimizers.OptaxOptimizer)


def test_optax_fit_matches_a_handwritten_loop(backend, tmp_path):
    K = backend
    optax = _optax_or_skip(K)
    import jax
    import jax.numpy as jnp
    from cornu.layers import Dense
    from cornu.models import Sequential, load_model
    x = np.random.rand(48, 5).astype('float32')
    y = np.random.rand(48, 2).astype('float32')
    model = Sequential([Dense(4, activation='tanh', input_shape=(5,)), Dense(2)])
    params = [jnp.asarray(w) for w in model.get_weights()]
    model.compile(optimizer=optax.adamw(0.01, weight_decay=0.1), loss='mse')
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)

    transformation = optax.adamw(0.01, weight_decay=0.1)
    state = transformation.init(params)

    def loss(ps, xb, yb):
        out = jnp.tanh(xb @ ps[0] + ps[1]) @ ps[2] + ps[3]
        return jnp.mean((out - yb) ** 2)

    for _ in range(2):
        for start in range(0, 48, 16):
            grads = jax.grad(loss)(params, x[start:start + 16], y[start:start + 16])
            updates, state = transformation.update(grads, state, params)
            params = optax.apply_updates(params, updates)
    for got, expected in zip(model.get_weights(), params):
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-5, atol=1e-6)
    assert int(K.get_value(model.optimizer.iterations)) == 6
    # Saved without the optimizer (it has no config), with a warning; the model loads.
    path = str(tmp_path / 'optax.h5')
    with pytest.warns(UserWarning, match='OptaxOptimizer'):
        model.save(path)
    np.testing.assert_allclose(load_model(path, compile=False).predict(x), model.predict(x),
                               rtol=1e-6)
