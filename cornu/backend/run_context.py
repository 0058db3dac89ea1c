"""The run context: the state of the run in progress, one per thread.

A run (a training step, `predict`, a `K.function` call, a shape probe, a traced JAX step)
changes how the code under it behaves: which learning phase layers see, where the losses that
layers add during `call` go, whether BatchNormalization may update its statistics, whether
side effects are skipped on shape probes, which values stand in for variables while a JAX step
is traced. All of it lives in one immutable `RunContext`, current per thread:
`with run_context(learning_phase=1, call_losses=collector):` makes a copy of the current
context with those fields changed, makes it current for the block, and puts the previous one
back on exit, even on an exception. Nothing is saved and restored by hand elsewhere, and a run
in one thread never sees the state of a run in another: a `predict` in one thread leaves the
learning phase of a `fit` in another alone. A new thread starts from the default context (no
run in progress).

The current context is held by a `threading.local` rather than a `contextvars.ContextVar`:
`torch.compile` traces reads and writes of a thread-local attribute (and guards compiled code
on the values read), while it cannot trace `ContextVar.get`, and the run context is entered
and read inside compiled code (a model run as a compiled `torch.nn.Module`, a compiled
training step). The tasks of an asyncio event loop share their thread's context; a run is
synchronous, so they cannot interleave inside one.

Settings the user makes for the whole process (`K.set_learning_phase`,
`enable_unsafe_deserialization`) are configuration, not run state, and stay module settings.

Reading a field is a thread-local attribute read and an attribute read
(`current().learning_phase`): cheap enough for the layer-call hot path.
"""
import threading

__all__ = ['RunContext', 'current', 'run_context', 'state_constructor']


class RunContext:
    """The state of the run in progress (immutable: `run_context` derives a new one).

    # Fields
        learning_phase: the phase of the run (0 = test, 1 = train), `None` outside any run.
        call_losses: the list that receives losses added by layers during `call` (activity
            regularization, `add_loss` on concrete tensors), `None` outside a run.
        frozen: whether the code runs inside a network whose `trainable` is False (layers
            that update state during training skip the update there).
        probing: whether the code runs on shape probes (layers then skip side effects).
        code_loading_allowed: whether saved Python code (Lambda layers' bytecode) may be
            loaded (a load with `safe_mode=True` refuses it).
        state_scope: the engine's state scope: on JAX, the values standing in for variables
            while a step is traced (`None` otherwise; torch has none).
        known_gradients: inside a traced JAX step's optimizer update, `(loss, {id(param):
            gradient})` for the step's loss (`K.gradients` of that loss returns them).
        gradient_op: on JAX, the gradient op of a `K.function` being computed: `(sub-plan
            computing the loss, targets, tensors fed beyond the function's inputs, feeds)`.
        plan_feeds: on JAX, the values fed to the innermost running plan that computes
            gradient ops.
        augmentation_rng: the NumPy `RandomState` image augmentation draws from for the batch
            being prepared (`None`: NumPy's global generator).
        state_reuse: while a Keras 2-style `get_updates` runs (see `cornu.optimizers.base`),
            `reuse(make, args, kwargs)`, which K's state constructors (`state_constructor`)
            call instead of `make(*args, **kwargs)`: it gives back the variable made at the
            same position by the method's first run (`None` otherwise).
    """

    __slots__ = ('learning_phase', 'call_losses', 'frozen', 'probing', 'code_loading_allowed',
                 'state_scope', 'known_gradients', 'gradient_op', 'plan_feeds',
                 'augmentation_rng', 'state_reuse')

    def __init__(self, learning_phase=None, call_losses=None, frozen=False, probing=False,
                 code_loading_allowed=True, state_scope=None, known_gradients=None,
                 gradient_op=None, plan_feeds=None, augmentation_rng=None, state_reuse=None):
        self.learning_phase = learning_phase
        self.call_losses = call_losses
        self.frozen = frozen
        self.probing = probing
        self.code_loading_allowed = code_loading_allowed
        self.state_scope = state_scope
        self.known_gradients = known_gradients
        self.gradient_op = gradient_op
        self.plan_feeds = plan_feeds
        self.augmentation_rng = augmentation_rng
        self.state_reuse = state_reuse

    def replace(self, changes):
        """Returns a copy of this context with the fields in the dict `changes` set."""
        # Field by field rather than a loop over `__slots__`: entering a context is on the
        # path of every training step, and this is several times faster.
        derived = RunContext.__new__(RunContext)
        derived.learning_phase = self.learning_phase
        derived.call_losses = self.call_losses
        derived.frozen = self.frozen
        derived.probing = self.probing
        derived.code_loading_allowed = self.code_loading_allowed
        derived.state_scope = self.state_scope
        derived.known_gradients = self.known_gradients
        derived.gradient_op = self.gradient_op
        derived.plan_feeds = self.plan_feeds
        derived.augmentation_rng = self.augmentation_rng
        derived.state_reuse = self.state_reuse
        for field, value in changes.items():
            setattr(derived, field, value)
        return derived

    def __repr__(self):
        fields = ', '.join(f'{field}={getattr(self, field)!r}' for field in RunContext.__slots__)
        return f'RunContext({fields})'


_FIELDS = frozenset(RunContext.__slots__)
_DEFAULT = RunContext()


class _Current(threading.local):
    # Runs once in each thread that reads it: every thread starts outside any run.
    def __init__(self):
        super().__init__()
        self.context = _DEFAULT


_current = _Current()


def current():
    """Returns the run context of the running thread (a `RunContext`; do not modify it)."""
    return _current.context


class run_context:
    """Context manager running its block in a copy of the current run context with some
    fields changed (see `RunContext` for the fields).

    # Example
    ```python
        collector = []
        with run_context(learning_phase=1, call_losses=collector):
            outputs = plan.run(inputs)
    ```

    # Arguments
        **changes: the fields to change, by name.

    # Raises
        TypeError: for a name that is not a field of `RunContext`.
    """

    __slots__ = ('changes', 'previous')

    def __init__(self, **changes):
        if not _FIELDS.issuperset(changes):
            unknown = set(changes) - _FIELDS
            raise TypeError(f'Unknown run context field(s): {", ".join(sorted(unknown))}. '
                            f'Expected some of: {", ".join(RunContext.__slots__)}.')
        self.changes = changes
        self.previous = None

    def __enter__(self):
        holder = _current
        self.previous = holder.context
        context = holder.context = self.previous.replace(self.changes)
        return context

    def __exit__(self, *exc):
        _current.context = self.previous
        self.previous = None
        return False


def state_constructor(make):
    """Marks one of K's state constructors (`K.variable`, `K.zeros`, ...).

    Keras 2 ran an optimizer's `get_updates` once, to build a graph; cornu runs a Keras 2-style
    `get_updates` at every step, so the variables it makes for its state must be the same at
    every run. While one runs, the run context's `state_reuse` hands back the variable made at
    the same position by the first run; elsewhere the constructor makes a new one.

    # Arguments
        make: the constructor.

    # Returns
        The constructor, consulting the run context first; `__wrapped__` is `make`.
    """
    def constructor(*args, **kwargs):
        reuse = _current.context.state_reuse
        if reuse is None:
            return make(*args, **kwargs)
        return reuse(make, args, kwargs)

    constructor.__name__ = make.__name__
    constructor.__qualname__ = make.__qualname__
    constructor.__doc__ = make.__doc__
    constructor.__module__ = make.__module__
    constructor.__wrapped__ = make
    return constructor
