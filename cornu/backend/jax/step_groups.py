"""Several training steps in one compiled call on JAX (`TracedStep.run_steps`), and what one
step computes (`work`), from which the trainer decides whether grouping pays.

A group replays the trace of one step (`TracedStep._record`: the step as a jaxpr of the whole
state and one batch) inside a `lax.fori_loop` whose trip count is an argument: one compiled
call runs any number of steps up to the number of batches stacked, so that a single
executable serves full groups and an epoch's last, shorter one. The loop carries every state
value (the variables, the PRNG key, the step counter) as successive calls would, so the
numbers are those of one call per batch.
"""
import math

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ['run_recorded', 'work']


def _strong(value, like):
    """`value` with the dtype of `like` and no weak type: a loop carries values whose types
    never change from one step to the next (an assignment may give a weakly typed value)."""
    return lax.convert_element_type(value, like.dtype)


def run_recorded(recorded, state, stacked_args, count):
    """Traced: `count` steps (a traced `int32`, at most the stacked length) of the recorded
    step, each on its entry of `stacked_args` along axis 0.

    # Arguments
        recorded: `(closed jaxpr, input tree, input types, output tree)` of one step, a
            function `(state values, args) -> (new state values, outputs)`.
        state: the state values, in the recorded order.
        stacked_args: the step's arguments with a leading axis of steps.
        count: how many of them run.

    # Returns
        `(new state values, outputs)`, each output with the leading axis of the stacked
        arguments (entries past `count` are zeros).
    """
    closed, _, _, out_tree = recorded
    jaxpr, consts = closed.jaxpr, closed.consts
    held = len(state)
    leaves = jax.tree_util.tree_leaves(stacked_args)
    size = leaves[0].shape[0]
    output_types = closed.out_avals[held:]
    start = tuple(_strong(value, value) for value in state)
    collected = tuple(jnp.zeros((size,) + tuple(aval.shape), aval.dtype)
                      for aval in output_types)

    def one_step(index, carry):
        values, collected = carry
        batch = [lax.dynamic_index_in_dim(leaf, index, 0, keepdims=False) for leaf in leaves]
        results = jax.core.eval_jaxpr(jaxpr, consts, *values, *batch)
        values = tuple(_strong(new, old) for new, old in zip(results[:held], values))
        collected = tuple(lax.dynamic_update_index_in_dim(column, value.astype(column.dtype),
                                                          index, 0)
                          for column, value in zip(collected, results[held:]))
        return values, collected

    values, collected = lax.fori_loop(0, count, one_step, (start, collected))
    return jax.tree_util.tree_unflatten(out_tree, list(values) + list(collected))


def _size(aval):
    return math.prod(getattr(aval, 'shape', ()))


def _inner_jaxprs(params):
    """The jaxprs an equation's parameters hold (a loop's body, a call's function, a
    conditional's branches), as plain jaxprs."""
    for value in params.values():
        for item in (value if isinstance(value, (tuple, list)) else (value,)):
            if hasattr(item, 'eqns'):
                yield item
            elif hasattr(item, 'jaxpr') and hasattr(getattr(item, 'jaxpr'), 'eqns'):
                yield item.jaxpr


def work(jaxpr):
    """About how many arithmetic operations one run of `jaxpr` does: twice the multiply-adds
    of its matrix products and convolutions, plus one per element every other operation
    produces; a `scan` counts its body once per iteration, other loops once. An estimate of a
    step's cost that needs no compile."""
    total = 0
    for equation in jaxpr.eqns:
        name = equation.primitive.name
        produced = sum(_size(var.aval) for var in equation.outvars)
        if name == 'dot_general':
            (contracting, _), _ = equation.params['dimension_numbers']
            shape = equation.invars[0].aval.shape
            total += 2 * produced * math.prod(shape[d] for d in contracting)
        elif name == 'conv_general_dilated':
            kernel = equation.invars[1].aval.shape
            out_features = kernel[equation.params['dimension_numbers'].rhs_spec[0]]
            total += 2 * produced * (math.prod(kernel) // max(out_features, 1))
        else:
            total += produced
        times = equation.params.get('length', 1) if name == 'scan' else 1
        for inner in _inner_jaxprs(equation.params):
            total += times * work(inner)
    return total
