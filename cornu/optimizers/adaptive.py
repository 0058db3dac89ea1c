"""Optimizers with per-parameter learning rates: RMSprop, Adagrad, Adadelta."""
from .. import backend as K
from ..backend import kernels
from .base import Optimizer


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
        kernels.rmsprop_update(params, grads, slots[0], self._decayed_lr(t),
                               kernels.scalar_value(self.rho), self.epsilon)

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
        kernels.adagrad_update(params, grads, slots[0], self._decayed_lr(t), self.epsilon)

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
        kernels.adadelta_update(params, grads, slots[0], slots[1], self._decayed_lr(t), self.rho,
                                self.epsilon)

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr)),
                  'rho': self.rho,
                  'decay': float(K.get_value(self.decay)),
                  'epsilon': self.epsilon}
        base_config = super(Adadelta, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
