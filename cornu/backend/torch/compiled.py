"""`K.compile_function` on torch: the run of a `K.function`, prepared for repeated calls.

A module of its own, like its JAX twin, whose compiling code builds on `core` (and so cannot be
imported by it).
"""
from .core import variable, dtype, is_floating

__all__ = ['compile_function']


def compile_function(run, variables=(), watch_inputs=False):
    """Prepares the run of a `K.function` (`run(values)` returns its outputs and assigns its
    updates) for repeated calls. Torch runs it eagerly.

    # Arguments
        run: the function of the list of fed tensors.
        variables: the variables it reads or assigns (unused on torch).
        watch_inputs: whether gradients may be taken with respect to the fed values: floating
            ones are then fed as variables, so that autograd records their use.

    # Returns
        A function of the list of fed tensors.
    """
    if not watch_inputs:
        return run

    def watched(values):
        return run([variable(v, dtype=dtype(v)) if is_floating(v) else v for v in values])
    return watched
