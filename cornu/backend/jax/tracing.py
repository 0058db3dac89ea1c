"""Jitted, stateful steps on JAX (the steps of `cornu.engine.trainer`, through `steps.py`, and
`K.function`'s `compile_function`; not part of `K`).

A `TracedStep` turns a Python function that reads and assigns variables (a training step: the
model's forward pass, the losses, the optimizer's update) into a pure function of the
variables' values, compiled once per input signature with `jax.jit`:

    (state values, PRNG key, step counter, args) -> (new values, new key, counter + 1, outputs)

While it is traced, the state scope of `cornu.backend.jax.core` stands the traced values in
for the variables, so the layer and optimizer code is the code the torch engine runs. After
each call the assigned values (device arrays, no host transfer) become the variables' values;
a training step donates the state, key and counter, so that XLA updates them in place.
Variables that the step reads or assigns without being in its state (a stateful RNN's states,
the accumulators a Keras 2-style `get_updates` makes on its first run) are found while
tracing, before anything runs: they join the state and the step is traced again.

Data parallelism (`multi_gpu_model`) is XLA's: a step given a `replica_mesh` keeps its state
replicated on the mesh's devices, the trainer constrains each batch to be split along axis 0
over them (`shard_rows`), and XLA's SPMD partitioner divides the computation and sums the
gradients across devices.
"""
import warnings

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import host_random
from .. import phase
from ..run_context import current, run_context
from . import core
from . import multihost

__all__ = ['TracedStep', 'CompiledFunction', 'value_and_grad', 'known_gradients', 'state_of',
           'replica_mesh', 'replicate', 'shard_rows']


def state_of(*groups):
    """The variables found in `groups` (variables, lists/tuples/dicts of them, objects whose
    attributes hold them), each once, in order."""
    found = []
    seen = set()

    def visit(value, scan_objects):
        if isinstance(value, core.KerasVariable):
            if id(value) not in seen:
                seen.add(id(value))
                found.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item, scan_objects)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item, scan_objects)
        elif scan_objects and hasattr(value, '__dict__'):
            for item in vars(value).values():
                visit(item, False)

    for group in groups:
        visit(group, True)
    return found


def _jax_device(name):
    if isinstance(name, jax.Device):
        return name
    kind, _, index = str(name).lower().lstrip('/').partition(':')
    kind = {'cuda': 'gpu'}.get(kind, kind)
    try:
        return jax.devices(kind)[int(index) if index else 0]
    except (RuntimeError, IndexError, ValueError) as error:
        raise ValueError('Unknown replica device %r: this process has %s.'
                         % (name, ', '.join(str(d) for d in jax.devices()))) from error


def replica_mesh(devices):
    """The mesh over which a data-parallel model's batches are split.

    # Arguments
        devices: the replicas' devices (jax devices, or names: `'cuda:N'` or `'gpu:N'` for
            a GPU, `'cpu:N'`, `'cpu'` for the first CPU device), or `None`.

    # Returns
        A one-axis `Mesh` (axis `'batch'`) of the distinct devices named, in order, or `None`
        when they are only the engine's device (the step then runs as without a mesh).

    # Raises
        ValueError: if a name is not one of this process's devices.
    """
    chosen = []
    for name in devices or ():
        device = _jax_device(name)
        if device not in chosen:
            chosen.append(device)
    if not chosen or chosen == [core.DEVICE]:
        return None
    return Mesh(np.array(chosen), ('batch',))


def replicate(tree, mesh):
    """`tree` (a pytree of arrays) with each array copied to every device of `mesh` (on a
    mesh over several processes, from process 0's values: `multihost.replicate`)."""
    if mesh.is_multi_process:
        return multihost.replicate(tree, mesh)
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec()))


def shard_rows(groups, mesh):
    """Traced: every array in `groups` (lists that may hold `None`) constrained to be split
    along axis 0 over `mesh`. An array whose length is not a multiple of the mesh size (an
    epoch's last, smaller batch) is left to XLA, which computes it without splitting."""
    sharding = NamedSharding(mesh, PartitionSpec('batch'))
    size = mesh.size

    def split(array):
        if array is None or not array.shape[0] or array.shape[0] % size:
            return array
        return jax.lax.with_sharding_constraint(array, sharding)

    return tuple([split(a) for a in group] for group in groups)


# How many times a step is traced again for variables found outside its state.
_MAX_RETRACES = 2


def _phase_key():
    value = phase.learning_phase()
    return value if isinstance(value, int) else None


class _StateGrew(Exception):
    """Raised while tracing, before anything runs, when the step met variables outside its
    state (so that donated buffers are not spent on a run whose results would be dropped)."""


class TracedStep(object):
    """A stateful Python function compiled into a pure, jitted one (see the module doc).

    # Arguments
        body: the function; it receives the call's arguments (pytrees of arrays) and returns
            a pytree of arrays.
        variables: the variables it reads and assigns (more are found while tracing).
        donate: whether the step gives the state's buffers to XLA to update in place (a
            training step); the step then returns every state value, and the arrays the
            variables held before the call are spent.
        mesh: a `replica_mesh`, or `None`: the state, PRNG key, counter and outputs are then
            replicated on its devices (the body splits the batch with `shard_rows`).
    """

    def __init__(self, body, variables, donate=False, mesh=None):
        self.body = body
        self.variables = []
        self._index = {}
        self._add(variables)
        self.donate = donate
        self.mesh = mesh
        self.rng = None
        self.step = None
        self._compiled = {}
        self._found = None
        self._may_grow = True
        # How many times the body was traced (each trace is followed by a compile): what
        # tells whether new batch lengths compile anew.
        self.traces = 0
        # Whether `run_steps` may run several steps in one call (a training step on one
        # device; cleared when a grouped trace fails).
        self.groups_steps = donate and mesh is None

    def _add(self, variables):
        for variable in variables:
            if id(variable) not in self._index:
                self._index[id(variable)] = len(self.variables)
                self.variables.append(variable)

    def _pure(self, state_values, rng, step, args):
        self.traces += 1
        values = {id(v): value for v, value in zip(self.variables, state_values)}
        scope = core._Scope(values, rng, step)
        with core._in_scope(scope):
            outputs = self.body(*args)
        if scope.unknown and self._may_grow:
            self._found = list(scope.unknown.values())
            raise _StateGrew()
        if self.donate:
            # Unassigned values go back too: a donated buffer is spent unless returned.
            new_state = tuple(scope.values[id(v)] for v in self.variables)
        else:
            index = self._index
            new_state = {index[key]: scope.values[key] for key in scope.written if key in index}
        return new_state, scope.rng, step + 1, outputs

    def _compiled_for_phase(self):
        key = _phase_key()
        compiled = self._compiled.get(key)
        if compiled is None:
            donated = (0, 1, 2) if self.donate else ()

            # A function of its own per phase: jax caches traces by the function jitted, and
            # the phase is no argument of it, so one bound method for every phase would give
            # each phase the first phase's trace.
            def pure(state_values, rng, step, args):
                return self._pure(state_values, rng, step, args)

            if self.mesh is None:
                compiled = jax.jit(pure, donate_argnums=donated)
            else:
                # Replicated outputs: the next call finds its state where it wants it.
                compiled = jax.jit(pure, donate_argnums=donated,
                                   out_shardings=NamedSharding(self.mesh, PartitionSpec()))
            self._compiled[key] = compiled
        return compiled

    def _state(self):
        state = tuple([v._value for v in self.variables])
        if self.donate and len(set(map(id, state))) < len(state):
            # One array held by two variables (`K.set_value(a, b.value)`) cannot be donated
            # twice: each variable gets its own copy.
            seen = set()
            for variable in self.variables:
                if id(variable._value) in seen:
                    variable._value = jnp.array(variable._value, copy=True)
                seen.add(id(variable._value))
            state = tuple([v._value for v in self.variables])
        return state

    def _grow(self):
        # The trace met variables outside the state (a stateful RNN's states, accumulators a
        # `get_updates` makes on its first run): they join it, and the step is traced again.
        for variable in self._found:
            if isinstance(variable._value, core._Tracer):
                # Made while tracing from traced values: it starts from zeros.
                variable._value = jnp.zeros(variable.shape, variable.dtype)
        self._add(self._found)
        self._found = None
        self._compiled.clear()

    def __call__(self, *args):
        if self.rng is None:
            # Decided by NumPy's generator, so that np.random.seed makes training repeatable,
            # but not drawn from it: fit's shuffles stay those of the other engines.
            self.rng = jax.random.PRNGKey(host_random.seed_from_global_state())
            self.step = jnp.zeros((), jnp.int64)
        if self.mesh is not None:
            # A no-op for values already replicated (the previous call's outputs); values set
            # since (`set_weights`, a new variable) are copied to every device once.
            self.rng, self.step = replicate((self.rng, self.step), self.mesh)
        for attempt in range(_MAX_RETRACES + 1):
            # On the last attempt, variables made anew at every trace stay constants.
            self._may_grow = attempt < _MAX_RETRACES
            try:
                state = self._state()
                if self.mesh is not None:
                    state = replicate(state, self.mesh)
                compiled = self._compiled.get(_phase_key()) or self._compiled_for_phase()
                new_state, rng, step, outputs = compiled(state, self.rng, self.step, args)
                break
            except _StateGrew:
                self._grow()
        variables = self.variables
        if self.donate:
            for variable, value in zip(variables, new_state):
                variable._value = value
        else:
            for position, value in new_state.items():
                variables[position]._value = value
        self.rng, self.step = rng, step
        return outputs

    def run_steps(self, stacked_args):
        """Runs the step once for each entry along the first axis of `stacked_args` (the
        step's arguments with every array stacked, `None` left as it is), in one compiled
        call: a `lax.scan` that carries the state, the random key and the step counter from
        one step to the next exactly as successive calls do, so that the results are those
        of calling the step that many times. One call instead of one per step saves the
        per-call work around a small model's step (dispatch, argument and state handling)
        that otherwise costs as much as the step itself.

        Only for a training step (`donate`) on one device whose state is known (it ran
        once): a step whose state changes shape, type or grows while traced in the loop
        cannot be grouped; `None` is then returned, before anything ran, and the caller
        runs the steps one by one (`groups_steps` is then `False` for good).

        # Arguments
            stacked_args: the step's arguments, each array with a leading axis of steps.

        # Returns
            The step's outputs, each with a leading axis of steps, or `None`.
        """
        if not self.groups_steps:
            return None
        key = ('steps', _phase_key())
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = jax.jit(self._pure_steps, donate_argnums=(0, 1, 2))
        # State met outside the known state raises `_StateGrew` while tracing (no grouping).
        self._may_grow = True
        state = self._state()
        try:
            new_state, rng, step, outputs = compiled(state, self.rng, self.step, stacked_args)
        except (_StateGrew, TypeError, ValueError) as error:
            # Raised while tracing (the carried state's types changing from step to step, or
            # state found outside it), before the donated buffers were spent.
            if any(value.is_deleted() for value in state):
                raise
            self.groups_steps = False
            self._compiled.pop(key, None)
            warnings.warn('Training steps run one call per batch: they could not be grouped '
                          '(%s).' % error)
            return None
        for variable, value in zip(self.variables, new_state):
            variable._value = value
        self.rng, self.step = rng, step
        return outputs

    def _pure_steps(self, state_values, rng, step, stacked_args):
        def one_step(carry, args):
            state, rng, step = carry
            new_state, rng, step, outputs = self._pure(state, rng, step, args)
            # The carry keeps each value's type (an assignment may give a weakly typed one).
            new_state = tuple(lax.convert_element_type(new, old.dtype)
                              for new, old in zip(new_state, state))
            return (new_state, rng, step), outputs

        (state, rng, step), outputs = lax.scan(one_step, (tuple(state_values), rng, step),
                                               stacked_args)
        return state, rng, step, outputs


class CompiledFunction(object):
    """The run of a `K.function`, compiled as a `TracedStep` (see `compiled.compile_function`).

    The step does not donate its state: the variables keep their arrays when the call only
    reads them (a predict-style function), and nothing a caller still holds is spent.

    # Arguments
        run: the function of the list of fed arrays; it returns the list of outputs and
            assigns the updates with `K.update`.
        variables: the variables it reads or assigns (more are found while tracing).
    """

    def __init__(self, run, variables):
        self.run = run
        self.step = TracedStep(self._body, variables)
        # Set when a trace failed where the eager run succeeded: the run cannot be traced.
        self.eager = False

    def _body(self, *values):
        outputs = self.run(list(values))
        # A variable given back as an output leaves the trace as its value.
        return [core._t(o) if isinstance(o, core.KerasVariable) else o for o in outputs]

    def __call__(self, values):
        if self.eager or current().state_scope is not None:
            # Untraceable, or called while something else is traced (its ops then join
            # that trace).
            return self.run(values)
        try:
            return self.step(*values)
        except Exception as trace_error:
            # Nothing was assigned (the step writes its state back only after a call), so
            # the eager run starts from the same values; if it fails too, its error is the
            # user's.
            outputs = self.run(values)
            self.eager = True
            first_line = (str(trace_error).strip().split('\n') or [''])[0][:300]
            warnings.warn(f'K.function could not be compiled with jax.jit '
                          f'({type(trace_error).__name__}: {first_line}); it runs eagerly '
                          f'from now on, op by op.', RuntimeWarning, stacklevel=3)
            return outputs


def value_and_grad(fn, params):
    """Runs `fn()` inside a traced step and differentiates its loss with respect to `params`.

    # Arguments
        fn: a function of no arguments returning `(loss, aux)`; it may assign variables.
        params: the variables to differentiate with respect to.

    # Returns
        `(loss, aux, grads)`, `grads` aligned with `params`.
    """
    scope = current().state_scope
    if scope is None:
        raise RuntimeError('value_and_grad runs inside a TracedStep.')
    ids = [id(p) for p in params]
    start = [scope.read(p) for p in params]

    def differentiated(values):
        for key, value in zip(ids, values):
            scope.values[key] = value
        loss, aux = fn()
        loss = core._t(loss)
        assigned = {key: scope.values[key] for key in scope.written}
        objective = jnp.sum(loss) if loss.ndim else loss
        return objective, (loss, aux, assigned, scope.rng)

    (_, (loss, aux, assigned, rng)), grads = jax.value_and_grad(
        differentiated, has_aux=True)(start)
    # The values inside the differentiated function belong to its trace: put back the
    # step's own values, and what the function assigned.
    for key, value in zip(ids, start):
        scope.values[key] = value
    scope.values.update(assigned)
    scope.rng = rng
    return loss, aux, list(grads)


def known_gradients(loss, params, grads):
    """Context manager within which `K.gradients(loss, params)` returns `grads` (for a Keras
    2-style `get_updates`, which asks for the gradients of the step's loss).

    # Arguments
        loss: the step's loss, as the traced step computed it.
        params: the variables differentiated.
        grads: their gradients, aligned with `params`.

    # Returns
        A context manager.
    """
    return run_context(known_gradients=(loss, {id(p): g for p, g in zip(params, grads)}))
