"""Optimizer updates on JAX: Keras 2 formulas over lists of parameters.

The functions mirror `cornu.backend.torch.optim`, whose updates are in place: here a list
entry that is a variable gets its new value assigned (in the state scope while a step is
traced, so the update becomes part of the jitted step), and a list entry that is an array is
replaced in the list. Hyperparameters arrive as Python numbers or, inside a traced step, as
traced scalars read from their variables (`scalar_value`), so `K.set_value(optimizer.lr, ...)`
takes effect at the next step without tracing again. `cornu.optimizers` reaches these
functions through `K` only.
"""
import numpy as np
import jax
import jax.numpy as jnp

from ..run_context import current
from . import core
from .core import KerasVariable, _assign, _t

__all__ = [
    'scalar_value', 'assign_scalar', 'advance_counter', 'forget_scalar', 'clip_gradients',
    'apply_constraints', 'sgd_update', 'rmsprop_update', 'adagrad_update', 'adadelta_update',
    'adam_update', 'adamax_update', 'nadam_update', 'is_native_optimizer', 'native_optimizer',
    'native_optimizer_step', 'native_optimizer_lr', 'dispatches_plainly', 'update_mode',
]


def dispatches_plainly(tensors):
    """Always `True` on JAX, which has no tensor subclasses to dispatch to (the name
    mirrors `cornu.backend.torch.optim`)."""
    return True


def update_mode(plain, grads):
    """The context of an optimizer update: `core.no_grad()` (nothing to turn off on JAX;
    see `cornu.backend.torch.optim.update_mode`)."""
    return core.no_grad()


def scalar_value(variable):
    """The value of a one-element variable as a number.

    Outside a traced step it is a Python number, read from the device only when the variable
    was assigned since the last read; inside one it is the traced scalar of the step.

    # Arguments
        variable: a variable holding one number (a learning rate, `iterations`, ...).

    # Returns
        A Python `float` or `int`, or a traced 0-d array.
    """
    scope = current().state_scope
    if scope is not None:
        value = scope.read(variable)
        if isinstance(value, core._Tracer):
            # Hyperparameter arithmetic in float64, as the Python floats of the torch engine.
            value = value.reshape(())
            if jnp.issubdtype(value.dtype, jnp.floating):
                value = value.astype(jnp.float64)
            return value
    else:
        value = variable._value
    cache = variable.__dict__.get('_cornu_scalar')
    if cache is not None and cache[0] is value:
        return cache[1]
    number = np.asarray(value).reshape(()).item()
    variable._cornu_scalar = (value, number)
    return number


def forget_scalar(variable):
    """Drops the cached number of `variable`."""
    variable._cornu_scalar = None


def assign_scalar(variable, value):
    """Writes a number into a one-element variable.

    # Returns
        The number as the variable stores it (rounded to its dtype).
    """
    array = jnp.asarray(value, dtype=variable.dtype).reshape(variable.shape)
    _assign(variable, array)
    if isinstance(array, core._Tracer):
        return array.reshape(())
    stored = np.asarray(value, dtype=variable.dtype).reshape(()).item()
    variable._cornu_scalar = (array, stored)
    return stored


def advance_counter(variable, count):
    """Adds one to an integer counter variable whose current value is `count`.

    # Returns
        `count + 1`, the new value.
    """
    count = count + 1
    array = jnp.asarray(count, dtype=variable.dtype).reshape(variable.shape)
    _assign(variable, array)
    if not isinstance(array, core._Tracer):
        variable._cornu_scalar = (array, count)
    return count


def _read(item):
    return item.value if isinstance(item, KerasVariable) else item


def _write(items, index, value):
    item = items[index]
    if isinstance(item, KerasVariable):
        if value.dtype != item.dtype:
            value = value.astype(item.dtype)
        _assign(item, value)
    else:
        items[index] = value


def _as(number, like):
    """A hyperparameter in the dtype of `like` (Python numbers stay weakly typed)."""
    if isinstance(number, (jax.Array, np.ndarray, np.generic)):
        return jnp.asarray(number).astype(like.dtype)
    return number


def clip_gradients(grads, clipnorm=0., clipvalue=0.):
    """Clips gradients as Keras 2 optimizers do (the list entries are replaced).

    With `clipnorm > 0`, all gradients are scaled by `clipnorm / norm` when their global L2
    norm `norm` reaches `clipnorm`; then, with `clipvalue > 0`, every entry is clipped to
    `[-clipvalue, clipvalue]`.

    # Arguments
        grads: list of gradient tensors (its entries are replaced).

    # Returns
        `grads`.
    """
    if not grads:
        return grads
    if clipnorm and clipnorm > 0:
        squares = [jnp.sum(jnp.square(_t(g).astype(jnp.float32))) for g in grads]
        total = jnp.sqrt(sum(squares))
        scale = jnp.minimum(clipnorm / total, 1.0)
        for i, g in enumerate(grads):
            g = _t(g)
            grads[i] = g * scale.astype(g.dtype)
    if clipvalue and clipvalue > 0:
        for i, g in enumerate(grads):
            grads[i] = jnp.clip(_t(g), -clipvalue, clipvalue)
    return grads


def apply_constraints(params):
    """Replaces each parameter `p` by `p.constraint(p)`.

    # Arguments
        params: variables whose `constraint` is not `None`.
    """
    for p in params:
        _assign(p, _t(p.constraint(p)).astype(p.dtype))


def sgd_update(params, grads, moments, lr, momentum, nesterov):
    """Keras 2 SGD: `v = momentum * m - lr * g`; `p += v` (Nesterov:
    `p += momentum * v - lr * g`); `m = v`."""
    for i in range(len(params)):
        p, g, m = _read(params[i]), _t(grads[i]), _read(moments[i])
        m = m * _as(momentum, m) + g * -_as(lr, g)
        if nesterov:
            p = p + m * _as(momentum, m) + g * -_as(lr, g)
        else:
            p = p + m
        _write(moments, i, m)
        _write(params, i, p)


def rmsprop_update(params, grads, accumulators, lr, rho, epsilon):
    """Keras 2 RMSprop: `a = rho * a + (1 - rho) * g^2`; `p -= lr * g / (sqrt(a) + eps)`."""
    for i in range(len(params)):
        p, g, a = _read(params[i]), _t(grads[i]), _read(accumulators[i])
        a = a * _as(rho, a) + g * g * _as(1. - rho, a)
        p = p - _as(lr, p) * g / (jnp.sqrt(a) + epsilon)
        _write(accumulators, i, a)
        _write(params, i, p)


def adagrad_update(params, grads, accumulators, lr, epsilon):
    """Keras 2 Adagrad: `a += g^2`; `p -= lr * g / (sqrt(a) + eps)`."""
    for i in range(len(params)):
        p, g, a = _read(params[i]), _t(grads[i]), _read(accumulators[i])
        a = a + g * g
        p = p - _as(lr, p) * g / (jnp.sqrt(a) + epsilon)
        _write(accumulators, i, a)
        _write(params, i, p)


def adadelta_update(params, grads, accumulators, delta_accumulators, lr, rho, epsilon):
    """Keras 2 Adadelta: `a = rho * a + (1 - rho) * g^2`;
    `u = g * sqrt(d + eps) / sqrt(a + eps)` (old `d`); `p -= lr * u`;
    `d = rho * d + (1 - rho) * u^2`."""
    for i in range(len(params)):
        p, g = _read(params[i]), _t(grads[i])
        a, d = _read(accumulators[i]), _read(delta_accumulators[i])
        a = a * _as(rho, a) + g * g * _as(1. - rho, a)
        u = jnp.sqrt(d + epsilon) / jnp.sqrt(a + epsilon) * g
        p = p - u * _as(lr, p)
        d = d * _as(rho, d) + u * u * _as(1. - rho, d)
        _write(accumulators, i, a)
        _write(delta_accumulators, i, d)
        _write(params, i, p)


def adam_update(params, grads, ms, vs, vhats, lr_t, beta_1, beta_2, epsilon, amsgrad):
    """Keras 2 Adam: `m = b1 * m + (1 - b1) * g`; `v = b2 * v + (1 - b2) * g^2`;
    `p -= lr_t * m / (sqrt(v) + eps)`, with `vhat = max(vhat, v)` in place of `v` for AMSGrad.

    # Arguments
        lr_t: the bias-corrected rate `lr * sqrt(1 - b2^t) / (1 - b1^t)`.
        vhats: AMSGrad maxima (ignored unless `amsgrad`).
    """
    for i in range(len(params)):
        p, g, m, v = _read(params[i]), _t(grads[i]), _read(ms[i]), _read(vs[i])
        m = m * _as(beta_1, m) + g * _as(1. - beta_1, g)
        v = v * _as(beta_2, v) + g * g * _as(1. - beta_2, g)
        if amsgrad:
            vhat = jnp.maximum(_read(vhats[i]), v)
            _write(vhats, i, vhat)
            denominator = jnp.sqrt(vhat) + epsilon
        else:
            denominator = jnp.sqrt(v) + epsilon
        p = p - _as(lr_t, p) * m / denominator
        _write(ms, i, m)
        _write(vs, i, v)
        _write(params, i, p)


def adamax_update(params, grads, ms, us, lr_t, beta_1, beta_2, epsilon):
    """Keras 2 Adamax: `m = b1 * m + (1 - b1) * g`; `u = max(b2 * u, |g|)`;
    `p -= lr_t * m / (u + eps)` with `lr_t = lr / (1 - b1^t)`."""
    for i in range(len(params)):
        p, g, m, u = _read(params[i]), _t(grads[i]), _read(ms[i]), _read(us[i])
        m = m * _as(beta_1, m) + g * _as(1. - beta_1, g)
        u = jnp.maximum(u * _as(beta_2, u), jnp.abs(g))
        p = p - _as(lr_t, p) * m / (u + epsilon)
        _write(ms, i, m)
        _write(us, i, u)
        _write(params, i, p)


def nadam_update(params, grads, ms, vs, lr, beta_1, beta_2, epsilon, gradient_scale,
                 moment_scale, v_scale):
    """Keras 2 Nadam, given its per-step scalars.

    `m = b1 * m + (1 - b1) * g`; `v = b2 * v + (1 - b2) * g^2`;
    `m_bar = gradient_scale * g + moment_scale * m`; `p -= lr * m_bar / (sqrt(v * v_scale) + eps)`.

    # Arguments
        gradient_scale: `(1 - mu_t) / (1 - m_schedule_new)`.
        moment_scale: `mu_{t+1} / (1 - m_schedule_next)`.
        v_scale: `1 / (1 - b2^t)`.
    """
    for i in range(len(params)):
        p, g, m, v = _read(params[i]), _t(grads[i]), _read(ms[i]), _read(vs[i])
        m = m * _as(beta_1, m) + g * _as(1. - beta_1, g)
        v = v * _as(beta_2, v) + g * g * _as(1. - beta_2, g)
        direction = m * _as(moment_scale, m) + g * _as(gradient_scale, g)
        denominator = jnp.sqrt(v * _as(v_scale, v)) + epsilon
        p = p - _as(lr, p) * direction / denominator
        _write(ms, i, m)
        _write(vs, i, v)
        _write(params, i, p)


# ---------------------------------------------------------------- optax transformations
# optax is optional: it is imported when a transformation is wrapped, never at start-up.

def _optax():
    try:
        import optax
    except ImportError:
        return None
    return optax


def is_native_optimizer(obj):
    """Whether `obj` is an optax gradient transformation (what `OptaxOptimizer` wraps)."""
    optax = _optax()
    return optax is not None and isinstance(obj, optax.GradientTransformation)


class _OptaxState(object):
    """An optax transformation with its state held in variables.

    Each leaf of the transformation's state pytree is a (non-trainable) variable, so the state
    is threaded through a jitted training step like any optimizer accumulator.

    # Arguments
        transformation: the optax `GradientTransformation`.
        params: the variables it updates.
    """

    def __init__(self, transformation, params):
        self.transformation = transformation
        state = transformation.init([p.value for p in params])
        paths_and_leaves, self.treedef = jax.tree_util.tree_flatten_with_path(state)
        self.variables = [
            KerasVariable(jnp.asarray(leaf), trainable=False,
                          name='OptaxOptimizer/state_%d:0' % index)
            for index, (_, leaf) in enumerate(paths_and_leaves)]
        # The leaf of `optax.inject_hyperparams(...)`'s learning rate, when there is one.
        self.lr_index = None
        for index, (path, _) in enumerate(paths_and_leaves):
            names = [getattr(key, 'name', getattr(key, 'key', None)) for key in path]
            if 'hyperparams' in names and names[-1] in ('learning_rate', 'lr'):
                self.lr_index = index
                break


def native_optimizer(optimizer, params):
    """Prepares an optax transformation to update `params`.

    # Arguments
        optimizer: an optax `GradientTransformation` (e.g. `optax.adam(1e-3)`, a chain, or
            `optax.inject_hyperparams(optax.sgd)(learning_rate=0.1)` for a learning rate
            that `K.set_value` can change).
        params: the variables to train.

    # Returns
        The transformation with its state, initialised from the current values of `params`.

    # Raises
        TypeError: when `optimizer` is not an optax gradient transformation.
    """
    if not is_native_optimizer(optimizer):
        raise TypeError('OptaxOptimizer expects an optax GradientTransformation such as '
                        'optax.adam(1e-3); got %r.' % (optimizer,))
    return _OptaxState(optimizer, list(params))


def native_optimizer_lr(native):
    """The learning rate injected into an optax transformation's state
    (`optax.inject_hyperparams`), or `None` when it has none."""
    if native.lr_index is None:
        return None
    return np.asarray(native.variables[native.lr_index].value).reshape(()).item()


def native_optimizer_step(native, params, grads, lr_variable=None):
    """Runs one update of an optax transformation with the given gradients.

    Parameters and state leaves are assigned their new values (through the state scope
    inside a jitted step). A parameter whose gradient is `None` is left unchanged.

    # Arguments
        native: what `native_optimizer` returned.
        params, grads: parameters and their gradients.
        lr_variable: optional variable whose value becomes the injected learning rate
            before the update (so `K.set_value(optimizer.lr, ...)` takes effect).
    """
    state_variables = native.variables
    leaves = [v.value for v in state_variables]
    if lr_variable is not None and native.lr_index is not None:
        leaf = leaves[native.lr_index]
        leaves[native.lr_index] = jnp.asarray(scalar_value(lr_variable)).astype(leaf.dtype)
    values = [p.value for p in params]
    # optax wants a gradient for every parameter: a missing one counts as zero.
    dense_grads = [jnp.zeros_like(value) if g is None else _t(g).astype(value.dtype)
                   for value, g in zip(values, grads)]
    state = jax.tree_util.tree_unflatten(native.treedef, leaves)
    updates, state = native.transformation.update(dense_grads, state, values)
    for variable, leaf in zip(state_variables, jax.tree_util.tree_leaves(state)):
        _assign(variable, jnp.asarray(leaf).astype(variable.dtype))
    for p, g, value, update in zip(params, grads, values, updates):
        if g is not None:
            _assign(p, (value + update).astype(value.dtype))
