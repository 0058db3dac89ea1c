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
import operator
import warnings

import numpy as np
import jax
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .. import host_random
from .. import phase
from ..run_context import current, run_context
from . import core
from . import multihost
from . import step_groups

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


_VALUE_OF = operator.attrgetter('_value')


class _StateGrew(Exception):
    """Raised while tracing, before anything runs, when the step met variables outside its
    state (so that donated buffers are not spent on a run whose results would be dropped)."""


class _Replanned(Exception):
    """Raised while tracing, before anything runs, when the step writes or uses state that
    its plan does not pass it (see `_Plan`): it is traced again with a wider plan."""


class _Slot(object):
    """Holds a `TracedStep`'s PRNG key or step counter, as a variable holds its value."""

    __slots__ = ('_value',)

    def __init__(self):
        self._value = None


class _Plan(object):
    """How the compiled function of a `TracedStep` for one learning phase is called: which
    state values (of variables, and the PRNG key and step counter, `_Slot`s) it is given
    donated, which it is given to read only, and which new values it returns.

    A training step donates and returns the values it writes (XLA updates them in place)
    and reads the others (an optimizer's learning rate, say) without returning them: a value
    handed back unchanged costs the call about as much as one that changed. The key and the
    counter are passed only to a step that draws random numbers or folds in the counter
    (seeded dropout); the others' calls are counted on the host (`TracedStep._lag`).

    # Arguments
        donated: the slots passed donated (a training step's written ones).
        kept: the slots passed to read only.
        returned: the slots whose new values the function returns, in order.
        step_slot: the step counter's slot.
        recorded: the first trace of the step (see `TracedStep._learn`): `(jaxpr, input
            tree, input types, output tree)`, or `None`.
    """

    __slots__ = ('donated', 'kept', 'returned', 'compiled', 'counts_on_host', 'recorded')

    def __init__(self, donated, kept, returned, step_slot, recorded=None):
        self.donated = tuple(donated)
        self.kept = tuple(kept)
        self.returned = tuple(returned)
        self.compiled = None
        self.counts_on_host = not any(slot is step_slot for slot in self.returned)
        self.recorded = recorded

    def passes(self, slots):
        """Whether the plan passes and returns every slot in `slots`."""
        returned = set(map(id, self.returned))
        return all(id(slot) in returned for slot in slots)


def _types(leaves):
    """The shapes and dtypes of `leaves` (arrays, or tracers standing in for them)."""
    return tuple((tuple(leaf.shape) if hasattr(leaf, 'shape') else np.shape(leaf),
                  str(getattr(leaf, 'dtype', type(leaf).__name__))) for leaf in leaves)


class TracedStep(object):
    """A stateful Python function compiled into a pure, jitted one (see the module doc).

    # Arguments
        body: the function; it receives the call's arguments (pytrees of arrays) and returns
            a pytree of arrays.
        variables: the variables it reads and assigns (more are found while tracing).
        donate: whether the step gives the buffers of the state it writes to XLA to update in
            place (a training step); the arrays the variables held before the call are then
            spent.
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
        self._rng = _Slot()
        self._step = _Slot()
        # Calls not yet counted by the step counter on the device (those of compiled
        # functions that do not read it).
        self._lag = 0
        self._plans = {}
        self._compiled = {}
        # One step's traces, by input signature (see `_record`).
        self._recordings = {}
        self._found = None
        self._may_grow = True
        # How many times the body was traced (each trace is followed by a compile): what
        # tells whether new batch lengths compile anew.
        self.traces = 0
        # Whether `run_steps` may run several steps in one call (a training step on one
        # device; cleared when a grouped trace fails).
        self.groups_steps = donate and mesh is None

    @property
    def rng(self):
        """The PRNG key that the step's random ops draw from."""
        return self._rng._value

    @property
    def step(self):
        """The step counter (how many times the step ran), a device scalar."""
        self._catch_up()
        return self._step._value

    def _add(self, variables):
        for variable in variables:
            if id(variable) not in self._index:
                self._index[id(variable)] = len(self.variables)
                self.variables.append(variable)

    def _slots(self):
        return self.variables + [self._rng, self._step]

    def _trace_body(self, values, rng, step, args):
        """Runs the body in a state scope of `values` (by variable id), `rng` and `step`;
        returns the scope and the outputs. Variables met outside the state raise
        `_StateGrew` (while they may still join it)."""
        scope = core._Scope(values, rng, step)
        with core._in_scope(scope):
            outputs = self.body(*args)
        if scope.unknown and self._may_grow:
            self._found = list(scope.unknown.values())
            raise _StateGrew()
        self.traces += 1
        return scope, outputs

    def _needs(self, scope):
        """The slots that the trace in `scope` writes or uses (the key, the counter)."""
        needs = [self.variables[self._index[key]] for key in scope.written
                 if key in self._index]
        if scope.uses_rng:
            needs.append(self._rng)
        if scope.uses_step:
            needs.append(self._step)
        return needs

    def _plan_for(self, needs, recorded=None):
        """The plan of a step that writes or uses the slots `needs`."""
        needed = set(map(id, needs))
        slots = self._slots()
        returned = [slot for slot in slots if id(slot) in needed]
        if self.donate:
            kept = [v for v in self.variables if id(v) not in needed]
            return _Plan(returned, kept, returned, self._step, recorded)
        # Nothing donated: every variable is read, and the key and counter if used.
        kept = [slot for slot in slots if id(slot) in needed or
                (slot is not self._rng and slot is not self._step)]
        return _Plan((), kept, returned, self._step, recorded)

    def _record(self, args):
        """Traces the step once with its whole state (`jax.make_jaxpr`, nothing compiled) for
        `args` (arrays, or `jax.ShapeDtypeStruct`s standing in for them); returns `(recorded,
        needs)`: the trace, `(jaxpr, input tree, input types, output tree)` of a function
        `(state values, args) -> ((new state values), outputs)`, and the slots it writes or
        uses (`_needs`). Kept by input signature (the state's and the arguments' types, the
        phase), so that the plan of a call (`_learn`) and a group of steps (`run_steps`)
        share one trace."""
        self._catch_up()
        variables = self.variables
        values = tuple([slot._value for slot in self._slots()])
        leaves, tree = jax.tree_util.tree_flatten((values, args))
        signature = (tree, _types(leaves), _phase_key())
        known = self._recordings.get(signature)
        if known is not None:
            return known
        learned = []

        def whole(values, args):
            state = {id(v): value for v, value in zip(variables, values)}
            scope, outputs = self._trace_body(state, values[-2], values[-1], args)
            learned.append(self._needs(scope))
            new = tuple(scope.values[id(v)] for v in variables)
            return new + (scope._rng, values[-1] + 1), outputs

        closed, shapes = jax.make_jaxpr(whole, return_shape=True)(values, args)
        recorded = (closed, tree, _types(leaves), jax.tree_util.tree_structure(shapes))
        known = self._recordings[signature] = (recorded, learned[0], signature)
        return known

    def _learn(self, key, args):
        """Traces the step once (`_record`) to learn its plan; the compiled function then
        replays that trace for this input signature rather than running the body again (so
        the body runs once per signature, as before plans existed)."""
        recorded, needs, _ = self._record(args)
        plan = self._plans[key] = self._plan_for(needs, recorded)
        return plan

    def _pure(self, plan, donated, kept, args):
        given = {id(slot): value for slot, value in zip(plan.donated + plan.kept,
                                                       donated + kept)}
        slots = self._slots()
        # A key and a counter the plan does not pass: constants, which a trace that needs
        # them replaces by a wider plan before they run.
        rng = given.get(id(self._rng))
        if rng is None:
            rng = jax.random.PRNGKey(0)
        step = given.get(id(self._step))
        if step is None:
            step = jnp.zeros((), jnp.int64)
        values = tuple([given[id(v)] for v in self.variables]) + (rng, step)
        recorded = plan.recorded
        leaves, tree = jax.tree_util.tree_flatten((values, args))
        if recorded is not None and tree == recorded[1] and _types(leaves) == recorded[2]:
            # The trace `_learn` made, for these very input types: replayed.
            closed, out_tree = recorded[0], recorded[3]
            new, outputs = jax.tree_util.tree_unflatten(
                out_tree, jax.core.eval_jaxpr(closed.jaxpr, closed.consts, *leaves))
        else:
            state = {id(v): value for v, value in zip(self.variables, values)}
            scope, outputs = self._trace_body(state, rng, step, args)
            if not plan.passes(self._needs(scope)):
                # (A plan is only ever widened: this ends.)
                self.traces -= 1
                self._plans[self._key_of(plan)] = self._plan_for(
                    self._needs(scope) + list(plan.returned))
                raise _Replanned()
            new = tuple(scope.values[id(v)] for v in self.variables) + (scope._rng, step + 1)
        position = {id(slot): index for index, slot in enumerate(slots)}
        # (A plan returns what the step wrote when it was learned; a trace for other types
        # that writes less gives the rest back unchanged.)
        return tuple([new[position[id(slot)]] for slot in plan.returned]), outputs

    def _key_of(self, plan):
        return next(key for key, known in self._plans.items() if known is plan)

    def _compiled_plan(self, key, args):
        plan = self._plans.get(key)
        if plan is None:
            plan = self._learn(key, args)
        if plan.compiled is None:
            # A function of its own per plan: jax caches traces by the function jitted, and
            # the plan (and phase) is no argument of it.
            def pure(donated, kept, args):
                return self._pure(plan, donated, kept, args)

            donated = (0,) if plan.donated else ()
            if self.mesh is None:
                plan.compiled = jax.jit(pure, donate_argnums=donated)
            else:
                # Replicated outputs: the next call finds its state where it wants it.
                plan.compiled = jax.jit(pure, donate_argnums=donated,
                                        out_shardings=NamedSharding(self.mesh, PartitionSpec()))
        return plan

    def _start(self):
        # Decided by NumPy's generator, so that np.random.seed makes training repeatable,
        # but not drawn from it: fit's shuffles stay those of the other engines.
        self._rng._value = _new_key(host_random.seed_from_global_state())
        # (From NumPy: an engine op would be compiled, once per process.)
        self._step._value = jax.device_put(np.zeros((), np.int64))

    def _catch_up(self):
        """Counts on the device the calls counted on the host (`_lag`)."""
        if self._lag:
            self._step._value = self._step._value + self._lag
            self._lag = 0

    def _values(self, plan):
        """The values `plan` passes: `(donated, kept)` tuples."""
        # (`map` over an attribute getter: no comprehension frames on the path of every
        # call, a one-sample `predict`'s included.)
        donated = tuple(map(_VALUE_OF, plan.donated))
        kept = tuple(map(_VALUE_OF, plan.kept))
        if donated and len(set(map(id, donated + kept))) < len(donated) + len(kept):
            # One array held by two variables (`K.set_value(a, b.value)`) cannot be donated
            # (or donated and read): each variable gets its own copy.
            seen = set()
            for slot in plan.donated + plan.kept:
                if id(slot._value) in seen:
                    slot._value = jnp.array(slot._value, copy=True)
                seen.add(id(slot._value))
            donated = tuple([slot._value for slot in plan.donated])
            kept = tuple([slot._value for slot in plan.kept])
        if self.mesh is not None:
            # A no-op for values already replicated (the previous call's outputs, the read
            # values kept below); values set since (`set_weights`, a new variable) are
            # copied to every device once.
            donated, kept = replicate((donated, kept), self.mesh)
            for slot, value in zip(plan.kept, kept):
                slot._value = value
        return donated, kept

    def _grow(self):
        # The trace met variables outside the state (a stateful RNN's states, accumulators a
        # `get_updates` makes on its first run): they join it, and the step is traced again.
        for variable in self._found:
            if isinstance(variable._value, core._Tracer):
                # Made while tracing from traced values: it starts from zeros.
                variable._value = jnp.zeros(variable.shape, variable.dtype)
        self._add(self._found)
        self._found = None
        self._plans.clear()
        self._compiled.clear()
        self._recordings.clear()

    def __call__(self, *args):
        if self._rng._value is None:
            self._start()
        key = _phase_key()
        grown = 0
        while True:
            # On the last growth, variables made anew at every trace stay constants.
            self._may_grow = grown < _MAX_RETRACES
            try:
                plan = self._plans.get(key)
                if plan is None or plan.compiled is None:
                    plan = self._compiled_plan(key, args)
                if not plan.counts_on_host:
                    self._catch_up()
                new_values, outputs = plan.compiled(*self._values(plan), args)
                break
            except _StateGrew:
                self._grow()
                grown += 1
            except _Replanned:
                pass
        for slot, value in zip(plan.returned, new_values):
            slot._value = value
        if plan.counts_on_host:
            self._lag += 1
        return outputs

    def _recording(self, args):
        """`_record` for `args`, one step's arguments (arrays or `jax.ShapeDtypeStruct`s), in
        the current phase: `(recorded, needs, signature)`. Variables the trace finds outside
        the state join it first, as for a call."""
        grown = 0
        while True:
            self._may_grow = grown < _MAX_RETRACES
            try:
                return self._record(args)
            except _StateGrew:
                self._grow()
                grown += 1

    def work(self, args):
        """About how many arithmetic operations one step on `args` (one step's arguments,
        arrays or `jax.ShapeDtypeStruct`s) does (`step_groups.work`), from its trace."""
        if self._rng._value is None:
            self._start()
        return step_groups.work(self._recording(args)[0][0].jaxpr)

    def run_steps(self, stacked_args, count):
        """Runs the step on the first `count` entries along the first axis of `stacked_args`
        (the step's arguments with every array stacked, `None` left as it is), one after
        the other, in one compiled call: a loop that carries the state, the random key and
        the step counter from one step to the next exactly as successive calls do, so that
        the results are those of calling the step `count` times. The loop replays the
        step's trace (`_recording`) and takes the count as an argument: one compile serves
        every count up to the stacked length. One call instead of one per step saves the
        per-call work around a small model's step (dispatch, argument and state handling)
        that otherwise costs as much as the step itself.

        Only for a training step (`donate`) on one device: a step whose state changes
        shape or type from one step to the next cannot be grouped; `None` is then returned,
        before anything ran, and the caller runs the steps one by one (`groups_steps` is
        then `False` for good).

        # Arguments
            stacked_args: the step's arguments, each array with a leading axis of steps.
            count: how many steps run (at least 1, at most the length of that axis).

        # Returns
            The step's outputs, each with the leading axis of the stacked arguments (entries
            past `count` are zeros), or `None`.
        """
        if not self.groups_steps:
            return None
        if self._rng._value is None:
            self._start()
        step_args = jax.tree_util.tree_map(
            lambda array: jax.ShapeDtypeStruct(array.shape[1:], array.dtype), stacked_args)
        recorded, _, signature = self._recording(step_args)
        key = ('steps', signature)
        compiled = self._compiled.get(key)
        if compiled is None:
            def grouped(state, stacked_args, count):
                return step_groups.run_recorded(recorded, state, stacked_args, count)

            compiled = self._compiled[key] = jax.jit(grouped, donate_argnums=(0,))
        state, _ = self._values(_Plan(self._slots(), (), (), self._step))
        try:
            new_state, outputs = compiled(state, stacked_args, int32_scalar(count))
        except (TypeError, ValueError) as error:
            # Raised while tracing (the carried state's types changing from step to step),
            # before the donated buffers were spent.
            if any(value.is_deleted() for value in state):
                raise
            self.groups_steps = False
            self._compiled.pop(key, None)
            warnings.warn('Training steps run one call per batch: they could not be grouped '
                          '(%s).' % error)
            return None
        for slot, value in zip(self._slots(), new_state):
            slot._value = value
        return outputs


def _new_key(seed):
    """`jax.random.PRNGKey(seed)` for a `seed` in `[0, 2**31)`. For JAX's default generator,
    Threefry, whose key for such a seed is the pair `(0, seed)`, it is made from NumPy: the
    same key, without compiling the generator's seeding function (~20 ms) on the first step
    of a process."""
    if jax.config.jax_default_prng_impl == 'threefry2x32' and \
            not jax.config.jax_enable_custom_prng and 0 <= seed < 2 ** 31:
        return jax.device_put(np.array([0, seed], np.uint32))
    return jax.random.PRNGKey(seed)


# Counts passed to compiled steps (`run_steps`' step counts, `steps.feed`'s real rows) as
# device scalars, made once each: a NumPy scalar argument costs the jitted call a conversion
# (a few microseconds) every time.
_INT32_SCALARS = {}


def int32_scalar(count):
    """`count` as an `int32` device scalar, made once per value."""
    value = _INT32_SCALARS.get(count)
    if value is None:
        # Uncommitted, as a NumPy argument is: the step runs it on its own device.
        value = _INT32_SCALARS[count] = jax.device_put(np.int32(count))
    return value


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
        # (The key is carried out, not used: `_rng`, see `core._Scope`.)
        return objective, (loss, aux, assigned, scope._rng)

    (_, (loss, aux, assigned, rng)), grads = jax.value_and_grad(
        differentiated, has_aux=True)(start)
    # The values inside the differentiated function belong to its trace: put back the
    # step's own values, and what the function assigned.
    for key, value in zip(ids, start):
        scope.values[key] = value
    scope.values.update(assigned)
    scope._rng = rng
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
