"""How `K.gradients` is answered on JAX: by tracing again the recorded ops that computed the
loss.

JAX keeps no tape of eager operations. On symbolic tensors `K.gradients` records an op; while
the op runs as a step of an execution plan, the run context's `gradient_op` holds the plan
from that plan's inputs to the op's loss, the op's targets and the values the plan was fed
(the plan sets it: see `cornu.engine.execution_plan`; the innermost op's, per thread), and
`core.gradients` asks `retraced_gradients` for the gradients: the loss's plan is traced again
as a function of the op's targets (variables, the function's inputs, or intermediate symbolic
tensors) and differentiated with `jax.grad`, the same way whether the function runs eagerly
or is itself traced (a compiled `K.function`). Gradients of gradients work the same way.

Variables and the state scope belong to `core`, which imports this module; `core.gradients`
hands in how to read a value and how to trace with variables standing for given values, so
that nothing here imports `core`.
"""
import jax
import jax.numpy as jnp

from ..run_context import current


def running():
    """Whether a gradient op of an execution plan is being computed."""
    return current().gradient_op is not None


def retraced_gradients(given, value_of, is_variable, substituting_scope):
    """The gradients of the loss of the running gradient op with respect to its targets.

    # Arguments
        given: the op's targets as computed: variables, or arrays standing for symbolic
            tensors.
        value_of: the array a target stands for (a variable's current value).
        is_variable: whether a target is a variable.
        substituting_scope: `substituting_scope(values)` enters the state scope to trace the
            loss in, where the variables whose ids key `values` read the values given there.

    # Returns
        A list of gradients, one per target.
    """
    sub_plan, targets, fed, feeds = current().gradient_op
    start = [value_of(g) for g in given]
    # The sub-plan's inputs: the function's, then the intermediate targets.
    input_index = {id(t): i for i, t in enumerate(sub_plan.inputs)}

    def loss_of(diff):
        substitutes = {}
        inputs = list(feeds) + [None] * len(fed)
        for target, concrete, value in zip(targets, given, diff):
            if is_variable(concrete):
                substitutes[id(concrete)] = value
            elif id(target) in input_index:
                # A fed value or an intermediate tensor: fed to the sub-plan as the traced
                # value (no variable stands for it, so that a traced K.function keeps its
                # state from one call to the next).
                inputs[input_index[id(target)]] = value
        with substituting_scope(substitutes):
            out = value_of(sub_plan.run(inputs)[0])
        return jnp.sum(out) if out.ndim else out

    return list(jax.grad(loss_of)(start))
