"""Wrappers of an engine's own optimizers (the role of Keras 2's TFOptimizer)."""
from .. import backend as K
from .base import Optimizer, _same_variables


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
