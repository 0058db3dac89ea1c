"""Dynamic loss scaling on JAX: unscaling gradients and a step that may be skipped.

See `cornu.optimizers.loss_scale` for the algorithm. Inside a traced step the update always
runs, and every variable it assigned takes its new value only where the condition holds
(`jnp.where`): no host synchronisation, one compiled step for both outcomes.
"""
import jax
import jax.numpy as jnp

from ..run_context import current

__all__ = ['unscale_and_check', 'apply_when']


def unscale_and_check(grads, scale):
    """The gradients divided by `scale`, and whether all of them are finite.

    # Arguments
        grads: list of gradient arrays (or `None`).
        scale: the loss scale, a scalar (array or variable value).

    # Returns
        `(grads, all_finite)`: a new list, and a boolean scalar array.
    """
    inverse = 1. / jnp.asarray(getattr(scale, 'value', scale), dtype=jnp.float32)
    unscaled = [None if g is None else g * inverse.astype(g.dtype) for g in grads]
    checks = [jnp.all(jnp.isfinite(g)) for g in unscaled if g is not None]
    finite = jnp.all(jnp.stack(checks)) if checks else jnp.asarray(True)
    return unscaled, finite


def apply_when(condition, update):
    """Runs `update()` (which assigns variables) so that its assignments hold only when
    `condition` does.

    # Arguments
        condition: a boolean scalar array.
        update: a function of no arguments.
    """
    scope = current().state_scope
    if scope is None or not isinstance(condition, jax.core.Tracer):
        if bool(condition):
            update()
        return
    before = dict(scope.values)
    update()
    for key in list(scope.written):
        new, old = scope.values.get(key), before.get(key)
        if old is not None and new is not old:
            scope.values[key] = jnp.where(condition, new, old)
