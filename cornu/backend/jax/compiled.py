"""`K.compile_function` on JAX: the run of a `K.function`, compiled with `jax.jit`.

A module of its own: the compiled run (`tracing.CompiledFunction`) builds on `core`, so
`core` cannot import it.
"""
from .tracing import CompiledFunction

__all__ = ['compile_function']


def compile_function(run, variables=(), watch_inputs=False):
    """Prepares the run of a `K.function` (`run(values)` returns its outputs and assigns its
    updates) for repeated calls: it is compiled with `jax.jit`, once per input signature and
    learning phase, as a pure function of the fed values and the variables' values (see
    `cornu.backend.jax.tracing.CompiledFunction`).

    The run's Python code runs while it is traced, not at every call. A run that cannot be
    traced (it reads a value with `K.eval` or NumPy, or branches on one) runs eagerly.

    # Arguments
        run: the function of the list of fed tensors.
        variables: the variables it reads or assigns (more are found while tracing).
        watch_inputs: whether gradients may be taken with respect to the fed values; nothing
            to prepare on JAX, whose gradients trace again from the fed values.

    # Returns
        A function of the list of fed tensors.
    """
    return CompiledFunction(run, variables)
