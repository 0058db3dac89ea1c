"""Wrappers of an engine's own optimizers (the role of Keras 2's TFOptimizer)."""
from .. import backend as K
from ..backend import kernels
from .base import Optimizer, same_variables


class TFOptimizer(Optimizer):
    """Keras 2's wrapper of native TensorFlow optimizers.

    cornu runs on PyTorch or JAX, not TensorFlow: wrap the engine's own optimizers instead,
    with `TorchOptimizer` (e.g. `TorchOptimizer(lambda params: torch.optim.SGD(params,
    lr=0.1))`) or `OptaxOptimizer` (e.g. `OptaxOptimizer(optax.adam(1e-3))`).

    # Raises
        ValueError: always, when constructed.
    """

    def __init__(self, optimizer):
        raise ValueError(
            'cornu has no TensorFlow optimizers, so TFOptimizer cannot wrap %r. To train '
            'with an optimizer of the engine, wrap a torch.optim optimizer with '
            'cornu.optimizers.TorchOptimizer (PyTorch engine; e.g. TorchOptimizer(lambda '
            'params: torch.optim.SGD(params, lr=0.1))) or an optax transformation with '
            'cornu.optimizers.OptaxOptimizer (JAX engine; e.g. '
            'OptaxOptimizer(optax.adam(1e-3))), or use a cornu optimizer such as '
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


class _EngineOptimizer(TFOptimizer):
    """What `TorchOptimizer` and `OptaxOptimizer` share: the engine optimizer is made when the
    model is compiled, from its trainable variables, and each step hands it the gradients;
    `iterations` counts the steps, `lr` (when the engine optimizer exposes one) is a variable
    that `K.set_value` and callbacks change, and the variables' constraints apply after the
    step."""

    # The engine this wrapper needs, and what it expects, for error messages.
    engine = None
    expects = None

    def __init__(self, optimizer):
        name = type(self).__name__
        if K.backend() != self.engine:
            raise ValueError('%s wraps optimizers of the %s engine, but cornu is running on '
                             '%s (set CORNU_BACKEND=%s to use it, or use a cornu optimizer '
                             'such as cornu.optimizers.Adam()).'
                             % (name, self.engine, K.backend(), self.engine))
        if not self._accepts(optimizer):
            raise TypeError('%s expects %s; got %r.' % (name, self.expects, optimizer))
        self.optimizer = optimizer
        self.native = None
        self.updates = []
        self.iterations = self._hyperparameter(0, 'iterations', 'int64')

    def _accepts(self, optimizer):
        return kernels.is_native_optimizer(optimizer)

    def build(self, params):
        """Makes the engine optimizer for `params` (again when they change)."""
        params = params if isinstance(params, list) else list(params)
        if self.native is not None and same_variables(params, self.__dict__.get('_params')):
            return
        self._params = params
        self._constrained = [p for p in params if getattr(p, 'constraint', None) is not None]
        self.native = kernels.native_optimizer(self.optimizer, params)
        lr = kernels.native_optimizer_lr(self.native)
        if lr is not None:
            self.lr = self._hyperparameter(lr, 'lr')
            kernels.scalar_value(self.lr)

    def _step(self, params, grads, clip):
        if self._custom_get_updates:
            raise NotImplementedError(
                type(self).__name__ + ' updates through its own get_updates(loss, params); '
                'call get_updates with the loss instead of apply_gradients.')
        if params is not self.__dict__.get('_params'):
            self.build(params)
            params = self._params
        with kernels.no_grad():
            kernels.native_optimizer_step(self.native, params, grads, self.__dict__.get('lr'))
            kernels.advance_counter(self.iterations, kernels.scalar_value(self.iterations))
            if self._constrained:
                kernels.apply_constraints(self._constrained)

    def _symbolic_updates(self, params, grads):
        raise ValueError(type(self).__name__ + ' updates when a step runs: call get_updates '
                         'with a computed loss, not a symbolic one.')


class TorchOptimizer(_EngineOptimizer):
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
        ValueError: when cornu is not running on the PyTorch engine.
        TypeError: when `optimizer` is none of these.
    """

    engine = 'torch'
    expects = ('a torch.optim.Optimizer, a subclass of it, or a function of the parameter '
               'list returning one')

    def _accepts(self, optimizer):
        return callable(optimizer) or kernels.is_native_optimizer(optimizer)

    def _symbolic_updates(self, params, grads):
        raise ValueError(type(self).__name__ + ' updates eagerly: call get_updates with a computed '
                         'loss, not a symbolic one.')




class OptaxOptimizer(_EngineOptimizer):
    """Trains with an optax gradient transformation (JAX engine).

    `model.compile(optimizer=OptaxOptimizer(optax.adamw(1e-3, weight_decay=1e-4)))`, or simply
    `model.compile(optimizer=optax.adamw(...))`. The transformation's state is made when the
    model is compiled and lives in variables (one per leaf of its state), so it is updated
    inside the jitted training step. Constraints of the variables apply after the step.

    To change the learning rate during training (`K.set_value(optimizer.lr, ...)`,
    `LearningRateScheduler`, `ReduceLROnPlateau`), build the transformation with
    `optax.inject_hyperparams`, e.g.
    `OptaxOptimizer(optax.inject_hyperparams(optax.adam)(learning_rate=1e-3))`: its injected
    `learning_rate` becomes the variable `lr`.

    `get_weights`/`set_weights` read and write the transformation's state leaves (in optax's
    order); like Keras 2's `TFOptimizer`, it has no config, so models compiled with it are
    saved without their optimizer.

    # Arguments
        optimizer: an optax `GradientTransformation`.

    # Raises
        ValueError: when cornu is not running on the JAX engine.
        TypeError: when `optimizer` is not an optax gradient transformation.
    """

    engine = 'jax'
    expects = 'an optax GradientTransformation such as optax.adam(1e-3)'

    def build(self, params):
        super(OptaxOptimizer, self).build(params)
        # An attribute of the optimizer, so that the training step finds the state.
        self.state_variables = list(self.native.variables)

    @property
    def weights(self):
        return list(self.__dict__.get('state_variables', []))

    def get_weights(self):
        return Optimizer.get_weights(self)

    def set_weights(self, weights):
        Optimizer.set_weights(self, weights)


def wrap_native_optimizer(optimizer):
    """Wraps an optimizer of the running engine (`torch.optim` or optax) for `compile`."""
    wrapper = TorchOptimizer if K.backend() == 'torch' else OptaxOptimizer
    return wrapper(optimizer)
