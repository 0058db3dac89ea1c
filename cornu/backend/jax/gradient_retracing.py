"""How `K.gradients` is answered on JAX: by tracing again the recorded ops that computed the
loss.

JAX keeps no tape of eager operations. On symbolic tensors `K.gradients` records an op; when a
`K.function` whose outputs need it is built, `prepare` gives each gradient op of the function's
execution plan the sub-plan from the plan's inputs to the op's loss. While such an op runs, its
sub-plan and the values fed to the function are the run context's `gradient_op` (see
`cornu.backend.run_context`; the innermost op's, per thread), and `core.gradients` asks
`retraced_gradients` for the gradients: the sub-plan is traced again as a function of the op's
targets (variables, the function's inputs, or intermediate symbolic tensors) and differentiated
with `jax.grad`, the same way whether the function runs eagerly or is itself traced (a
compiled `K.function`). Gradients of gradients work the same way, their sub-plans being
prepared in turn.

Variables and the state scope belong to `core`, which imports this module; `core.gradients`
hands in how to read a value and how to trace with variables standing for given values, so
that nothing here imports `core`.
"""
import jax
import jax.numpy as jnp

from ..run_context import current, run_context
from ..symbolic import is_symbolic


def running():
    """Whether a gradient op of a prepared plan is being computed."""
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


def _slot_value(layer, template):
    # A recorded op's argument: its symbolic inputs appear as slots holding an index.
    if type(template).__name__ == '_Slot':
        return layer.symbolic_inputs[template.index]
    return template


def _gradient_operands(layer):
    args, kwargs = layer.args_template, layer.kwargs_template
    loss = kwargs['loss'] if 'loss' in kwargs else args[0]
    targets = kwargs['variables'] if 'variables' in kwargs else args[1]
    targets = list(targets) if isinstance(targets, (list, tuple)) else [targets]
    return _slot_value(layer, loss), [_slot_value(layer, t) for t in targets]


def prepare(plan):
    """Makes the gradient ops of an execution plan compute by tracing again (see the module
    doc): each gets the sub-plan from the plan's inputs to its loss."""
    if getattr(plan, '_cornu_retracing', False):
        return
    plan._cornu_retracing = True
    run = plan.run

    def recording_run(values, *args, **kwargs):
        # The gradient ops of this plan read what it was fed; a gradient op runs as a step of
        # the innermost running plan, so the context's feeds are its plan's.
        with run_context(plan_feeds=list(values)):
            return run(values, *args, **kwargs)

    plan.run = recording_run
    for step in plan.steps:
        if not getattr(step.layer, '_is_gradients', False):
            continue
        loss, targets = _gradient_operands(step.layer)
        fed = []
        for target in targets:
            if is_symbolic(target) and not any(target is t for t in plan.inputs) and \
                    not any(target is t for t in fed):
                fed.append(target)
        sub_plan = type(plan)(list(plan.inputs) + fed, [loss])
        prepare(sub_plan)
        step.call = _gradient_call(step.call, sub_plan, targets, fed)


def _gradient_call(call, sub_plan, targets, fed):
    def call_in_context(inputs, **kwargs):
        with run_context(gradient_op=(sub_plan, targets, fed, current().plan_feeds)):
            return call(inputs, **kwargs)
    return call_in_context
