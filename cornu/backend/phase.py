"""The learning phase: 0 = test, 1 = train, as in Keras 2.

Three sources, in order of precedence: a phase the user fixed with `set_learning_phase`, the
phase of the run in progress (fit trains with 1; evaluate and predict run with 0), and outside
any run the symbolic `LEARNING_PHASE`, which `K.function` accepts as an input.
"""
from .symbolic import LEARNING_PHASE, graph_op, is_symbolic

_user_phase = None
_run_phase = None


def learning_phase():
    """Returns the learning phase: an int inside a run, else the symbolic placeholder."""
    if _user_phase is not None:
        return _user_phase
    if _run_phase is not None:
        return _run_phase
    return LEARNING_PHASE


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
    """Forgets a phase fixed by `set_learning_phase` (called by `clear_session`)."""
    global _user_phase, _run_phase
    _user_phase = None
    _run_phase = None


def current_run_phase():
    return _run_phase


def set_run_phase(value):
    """Sets the phase of the run in progress and returns the previous one (for the trainers)."""
    global _run_phase
    previous = _run_phase
    _run_phase = value
    return previous


class learning_phase_scope(object):
    """Context manager running its block with the given phase (unless the user fixed one)."""

    __slots__ = ('value', 'previous')

    def __init__(self, value):
        self.value = value

    def __enter__(self):
        self.previous = set_run_phase(self.value)
        return self

    def __exit__(self, *exc):
        set_run_phase(self.previous)
        return False


def _resolve(training):
    if training is None:
        training = learning_phase()
    if is_symbolic(training):
        # Outside of any run the phase is undecided; Keras 2 defaulted to test behaviour.
        return 0
    return training


@graph_op
def in_train_phase(x, alt, training=None):
    """Selects `x` in the training phase and `alt` otherwise.

    # Arguments
        x: what to return in the training phase (a tensor or a callable returning one).
        alt: what to return otherwise (a tensor or a callable returning one).
        training: optional phase overriding the current learning phase (bool, int or tensor).

    # Returns
        `x` or `alt`.
    """
    training = _resolve(training)
    if training is True or (type(training) is int and training == 1):
        return x() if callable(x) else x
    if training is False or (type(training) is int and training == 0):
        return alt() if callable(alt) else alt
    from . import switch  # a tensor-valued phase selects element-wise
    return switch(training, x, alt)


@graph_op
def in_test_phase(x, alt, training=None):
    """Selects `x` in the test phase and `alt` otherwise (see `in_train_phase`)."""
    return in_train_phase(alt, x, training=training)
