"""The optimizer base class and what all optimizers share (Keras 2.2.4 `keras.optimizers`).

Every optimizer keeps Keras 2.2.4's arguments, defaults, update formulas, hyperparameter
variables (`lr`, `decay`, `iterations`, ...) and the order of its state in `weights` (what a
Keras 2 `.h5` file stores under `optimizer_weights`).

cornu runs eagerly, so an update is applied when it is asked for:

- `build(params)` creates the accumulators for a list of variables (once; again only when the
  list changes);
- `apply_gradients(params, grads)` performs one update step from gradient tensors: gradient
  clipping (`clipnorm`, `clipvalue`), the optimizer's formula, `iterations += 1`, then each
  variable's `constraint`. This is what the training loop calls, under `kernels.no_grad()`, after
  the backward pass;
- `get_updates(loss, params)`, Keras 2's entry point, computes the gradients of `loss`
  (`get_gradients`) and applies one step; given a symbolic loss it returns instead the
  `(variable, new_value)` pairs to pass to `K.function(..., updates=...)`.

A Keras 2-style subclass that overrides `get_updates` and writes its state with `K.update`
keeps working: the training loop calls its `get_updates(loss, params)` at every step (see
`_uses_custom_get_updates`), and the variables that method creates with `K.zeros`,
`K.variable`, ... on its first run are handed back to it on later runs, so its state lives on
as it would in a Keras 2 graph.

The element-wise work runs in the backend (`kernels.adam_update` and friends), over all parameters
at once.
"""
import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend.run_context import run_context

# The constructors themselves, for the optimizer's own state: never handed back by the
# state reuse of a Keras 2-style `get_updates` (see `_StateReuse`).
_variable = getattr(K.variable, '__wrapped__', K.variable)
_zeros = getattr(K.zeros, '__wrapped__', K.zeros)


def clip_norm(g, c, n):
    """Clips the gradient `g` when the L2 norm `n` reaches `c`.

    # Arguments
        g: the gradient tensor.
        c: float >= 0; gradients are scaled down to this norm when their norm exceeds it.
        n: the norm of the gradients (for global clipping, the norm of all of them).

    # Returns
        `g * c / n` when `n >= c`, else `g` (always `g` when `c <= 0`).
    """
    if c <= 0:
        return g
    return K.switch(K.greater_equal(n, c), g * c / n, g)


def same_variables(a, b):
    """Whether `b` holds the very variables of the list `a`, in the same order (`b` may be
    `None`)."""
    if b is None or len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x is not y:
            return False
    return True


def _shape_key(name, args, kwargs):
    """The shape a state constructor (`K.zeros`, `K.variable`, ...) is asked for."""
    if name == 'variable':
        value = args[0] if args else kwargs.get('value')
        shape = K.int_shape(value) if K.is_tensor(value) else np.shape(value)
    elif name == 'eye':
        shape = args[0] if args else kwargs.get('size')
    else:
        shape = args[0] if args else kwargs.get('shape')
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except TypeError:
        return shape


class _StateReuse:
    """While a Keras 2-style `get_updates` runs, gives back the variables its first run made.

    Keras 2 ran `get_updates` once, to build a graph; cornu runs it at every step. Inside the
    run context this sets, K's state constructors (`K.variable`, `K.zeros`, ...: see
    `state_constructor`) return the variable made at the same position (and of the same
    shape) on the first run. The context is the running thread's, so other threads creating
    variables meanwhile are not affected.
    """

    def __init__(self, optimizer):
        self.record = optimizer.__dict__.setdefault('_reused_state', [])
        self.position = 0

    def make_or_reuse(self, make, args, kwargs):
        key = (make.__name__, _shape_key(make.__name__, args, kwargs))
        position = self.position
        self.position += 1
        if position < len(self.record) and self.record[position][0] == key:
            return self.record[position][1]
        made = make(*args, **kwargs)
        del self.record[position:]
        self.record.append((key, made))
        return made


def _reusing_state(get_updates):
    """Wraps a user-defined `get_updates` so its state persists across eager calls."""

    def wrapper(self, *args, **kwargs):
        if self.__dict__.get('_in_get_updates'):
            return get_updates(self, *args, **kwargs)
        self._in_get_updates = True
        try:
            reuse = _StateReuse(self)
            with run_context(state_reuse=reuse.make_or_reuse), kernels.no_grad():
                return get_updates(self, *args, **kwargs)
        finally:
            self._in_get_updates = False

    wrapper.__name__ = getattr(get_updates, '__name__', 'get_updates')
    wrapper.__doc__ = getattr(get_updates, '__doc__', None)
    wrapper.__wrapped__ = get_updates
    wrapper._cornu_reuses_state = True
    return wrapper


class Optimizer(object):
    """Abstract optimizer base class.

    Note: this is the parent class of all optimizers, not an actual optimizer that can be
    used for training models.

    All Keras optimizers support the following keyword arguments:

        clipnorm: float >= 0. Gradients will be clipped when their L2 norm exceeds this value
            (the norm of all gradients together).
        clipvalue: float >= 0. Gradients will be clipped when their absolute value exceeds
            this value.

    # Raises
        TypeError: for any other keyword argument.
    """

    def __init__(self, **kwargs):
        allowed_kwargs = {'clipnorm', 'clipvalue'}
        for k in kwargs:
            if k not in allowed_kwargs:
                raise TypeError('Unexpected keyword argument passed to optimizer: ' + str(k))
        self.__dict__.update(kwargs)
        self.updates = []
        self.weights = []

    # Whether the class updates through its own Keras 2-style `get_updates` (see
    # `_uses_custom_get_updates`); worked out once per class.
    _custom_get_updates = False

    def __init_subclass__(cls, **kwargs):
        super(Optimizer, cls).__init_subclass__(**kwargs)
        user_get_updates = cls.__dict__.get('get_updates')
        if user_get_updates is not None and \
                not getattr(user_get_updates, '_cornu_reuses_state', False):
            cls.get_updates = _reusing_state(user_get_updates)
        cls._custom_get_updates = False
        for klass in cls.__mro__:
            if klass is Optimizer or 'apply_gradients' in klass.__dict__ or \
                    '_apply_updates' in klass.__dict__:
                break
            if 'get_updates' in klass.__dict__:
                cls._custom_get_updates = True
                break

    # ------------------------------------------------------------------ the training loop

    @property
    def _uses_custom_get_updates(self):
        """Whether this optimizer updates through its own Keras 2-style `get_updates`.

        The training loop then calls `get_updates(loss, params)` at every step, with the loss
        still attached to its graph, instead of `apply_gradients`.
        """
        return self._custom_get_updates

    def build(self, params):
        """Creates the optimizer's state (accumulators) for `params`.

        Called when the model is compiled and before saved optimizer weights are loaded; a
        second call with the same variables does nothing, a call with other variables makes
        new accumulators (as recompiling does in Keras 2) and keeps `iterations`.

        # Arguments
            params: list of the variables to train.
        """
        params = params if isinstance(params, list) else list(params)
        if same_variables(params, self.__dict__.get('_params')):
            return
        self._params = params
        self._constrained = [p for p in params if getattr(p, 'constraint', None) is not None]
        self._slots = []
        self._create_state(params)

    def apply_gradients(self, params, grads):
        """Performs one update step of `params` from their gradients.

        Applies `clipnorm`/`clipvalue`, the optimizer's formula, `iterations += 1` and the
        variables' constraints. Parameters whose gradient is `None` are left unchanged.

        # Arguments
            params: list of variables (the same list each step avoids re-checking it).
            grads: their gradients, one tensor (or `None`) each; they may be modified in
                place.

        # Returns
            `self.updates`.
        """
        self._step(params, grads, True)
        return self.updates

    def get_updates(self, loss, params):
        """Computes the gradients of `loss` and updates `params`: one step.

        # Arguments
            loss: scalar loss tensor, computed with gradients enabled; or a symbolic tensor.
            params: list of variables.

        # Returns
            `self.updates`; for a symbolic `loss`, the list of `(variable, new_value)` pairs
            that a `K.function(..., updates=...)` applies at each of its calls.
        """
        grads = self.get_gradients(loss, params)
        if any(kernels.is_symbolic(g) for g in grads):
            return self._symbolic_updates(params, grads)
        self._step(params, grads, False)
        return self.updates

    def get_gradients(self, loss, params):
        """The gradients of `loss` with respect to `params`, clipped as configured.

        # Raises
            ValueError: when a gradient is `None`.
        """
        if kernels.is_symbolic(loss):
            grads = K.gradients(loss, params)
        else:
            with kernels.no_grad():
                grads = K.gradients(loss, params)
        # A symbolic `K.gradients` over a one-variable list gives a single tensor.
        grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
        if any(g is None for g in grads):
            raise ValueError('An operation has `None` for gradient. '
                             'Please make sure that all of your ops have a '
                             'gradient defined (i.e. are differentiable). '
                             'Common ops without gradient: '
                             'K.argmax, K.round, K.eval.')
        clipnorm = getattr(self, 'clipnorm', 0)
        clipvalue = getattr(self, 'clipvalue', 0)
        if any(kernels.is_symbolic(g) for g in grads):
            if clipnorm and clipnorm > 0:
                norm = K.sqrt(sum([K.sum(K.square(g)) for g in grads]))
                grads = [clip_norm(g, clipnorm, norm) for g in grads]
            if clipvalue and clipvalue > 0:
                grads = [K.clip(g, -clipvalue, clipvalue) for g in grads]
            return grads
        if (clipnorm and clipnorm > 0) or (clipvalue and clipvalue > 0):
            kernels.clip_gradients(grads, clipnorm, clipvalue)
        return grads

    # ------------------------------------------------------------------ weights and config

    def set_weights(self, weights):
        """Sets the weights of the optimizer, from NumPy arrays.

        Should only be called after the optimizer state exists (`build`, compiling the model,
        or the first training step).

        # Arguments
            weights: a list of NumPy arrays, in the order of `get_weights()`. Lists saved by
                Keras 2.3 (which also store `iterations`, or leave out Adam's unused `vhats`)
                are accepted too.

        # Raises
            ValueError: in case of incompatible weight shapes.
        """
        params = self.weights
        weights, extra = self._accept_other_layouts([np.asarray(w) for w in weights])
        if len(params) != len(weights):
            raise ValueError('Length of the specified weight list (' +
                             str(len(weights)) +
                             ') does not match the number of weights ' +
                             'of the optimizer (' + str(len(params)) + ')')
        weight_value_tuples = []
        for p, w in zip(params, weights):
            shape = tuple(K.int_shape(p))
            if shape != w.shape:
                raise ValueError('Optimizer weight shape ' +
                                 str(shape) +
                                 ' not compatible with '
                                 'provided weight shape ' + str(w.shape))
            weight_value_tuples.append((p, w))
        K.batch_set_value(weight_value_tuples + extra)
        self._after_set_weights(bool(extra))

    def get_weights(self):
        """Returns the current value of the weights of the optimizer.

        # Returns
            A list of NumPy arrays.
        """
        return K.batch_get_value(self.weights)

    def get_config(self):
        """Returns the optimizer's arguments as a JSON-compatible dictionary."""
        config = {}
        if hasattr(self, 'clipnorm'):
            config['clipnorm'] = self.clipnorm
        if hasattr(self, 'clipvalue'):
            config['clipvalue'] = self.clipvalue
        return config

    @classmethod
    def from_config(cls, config):
        """Builds an optimizer from `get_config`'s output."""
        return cls(**config)

    # ------------------------------------------------------------------ for subclasses

    def _create_state(self, params):
        """Creates the accumulators of `params`: sets `self._slots` (lists aligned with
        `params`) and `self.weights` (Keras 2.2.4's order)."""

    def _apply_updates(self, params, grads, slots, t):
        """Updates `params` and the accumulator lists `slots` in place from `grads`.

        # Arguments
            t: `iterations` before this step, as a Python int.

        # Returns
            New values of the scalar variables in `self._scalar_state()`, in order.
        """
        raise NotImplementedError

    def _scalar_state(self):
        """Scalar variables (other than `iterations`) that each step rewrites."""
        return ()

    def _accept_other_layouts(self, weights):
        """Maps a weight list in another Keras version's layout onto `self.weights`.

        # Returns
            `(weights, extra)`: the list for `self.weights`, and `(variable, value)` pairs
            for state that `self.weights` does not hold.
        """
        return weights, []

    def _after_set_weights(self, scalars_given):
        """Restores derived scalar state after `set_weights`."""

    def _hyperparameter(self, value, name, dtype=None):
        return _variable(value, dtype=dtype,
                         name='%s/%s:0' % (type(self).__name__, name))

    def _zeros(self, shape, dtype=None):
        """A zero accumulator, named as Keras 2 with TensorFlow names it."""
        index = self.__dict__.get('_num_slots', 0)
        self._num_slots = index + 1
        name = 'training/%s/Variable%s:0' % (type(self).__name__,
                                             '' if index == 0 else '_%d' % index)
        return _zeros(shape, dtype=dtype, name=name)

    def _zeros_like_params(self, params):
        return [self._zeros(K.int_shape(p), K.dtype(p)) for p in params]

    def _decayed_lr(self, t):
        lr = kernels.scalar_value(self.lr)
        if self.initial_decay > 0:
            lr = lr * (1. / (1. + kernels.scalar_value(self.decay) * t))
        return lr

    def _step(self, params, grads, clip):
        if self._custom_get_updates:
            raise NotImplementedError(
                type(self).__name__ + ' updates through its own get_updates(loss, params); '
                'call get_updates with the loss instead of apply_gradients.')
        if params is not self.__dict__.get('_params'):
            self.build(params)
            params = self._params
        slots = self._slots
        with kernels.no_grad():
            if _has_none(grads):
                keep = [i for i, g in enumerate(grads) if g is not None]
                params = [params[i] for i in keep]
                grads = [grads[i] for i in keep]
                slots = [[s[i] for i in keep] for s in slots]
            if clip:
                clipnorm = getattr(self, 'clipnorm', 0)
                clipvalue = getattr(self, 'clipvalue', 0)
                if (clipnorm and clipnorm > 0) or (clipvalue and clipvalue > 0):
                    kernels.clip_gradients(grads, clipnorm, clipvalue)
            t = kernels.scalar_value(self.iterations)
            if params:
                new_scalars = self._apply_updates(params, grads, slots, t)
                for variable, value in zip(self._scalar_state(), new_scalars or ()):
                    kernels.assign_scalar(variable, value)
            kernels.advance_counter(self.iterations, t)
            if self._constrained:
                kernels.apply_constraints(self._constrained)

    def _symbolic_updates(self, params, grads):
        """`(variable, new_value)` pairs computing one step when a `K.function` runs."""
        self.build(params)
        params = self._params
        scalar_state = list(self._scalar_state())
        slot_variables = [s for slot in self._slots for s in slot]

        def optimizer_step(grad_values):
            # Pure: computes the new values from copies, so that probing the op for shapes
            # and running it both leave the variables alone; `K.function` assigns them.
            with kernels.no_grad():
                t = kernels.scalar_value(self.iterations)
                new_params = [K.identity(p) for p in params]
                new_slots = [[K.identity(s) for s in slot] for slot in self._slots]
                new_scalars = self._apply_updates(new_params, list(grad_values), new_slots, t)
                new_params = [p.constraint(q) if getattr(p, 'constraint', None) is not None
                              else q for p, q in zip(params, new_params)]
                values = [K.constant(t + 1, dtype=K.dtype(self.iterations))]
                values += [K.constant(v, dtype=K.dtype(var))
                           for var, v in zip(scalar_state, new_scalars or ())]
                values += [s for slot in new_slots for s in slot]
                return values + new_params

        values = K.symbolic.record(optimizer_step, (list(grads),), {})
        targets = [self.iterations] + scalar_state + slot_variables + list(params)
        self.updates = list(zip(targets, values))
        return self.updates


def _has_none(values):
    # A loop rather than `any(genexpr)`: no generator frames on every step.
    for value in values:
        if value is None:
            return True
    return False
