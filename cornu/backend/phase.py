"""The learning phase: 0 = test, 1 = train, as in Keras 2.

Three sources, in order of precedence: a phase the user fixed with `set_learning_phase`, the
phase of the run in progress in this thread (fit trains with 1; evaluate and predict run
with 0; see `run_context`), and outside any run the symbolic `LEARNING_PHASE`, which
`K.function` accepts as an input.
"""
from .run_context import current, run_context
from .symbolic import LEARNING_PHASE, is_symbolic

# Set by `set_learning_phase`: a process-wide user setting (every thread sees it, as in
# Keras 2), not the state of a run.
_user_phase = None


def learning_phase():
    """Returns the learning phase: an int inside a run, else the symbolic placeholder."""
    if _user_phase is not None:
        return _user_phase
    phase = current().learning_phase
    return LEARNING_PHASE if phase is None else phase


def fixed_learning_phase():
    """The phase fixed by `set_learning_phase` (0 or 1), `None` when none is fixed."""
    return _user_phase


def set_learning_phase(value):
    """Fixes the learning phase for everything that follows (0 = test, 1 = train).

    # Raises
        ValueError: if `value` is neither 0 nor 1.
    """
    global _user_phase
    if value not in (0, 1):
        raise ValueError('Expected learning phase to be 0 or 1.')
    _user_phase = int(value)


def reset_learning_phase():
    """Forgets a phase fixed by `set_learning_phase` (called by `clear_session`); the phase of
    a run ends with its `learning_phase_scope`."""
    global _user_phase
    _user_phase = None


def current_run_phase():
    """The phase of the run in progress in this thread (`None` outside any run)."""
    return current().learning_phase


def learning_phase_scope(value):
    """Context manager running its block with the given phase (unless the user fixed one).

    # Arguments
        value: the learning phase, 0 (test) or 1 (train).

    # Returns
        A context manager; the phase holds in the current thread only.
    """
    return run_context(learning_phase=value)


def resolved_phase(training=None):
    """The phase to act on: `training` when given, else the current learning phase.

    # Arguments
        training: optional phase (bool, int or tensor) overriding the learning phase.

    # Returns
        The phase; 0 while it is still the symbolic learning phase, outside of any run.
    """
    if training is None:
        training = learning_phase()
    if is_symbolic(training):
        # Outside of any run the phase is undecided; Keras 2 defaulted to test behaviour.
        return 0
    return training
