"""The source of random numbers of image augmentation.

Keras 2 drew every augmentation parameter from NumPy's global generator and, for a seeded
iterator, reseeded that global generator before each batch. Worker threads preparing batches
at the same time then reseed and draw from one shared generator, so a seeded flow is not
reproducible with more than one worker. Here a seeded batch gets its own `RandomState`
(seeded with the same number Keras 2 used, so the draws are the same), installed for the
current thread only (the run context's `augmentation_rng`); without a seed the global
generator is used, as in Keras 2.
"""
import numpy as np

from ...backend.run_context import current, run_context


def current_rng():
    """The generator augmentation draws from in this thread: the one installed by
    `using_rng`, else NumPy's global generator (the `np.random` module)."""
    rng = current().augmentation_rng
    return np.random if rng is None else rng


def using_rng(rng):
    """Context manager making `rng` (a `np.random.RandomState`, or None for the global
    generator) the generator of the current thread inside the `with` block."""
    return run_context(augmentation_rng=rng)


def seeded(seed):
    """A fresh `RandomState` seeded with `seed` (taken modulo 2**32)."""
    return np.random.RandomState(int(seed) % (2 ** 32))
