"""Built-in optimizer classes (Keras 2.2.4 `keras.optimizers`).

Every optimizer keeps Keras 2.2.4's arguments, defaults, update formulas, hyperparameter
variables (`lr`, `decay`, `iterations`, ...) and the order of its state in `weights` (what a
Keras 2 `.h5` file stores under `optimizer_weights`).

cornu runs eagerly, so an update is applied when it is asked for:

- `build(params)` creates the accumulators for a list of variables (once; again only when the
  list changes);
- `apply_gradients(params, grads)` performs one update step from gradient tensors: gradient
  clipping (`clipnorm`, `clipvalue`), the optimizer's formula, `iterations += 1`, then each
  variable's `constraint`. This is what the training loop calls, under `K.no_grad()`, after
  the backward pass;
- `get_updates(loss, params)`, Keras 2's entry point, computes the gradients of `loss`
  (`get_gradients`) and applies one step; given a symbolic loss it returns instead the
  `(variable, new_value)` pairs to pass to `K.function(..., updates=...)`.

A Keras 2-style subclass that overrides `get_updates` and writes its state with `K.update`
keeps working: the training loop calls its `get_updates(loss, params)` at every step (see
`_uses_custom_get_updates`), and the variables that method creates with `K.zeros`,
`K.variable`, ... on its first run are handed back to it on later runs, so its state lives on
as it would in a Keras 2 graph.

The element-wise work runs in the backend (`K.adam_update` and friends), over all parameters
at once.
"""
import numpy as np

from . import backend as K
from .utils.generic_utils import deserialize_keras_object, serialize_keras_object

# The raw constructors, captured before any state-reuse scope can replace them on `K`.
_variable = K.variable
_zeros = K.zeros


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


def _same_variables(a, b):
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


class _StateReuse(object):
    """While a Keras 2-style `get_updates` runs, gives back the variables its first run made.

    Keras 2 ran `get_updates` once, to build a graph; cornu runs it at every step. The state
    constructors of `K` are replaced, for the duration of the call, by versions that return
    the variable made at the same position (and of the same shape) on the first run.
    """

    _CONSTRUCTORS = ('variable', 'zeros', 'ones', 'eye', 'random_uniform_variable',
                     'random_normal_variable')

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def __enter__(self):
        state = self.optimizer.__dict__
        self.record = state.setdefault('_reused_state', [])
        self.position = 0
        self.saved = {}
        for name in self._CONSTRUCTORS:
            make = getattr(K, name, None)
            if make is not None:
                self.saved[name] = make
                setattr(K, name, self._reusing(name, make))
        return self

    def _reusing(self, name, make):
        def make_or_reuse(*args, **kwargs):
            key = (name, _shape_key(name, args, kwargs))
            position = self.position
            self.position += 1
            if position < len(self.record) and self.record[position][0] == key:
                return self.record[position][1]
            made = make(*args, **kwargs)
            del self.record[position:]
            self.record.append((key, made))
            return made
        return make_or_reuse

    def __exit__(self, *exc):
        for name, make in self.saved.items():
            setattr(K, name, make)
        return False


def _reusing_state(get_updates):
    """Wraps a user-defined `get_updates` so its state persists across eager calls."""

    def wrapper(self, *args, **kwargs):
        if self.__dict__.get('_in_get_updates'):
            return get_updates(self, *args, **kwargs)
        self._in_get_updates = True
        try:
            with _StateReuse(self), K.no_grad():
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
        if _same_variables(params, self.__dict__.get('_params')):
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
        if any(K.is_symbolic(g) for g in grads):
            return self._symbolic_updates(params, grads)
        self._step(params, grads, False)
        return self.updates

    def get_gradients(self, loss, params):
        """The gradients of `loss` with respect to `params`, clipped as configured.

        # Raises
            ValueError: when a gradient is `None`.
        """
        if K.is_symbolic(loss):
            grads = K.gradients(loss, params)
        else:
            with K.no_grad():
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
        if any(K.is_symbolic(g) for g in grads):
            if clipnorm and clipnorm > 0:
                norm = K.sqrt(sum([K.sum(K.square(g)) for g in grads]))
                grads = [clip_norm(g, clipnorm, norm) for g in grads]
            if clipvalue and clipvalue > 0:
                grads = [K.clip(g, -clipvalue, clipvalue) for g in grads]
            return grads
        if (clipnorm and clipnorm > 0) or (clipvalue and clipvalue > 0):
            K.clip_gradients(grads, clipnorm, clipvalue)
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
        lr = K.scalar_value(self.lr)
        if self.initial_decay > 0:
            lr = lr * (1. / (1. + K.scalar_value(self.decay) * t))
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
        with K.no_grad():
            if any(g is None for g in grads):
                keep = [i for i, g in enumerate(grads) if g is not None]
                params = [params[i] for i in keep]
                grads = [grads[i] for i in keep]
                slots = [[s[i] for i in keep] for s in slots]
            if clip:
                clipnorm = getattr(self, 'clipnorm', 0)
                clipvalue = getattr(self, 'clipvalue', 0)
                if (clipnorm and clipnorm > 0) or (clipvalue and clipvalue > 0):
                    K.clip_gradients(grads, clipnorm, clipvalue)
            t = K.scalar_value(self.iterations)
            if params:
                new_scalars = self._apply_updates(params, grads, slots, t)
                for variable, value in zip(self._scalar_state(), new_scalars or ()):
                    K.assign_scalar(variable, value)
            K.advance_counter(self.iterations, t)
            if self._constrained:
                K.apply_constraints(self._constrained)

    def _symbolic_updates(self, params, grads):
        """`(variable, new_value)` pairs computing one step when a `K.function` runs."""
        self.build(params)
        params = self._params
        scalar_state = list(self._scalar_state())
        slot_variables = [s for slot in self._slots for s in slot]

        def optimizer_step(grad_values):
            # Pure: computes the new values from copies, so that probing the op for shapes
            # and running it both leave the variables alone; `K.function` assigns them.
            with K.no_grad():
                t = K.scalar_value(self.iterations)
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


class SGD(Optimizer):
    """Stochastic gradient descent optimizer.

    Includes support for momentum, learning rate decay, and Nesterov momentum.

    # Arguments
        lr: float >= 0. Learning rate.
        momentum: float >= 0. Parameter that accelerates SGD in the relevant direction and
            dampens oscillations.
        decay: float >= 0. Learning rate decay over each update.
        nesterov: boolean. Whether to apply Nesterov momentum.
    """

    def __init__(self, lr=0.01, momentum=0., decay=0., nesterov=False, **kwargs):
        super(SGD, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.lr = self._hyperparameter(lr, 'lr')
        self.momentum = self._hyperparameter(momentum, 'momentum')
        self.decay = self._hyperparameter(decay, 'decay')
        self.initial_decay = decay
        self.nesterov = nesterov

    def _create_state(self, params):
        moments = self._zeros_like_params(params)
        self._slots = [moments]
        self.weights = [self.iterations] + moments

    def _apply_updates(self, params, grads, slots, t):
        K.sgd_update(params, grads, slots[0], self._decayed_lr(t),
                     K.scalar_value(self.momentum), self.nesterov)

    def _accept_other_layouts(self, weights):
        # Keras 2.3 stores no moments without momentum.
        if len(weights) == 1 and len(self.weights) > 1:
            weights = weights + [np.zeros(K.int_shape(m)) for m in self.weights[1:]]
        return weights, []

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'momentum': float(K.get_value(self.momentum)),
                  'decay': float(K.get_value(self.decay)),
                  'nesterov': self.nesterov}
        base_config = super(SGD, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class _NoIterationsInWeights(Optimizer):
    """Keras 2.2.4's RMSprop, Adagrad and Adadelta leave `iterations` out of `weights`;
    Keras 2.3 puts it first. Both layouts load."""

    def _accept_other_layouts(self, weights):
        if len(weights) == len(self.weights) + 1:
            return weights[1:], [(self.iterations, weights[0])]
        return weights, []


class RMSprop(_NoIterationsInWeights):
    """RMSProp optimizer.

    It is recommended to leave the parameters of this optimizer at their default values
    (except the learning rate, which can be freely tuned). This optimizer is usually a good
    choice for recurrent neural networks.

    # Arguments
        lr: float >= 0. Learning rate.
        rho: float >= 0.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.

    # References
        - [rmsprop: Divide the gradient by a running average of its recent magnitude](
           http://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf)
    """

    def __init__(self, lr=0.001, rho=0.9, epsilon=None, decay=0., **kwargs):
        super(RMSprop, self).__init__(**kwargs)
        self.lr = self._hyperparameter(lr, 'lr')
        self.rho = self._hyperparameter(rho, 'rho')
        self.decay = self._hyperparameter(decay, 'decay')
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay

    def _create_state(self, params):
        accumulators = self._zeros_like_params(params)
        self._slots = [accumulators]
        self.weights = accumulators

    def _apply_updates(self, params, grads, slots, t):
        K.rmsprop_update(params, grads, slots[0], self._decayed_lr(t),
                         K.scalar_value(self.rho), self.epsilon)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'rho': float(K.get_value(self.rho)),
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon}
        base_config = super(RMSprop, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Adagrad(_NoIterationsInWeights):
    """Adagrad optimizer.

    Adagrad adapts a learning rate per parameter to how often that parameter is updated
    during training: the more updates a parameter receives, the smaller its updates.

    It is recommended to leave the parameters of this optimizer at their default values.

    # Arguments
        lr: float >= 0. Initial learning rate.
        epsilon: float >= 0. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.

    # References
        - [Adaptive Subgradient Methods for Online Learning and Stochastic Optimization](
           http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf)
    """

    def __init__(self, lr=0.01, epsilon=None, decay=0., **kwargs):
        super(Adagrad, self).__init__(**kwargs)
        self.lr = self._hyperparameter(lr, 'lr')
        self.decay = self._hyperparameter(decay, 'decay')
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay

    def _create_state(self, params):
        accumulators = self._zeros_like_params(params)
        self._slots = [accumulators]
        self.weights = accumulators

    def _apply_updates(self, params, grads, slots, t):
        K.adagrad_update(params, grads, slots[0], self._decayed_lr(t), self.epsilon)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon}
        base_config = super(Adagrad, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Adadelta(_NoIterationsInWeights):
    """Adadelta optimizer.

    Adadelta is a more robust extension of Adagrad that adapts learning rates based on a
    moving window of gradient updates, instead of accumulating all past gradients, so it
    keeps learning after many updates. Unlike the original Adadelta, this version has an
    initial learning rate and a decay factor, as most Keras optimizers do.

    It is recommended to leave the parameters of this optimizer at their default values.

    # Arguments
        lr: float >= 0. Initial learning rate, defaults to 1. It is recommended to leave it
            at the default value.
        rho: float >= 0. Adadelta decay factor, corresponding to fraction of gradient to keep
            at each time step.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Initial learning rate decay.

    # References
        - [Adadelta - an adaptive learning rate method](http://arxiv.org/abs/1212.5701)
    """

    def __init__(self, lr=1.0, rho=0.95, epsilon=None, decay=0., **kwargs):
        super(Adadelta, self).__init__(**kwargs)
        self.lr = self._hyperparameter(lr, 'lr')
        self.decay = self._hyperparameter(decay, 'decay')
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        if epsilon is None:
            epsilon = K.epsilon()
        self.rho = rho
        self.epsilon = epsilon
        self.initial_decay = decay

    def _create_state(self, params):
        accumulators = self._zeros_like_params(params)
        delta_accumulators = self._zeros_like_params(params)
        self._slots = [accumulators, delta_accumulators]
        self.weights = accumulators + delta_accumulators

    def _apply_updates(self, params, grads, slots, t):
        K.adadelta_update(params, grads, slots[0], slots[1], self._decayed_lr(t), self.rho,
                          self.epsilon)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'rho': self.rho,
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon}
        base_config = super(Adadelta, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Adam(Optimizer):
    """Adam optimizer.

    Default parameters follow those provided in the original paper.

    # Arguments
        lr: float >= 0. Learning rate.
        beta_1: float, 0 < beta < 1. Generally close to 1.
        beta_2: float, 0 < beta < 1. Generally close to 1.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.
        amsgrad: boolean. Whether to apply the AMSGrad variant of this algorithm from the
            paper "On the Convergence of Adam and Beyond".

    # References
        - [Adam - A Method for Stochastic Optimization](http://arxiv.org/abs/1412.6980v8)
        - [On the Convergence of Adam and Beyond](https://openreview.net/forum?id=ryQu7f-RZ)
    """

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.,
                 amsgrad=False, **kwargs):
        super(Adam, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.lr = self._hyperparameter(lr, 'lr')
        self.beta_1 = self._hyperparameter(beta_1, 'beta_1')
        self.beta_2 = self._hyperparameter(beta_2, 'beta_2')
        self.decay = self._hyperparameter(decay, 'decay')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay
        self.amsgrad = amsgrad

    def _create_state(self, params):
        ms = self._zeros_like_params(params)
        vs = self._zeros_like_params(params)
        if self.amsgrad:
            vhats = self._zeros_like_params(params)
        else:
            # Keras 2.2.4 keeps one unused one-element variable per parameter.
            vhats = [self._zeros((1,)) for _ in params]
        self._slots = [ms, vs, vhats]
        self.weights = [self.iterations] + ms + vs + vhats

    def _apply_updates(self, params, grads, slots, t):
        t = t + 1.
        beta_1 = K.scalar_value(self.beta_1)
        beta_2 = K.scalar_value(self.beta_2)
        lr_t = self._decayed_lr(t - 1) * (np.sqrt(1. - beta_2 ** t) / (1. - beta_1 ** t))
        K.adam_update(params, grads, slots[0], slots[1], slots[2], float(lr_t), beta_1, beta_2,
                      self.epsilon, self.amsgrad)

    def _accept_other_layouts(self, weights):
        # Keras 2.3 leaves out the vhats without amsgrad.
        n = len(self._slots[0]) if self._slots else 0
        if not self.amsgrad and n and len(weights) == 2 * n + 1:
            weights = weights + [np.zeros((1,)) for _ in range(n)]
        return weights, []

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'beta_1': float(K.get_value(self.beta_1)),
                  'beta_2': float(K.get_value(self.beta_2)),
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon,
                  'amsgrad': self.amsgrad}
        base_config = super(Adam, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Adamax(Optimizer):
    """Adamax optimizer from Adam paper's Section 7.

    It is a variant of Adam based on the infinity norm. Default parameters follow those
    provided in the paper.

    # Arguments
        lr: float >= 0. Learning rate.
        beta_1/beta_2: floats, 0 < beta < 1. Generally close to 1.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        decay: float >= 0. Learning rate decay over each update.

    # References
        - [Adam - A Method for Stochastic Optimization](http://arxiv.org/abs/1412.6980v8)
    """

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.,
                 **kwargs):
        super(Adamax, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.lr = self._hyperparameter(lr, 'lr')
        self.beta_1 = self._hyperparameter(beta_1, 'beta_1')
        self.beta_2 = self._hyperparameter(beta_2, 'beta_2')
        self.decay = self._hyperparameter(decay, 'decay')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.initial_decay = decay

    def _create_state(self, params):
        ms = self._zeros_like_params(params)
        us = self._zeros_like_params(params)
        self._slots = [ms, us]
        self.weights = [self.iterations] + ms + us

    def _apply_updates(self, params, grads, slots, t):
        beta_1 = K.scalar_value(self.beta_1)
        lr_t = self._decayed_lr(t) / (1. - beta_1 ** (t + 1.))
        K.adamax_update(params, grads, slots[0], slots[1], lr_t, beta_1,
                        K.scalar_value(self.beta_2), self.epsilon)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'beta_1': float(K.get_value(self.beta_1)),
                  'beta_2': float(K.get_value(self.beta_2)),
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon}
        base_config = super(Adamax, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def _momentum_cache(beta_1, schedule_decay, t):
    """Nadam's warming momentum schedule `mu_t = b1 * (1 - 0.5 * 0.96^(t * decay))`."""
    return beta_1 * (1. - 0.5 * (0.96 ** (t * schedule_decay)))


class Nadam(Optimizer):
    """Nesterov Adam optimizer.

    Much like Adam is essentially RMSprop with momentum, Nadam is Adam RMSprop with Nesterov
    momentum.

    Default parameters follow those provided in the paper. It is recommended to leave the
    parameters of this optimizer at their default values.

    # Arguments
        lr: float >= 0. Learning rate.
        beta_1/beta_2: floats, 0 < beta < 1. Generally close to 1.
        epsilon: float >= 0. Fuzz factor. If `None`, defaults to `K.epsilon()`.
        schedule_decay: float, the decay of the momentum schedule.

    # References
        - [Nadam report](http://cs229.stanford.edu/proj2015/054_report.pdf)
        - [On the importance of initialization and momentum in deep learning](
           http://www.cs.toronto.edu/~fritz/absps/momentum.pdf)
    """

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None,
                 schedule_decay=0.004, **kwargs):
        super(Nadam, self).__init__(**kwargs)
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')
        self.m_schedule = self._hyperparameter(1., 'm_schedule')
        self.lr = self._hyperparameter(lr, 'lr')
        self.beta_1 = self._hyperparameter(beta_1, 'beta_1')
        self.beta_2 = self._hyperparameter(beta_2, 'beta_2')
        if epsilon is None:
            epsilon = K.epsilon()
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay

    def _create_state(self, params):
        ms = self._zeros_like_params(params)
        vs = self._zeros_like_params(params)
        self._slots = [ms, vs]
        # Keras 2.2.4 leaves `m_schedule` out; `set_weights` rebuilds it from `iterations`.
        self.weights = [self.iterations] + ms + vs

    def _scalar_state(self):
        return (self.m_schedule,)

    def _apply_updates(self, params, grads, slots, t):
        t = t + 1.
        beta_1 = K.scalar_value(self.beta_1)
        beta_2 = K.scalar_value(self.beta_2)
        momentum_cache_t = _momentum_cache(beta_1, self.schedule_decay, t)
        momentum_cache_t_1 = _momentum_cache(beta_1, self.schedule_decay, t + 1.)
        m_schedule = K.scalar_value(self.m_schedule)
        m_schedule_new = m_schedule * momentum_cache_t
        m_schedule_next = m_schedule * momentum_cache_t * momentum_cache_t_1
        K.nadam_update(params, grads, slots[0], slots[1], K.scalar_value(self.lr), beta_1,
                       beta_2, self.epsilon,
                       (1. - momentum_cache_t) / (1. - m_schedule_new),
                       momentum_cache_t_1 / (1. - m_schedule_next),
                       1. / (1. - beta_2 ** t))
        return [m_schedule_new]

    def _accept_other_layouts(self, weights):
        # Keras 2.3 stores `[iterations, m_schedule] + ms + vs`.
        if len(weights) == len(self.weights) + 1:
            return [weights[0]] + weights[2:], [(self.m_schedule, weights[1])]
        return weights, []

    def _after_set_weights(self, scalars_given):
        if scalars_given:
            return
        # Replays the schedule as the steps computed it (rounded as the variable stores
        # it), so that training resumes exactly where it stopped.
        beta_1 = K.scalar_value(self.beta_1)
        value = K.assign_scalar(self.m_schedule, 1.)
        for t in range(1, int(K.scalar_value(self.iterations)) + 1):
            value = float(np.asarray(value * _momentum_cache(beta_1, self.schedule_decay, t),
                                     dtype=K.dtype(self.m_schedule)))
        K.assign_scalar(self.m_schedule, value)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'beta_1': float(K.get_value(self.beta_1)),
                  'beta_2': float(K.get_value(self.beta_2)),
                  'epsilon': self.epsilon,
                  'schedule_decay': self.schedule_decay}
        base_config = super(Nadam, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class TFOptimizer(Optimizer):
    """Keras 2's wrapper of native TensorFlow optimizers.

    cornu runs on PyTorch or JAX, not TensorFlow: wrap the engine's own optimizers instead,
    e.g. `cornu.optimizers.TorchOptimizer(lambda params: torch.optim.SGD(params, lr=0.1))`.

    # Raises
        ValueError: always, when constructed.
    """

    def __init__(self, optimizer):
        raise ValueError(
            'cornu has no TensorFlow optimizers, so TFOptimizer cannot wrap %r. To train '
            'with an optimizer of the engine, wrap a torch.optim optimizer with '
            'cornu.optimizers.TorchOptimizer (e.g. TorchOptimizer(lambda params: '
            'torch.optim.SGD(params, lr=0.1))), or use a cornu optimizer such as '
            'cornu.optimizers.Adam().' % (optimizer,))

    @property
    def weights(self):
        raise NotImplementedError(
            type(self).__name__ + ' wraps an engine optimizer, whose state has no Keras 2 '
            'form: it is not part of get_weights/set_weights or saved model files.')

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        return self.weights

    def get_config(self):
        raise NotImplementedError(
            type(self).__name__ + ' wraps an engine optimizer, which cannot be serialized to '
            'a Keras config: save the model with include_optimizer=False (and compile it '
            'again after loading), or use a cornu optimizer such as Adam().')

    @classmethod
    def from_config(cls, config):
        raise NotImplementedError(
            cls.__name__ + ' cannot be rebuilt from a config: it wraps an engine optimizer.')


class TorchOptimizer(TFOptimizer):
    """Trains with a `torch.optim` optimizer (PyTorch engine).

    `model.compile(optimizer=TorchOptimizer(lambda params: torch.optim.SGD(params, lr=0.1)))`.
    The torch optimizer is made when the model is compiled, from the model's trainable
    variables; each step hands it the gradients and calls its `step()`. Constraints of the
    variables apply after the step. `lr` (a variable, when the torch optimizer has one) is
    copied into every parameter group when set with `K.set_value`, so callbacks such as
    `LearningRateScheduler` work.

    # Arguments
        optimizer: a `torch.optim.Optimizer` subclass (built with default arguments), a
            function taking the list of parameters and returning a `torch.optim.Optimizer`,
            or an optimizer instance already holding the model's parameters.

    # Raises
        TypeError: when `optimizer` is none of these.
    """

    def __init__(self, optimizer):
        if not (callable(optimizer) or K.is_native_optimizer(optimizer)):
            raise TypeError('TorchOptimizer expects a torch.optim.Optimizer, a subclass of it, '
                            'or a function of the parameter list returning one; got %r.'
                            % (optimizer,))
        self.optimizer = optimizer
        self.native = None
        self.updates = []
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')

    def build(self, params):
        """Makes the `torch.optim` optimizer for `params` (again when they change)."""
        params = params if isinstance(params, list) else list(params)
        if self.native is not None and _same_variables(params, self.__dict__.get('_params')):
            return
        self._params = params
        self._constrained = [p for p in params if getattr(p, 'constraint', None) is not None]
        self.native = K.native_optimizer(self.optimizer, params)
        lr = K.native_optimizer_lr(self.native)
        if lr is not None:
            self.lr = self._hyperparameter(lr, 'lr')
            K.scalar_value(self.lr)

    def _step(self, params, grads, clip):
        if self._custom_get_updates:
            raise NotImplementedError(
                type(self).__name__ + ' updates through its own get_updates(loss, params); '
                'call get_updates with the loss instead of apply_gradients.')
        if params is not self.__dict__.get('_params'):
            self.build(params)
            params = self._params
        with K.no_grad():
            K.native_optimizer_step(self.native, params, grads, self.__dict__.get('lr'))
            K.advance_counter(self.iterations, K.scalar_value(self.iterations))
            if self._constrained:
                K.apply_constraints(self._constrained)

    def _symbolic_updates(self, params, grads):
        raise ValueError('TorchOptimizer updates eagerly: call get_updates with a computed '
                         'loss, not a symbolic one.')


# Aliases.

sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam


def serialize(optimizer):
    """Returns the config of an optimizer (`{'class_name': ..., 'config': ...}`)."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """Builds an optimizer from its config; built-in class names match in any case.

    # Arguments
        config: `{'class_name': ..., 'config': ...}`.
        custom_objects: optional dictionary of user optimizer classes.

    # Returns
        An optimizer instance.

    # Raises
        ValueError: `Unknown optimizer: <name>`.
    """
    all_classes = {
        'sgd': SGD,
        'rmsprop': RMSprop,
        'adagrad': Adagrad,
        'adadelta': Adadelta,
        'adam': Adam,
        'adamax': Adamax,
        'nadam': Nadam,
        'tfoptimizer': TFOptimizer,
    }
    if isinstance(config, dict) and str(config.get('class_name', '')).lower() in all_classes:
        config = dict(config)
        config['class_name'] = config['class_name'].lower()
    return deserialize_keras_object(config,
                                    module_objects=all_classes,
                                    custom_objects=custom_objects,
                                    printable_module_name='optimizer')


def get(identifier):
    """Retrieves an optimizer.

    # Arguments
        identifier: the name of an optimizer (`'adam'`), a config dictionary, an optimizer
            instance (returned unchanged), or a `torch.optim` optimizer class or instance
            (wrapped in a `TorchOptimizer`).

    # Returns
        An optimizer instance.

    # Raises
        ValueError: if `identifier` cannot be interpreted.
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    elif isinstance(identifier, str):
        config = {'class_name': str(identifier), 'config': {}}
        return deserialize(config)
    if isinstance(identifier, Optimizer):
        return identifier
    if K.is_native_optimizer(identifier):
        return TorchOptimizer(identifier)
    raise ValueError('Could not interpret optimizer identifier: ' + str(identifier))
